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
postgres=0
while (($#)); do
  case "$1" in
    --postgres) postgres=1; shift ;;
    --connection|--min-pass|--timeout) args+=("$1" "$2"); shift 2 ;;
    *) paths+=("$1"); shift ;;
  esac
done
((${#paths[@]})) || paths=("$corpus")
dotnet build tools/Borealis.SqlLogicTest -c Release -nologo -clp:ErrorsOnly >/dev/null
mkdir -p artifacts
slt=(dotnet tools/Borealis.SqlLogicTest/bin/Release/net10.0/borealis-slt.dll --report artifacts/slt-report.txt)
if ((postgres)); then
  scripts/setup-postgres.sh >/dev/null
  dir=$(mktemp -d /tmp/borealis-slt-pg.XXXXXX)
  chown postgres "$dir" 2>/dev/null || true
  as=(); [ "$(id -u)" = 0 ] && as=(runuser -u postgres --)
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  "${as[@]}" /usr/lib/postgresql/15/bin/initdb -D "$dir/data" -A trust -U postgres >/dev/null
  "${as[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$dir/data" -o "-p $port -k $dir -c listen_addresses=127.0.0.1" -l "$dir/log" -w start >/dev/null
  trap '"${as[@]}" /usr/lib/postgresql/15/bin/pg_ctl -D "$dir/data" -m immediate stop >/dev/null; rm -rf "$dir"' EXIT
  args+=(--connection "Host=127.0.0.1;Port=$port;Username=postgres;Database=postgres")
fi
"${slt[@]}" "${args[@]}" "${paths[@]}"
