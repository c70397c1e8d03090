#!/usr/bin/env bash
# Runs the sqllogictest corpus over the PostgreSQL wire protocol.
#   scripts/slt.sh --postgres [PATH...]            against a throwaway PostgreSQL 15 (checks the runner itself)
#   scripts/slt.sh --connection "Host=…;Port=…;Username=…;Password=…" [--min-pass 99.5] [PATH...]
# PATH defaults to ../shared/sqllogictest (select1-5 and index/*). A report of every failing
# record (file:line, SQL, reason) is written to artifacts/slt-report.txt.
set -euo pipefail
cd "$(dirname "$0")/.."
corpus="$(cd .. && pwd)/shared/sqllogictest"
args=()
paths=()
while (($#)); do
  case "$1" in
    --postgres) scripts/setup-postgres.sh >/dev/null; args+=("$1"); shift ;;
    --connection|--min-pass|--timeout) args+=("$1" "$2"); shift 2 ;;
    *) paths+=("$1"); shift ;;
  esac
done
((${#paths[@]})) || paths=("$corpus")
dotnet build tools/Borealis.SqlLogicTest -c Release -nologo -clp:ErrorsOnly >/dev/null
mkdir -p artifacts
exec dotnet tools/Borealis.SqlLogicTest/bin/Release/net10.0/borealis-slt.dll --report artifacts/slt-report.txt "${args[@]}" "${paths[@]}"
