#!/usr/bin/env bash
# The storage benchmark (bench/storage): quorum writes through six local storage node processes
# versus a local group-commit log on the same disk, at 1, 8 and 64 writers, plus the segment
# repair rate. Options: --seconds N (per run, default 5), --writers 1,8,64, --repair-mb N.
set -euo pipefail
cd "$(dirname "$0")/.."
dotnet build bench/storage -c Release -nologo -clp:ErrorsOnly
exec dotnet bench/storage/bin/Release/net10.0/Borealis.Bench.Storage.dll "$@"
