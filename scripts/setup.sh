#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian machine. Idempotent.
set -euo pipefail

need_apt=()
command -v dotnet >/dev/null 2>&1 || { echo "setup: the .NET 10 SDK (dotnet) is required and not on PATH" >&2; exit 1; }
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v procps >/dev/null 2>&1 || command -v pgrep >/dev/null 2>&1 || need_apt+=(procps)

if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi
dotnet --version >/dev/null
# psql and pgbench drive the server in the pgwire and instance tests (pgbench ships in postgresql-15).
"$(dirname "$0")/setup-postgres.sh"
echo "setup: ok (dotnet $(dotnet --version))"
