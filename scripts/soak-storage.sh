#!/usr/bin/env bash
# Long soak of the storage service: the seeded randomized crash test (kill -9 / restart of storage
# nodes, writer crashes and recoveries, checked against a model) repeated with fresh seeds.
#   scripts/soak-storage.sh [RUNS] [ROUNDS]       default 20 runs of 60 rounds
# A failure prints its seed; replay it with BOREALIS_SEED=N scripts/soak-storage.sh 1.
set -uo pipefail
cd "$(dirname "$0")/.."
runs=${1:-20}
export BOREALIS_ROUNDS=${2:-60}
dotnet build tests/Borealis.Cluster.Tests -c Release -nologo -clp:ErrorsOnly || exit 1
failed=0
for i in $(seq 1 "$runs"); do
  out=$(dotnet test tests/Borealis.Cluster.Tests -c Release --no-build --filter "FullyQualifiedName~RandomizedCrashTests" --logger "console;verbosity=detailed" 2>&1)
  rc=$?
  seed=$(grep -o 'seed [0-9]*' <<<"$out" | head -1)
  if [ "$rc" = 0 ]; then echo "run $i: ok ($seed)"; else echo "run $i: FAILED ($seed)"; echo "$out" | grep -A30 "Error Message"; failed=$((failed + 1)); fi
done
echo "$((runs - failed)) passed, $failed failed"
[ "$failed" = 0 ]
