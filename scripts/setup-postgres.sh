#!/usr/bin/env bash
# Installs PostgreSQL 15 (server, psql, pgbench) from Debian's packages when missing: the oracle
# for conformance tests and the reference for benchmarks. Idempotent. The apt package's own
# cluster is not used (tests and benchmarks initdb their own throwaway servers).
set -euo pipefail
need=()
[ -x /usr/lib/postgresql/15/bin/postgres ] || need+=(postgresql-15)
command -v psql >/dev/null 2>&1 || need+=(postgresql-client-15)
command -v pgbench >/dev/null 2>&1 || [ -x /usr/lib/postgresql/15/bin/pgbench ] || need+=(postgresql-15)
if ((${#need[@]})); then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${need[@]}" >/dev/null
  # Debian starts its own cluster on 5432; we do not need it.
  $SUDO pg_ctlcluster 15 main stop >/dev/null 2>&1 || true
fi
echo "setup-postgres: ok ($(/usr/lib/postgresql/15/bin/postgres --version))"
