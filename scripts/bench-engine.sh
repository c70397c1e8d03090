#!/usr/bin/env bash
# The engine benchmark (bench/engine): the Database on six in-process storage nodes, one client.
# Prints point-lookup, range-scan, insert and update ops/s with allocations per operation, and
# redo bytes per pgbench-like transaction next to PostgreSQL 15's WAL bytes per pgbench
# transaction (steady and after a checkpoint), with the ratio.
# Options: --quick (under a minute), --accounts N (default 100000), --transactions N (default
# 5000), --no-postgres (skip the PostgreSQL reference).
set -euo pipefail
cd "$(dirname "$0")/.."
if [[ " $* " != *" --no-postgres "* ]]; then scripts/setup-postgres.sh; fi
dotnet build bench/engine -c Release -nologo -clp:ErrorsOnly
exec dotnet bench/engine/bin/Release/net10.0/Borealis.Bench.Engine.dll "$@"
