#!/usr/bin/env bash
# Installs everything the build and the tests need on a fresh Debian machine. Idempotent.
set -euo pipefail

need_apt=()
command -v dotnet >/dev/null 2>&1 || { echo "setup: the .NET 10 SDK (dotnet) is required and not on PATH" >&2; exit 1; }
command -v ip >/dev/null 2>&1 || need_apt+=(iproute2)
command -v procps >/dev/null 2>&1 || command -v pgrep >/dev/null 2>&1 || need_apt+=(procps)
command -v psql >/dev/null 2>&1 || need_apt+=(postgresql-client)  # pgwire tests drive the server with psql

if ((${#need_apt[@]})); then
  if [ "$(id -u)" = 0 ]; then SUDO=""; else SUDO="sudo"; fi
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq "${need_apt[@]}"
fi
dotnet --version >/dev/null
echo "setup: ok (dotnet $(dotnet --version))"
