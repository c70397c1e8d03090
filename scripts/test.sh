#!/usr/bin/env bash
# The test command (README, CI). Builds everything, then runs the fast unit suites and the
# slower process-based cluster suites (real storage node processes on 127.0.0.1, kill -9,
# fault-injecting proxies). Prints "N passed, N failed" at the end.
#   scripts/test.sh            all suites
#   scripts/test.sh --fast     unit suites only
set -uo pipefail
cd "$(dirname "$0")/.."

suites=(tests/Borealis.Storage.Tests tests/Borealis.Volume.Tests tests/Borealis.Engine.Tests tests/Borealis.SqlLogicTest.Tests tests/Borealis.PgWire.Tests tests/Borealis.Sql.Tests tests/Borealis.Instance.Tests)
if [ "${1:-}" != "--fast" ]; then suites+=(tests/Borealis.Cluster.Tests); fi

dotnet build Borealis.slnx -c Release -nologo -clp:ErrorsOnly || { echo "0 passed, 1 failed"; exit 1; }

results=$(mktemp -d)
status=0
for s in "${suites[@]}"; do
  name=$(basename "$s")
  echo "=== $name"
  dotnet test "$s" -c Release --no-build -nologo --logger "trx;LogFileName=$results/$name.trx" --logger "console;verbosity=normal" \
    --blame-hang-timeout 10m 2>&1 | grep -vE '^\s*$' | tee "$results/$name.log" | grep -E '^\s*(Passed|Failed|Skipped) |error|Error Message|Assert|seed|Total tests|Passed!|Failed!' | grep -v '^\s*Passed ' 
  if [ "${PIPESTATUS[0]}" != 0 ]; then
    status=1
    echo "--- failures in $name (full log: $results/$name.log)"
    grep -E -A15 '^\s+Failed ' "$results/$name.log" | head -120
  fi
done

passed=0; failed=0; skipped=0
for t in "$results"/*.trx; do
  [ -f "$t" ] || continue
  c=$(grep -o '<Counters [^>]*>' "$t" | head -1)
  p=$(sed -n 's/.* passed="\([0-9]*\)".*/\1/p' <<<"$c"); f=$(sed -n 's/.* failed="\([0-9]*\)".*/\1/p' <<<"$c"); n=$(sed -n 's/.* notExecuted="\([0-9]*\)".*/\1/p' <<<"$c")
  passed=$((passed + ${p:-0})); failed=$((failed + ${f:-0})); skipped=$((skipped + ${n:-0}))
done
if [ "$status" != 0 ] && [ "$failed" = 0 ]; then failed=1; fi
echo "$passed passed, $failed failed, $skipped skipped"
exit $status
