#!/usr/bin/env bash
# Builds the release CLI and the benchmark, makes sure xmllint is there, then runs gateway-bench from the
# repository root. Arguments go to gateway-bench: --households N, --ft-rows N, --rules-people N, --ft-only,
# --rules-only, --runs N, --keep, --work-dir DIR, --cli PATH; `--sftp [--files N --households H --runs R]` runs
# scripts/bench-sftp.sh instead (the SFTP exchange against a plain curl download).
#   bash scripts/bench.sh                       # 100,000 households (≈ 400 MB)
#   bash scripts/bench.sh --households 250000   # ≈ 1 GB, the size the memory target is set for
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

# The SFTP exchange against plain curl: its own script (sshd on loopback).
if [ "${1:-}" = "--sftp" ]; then
    shift
    exec bash scripts/bench-sftp.sh "$@"
fi

swift build -c release --static-swift-stdlib --product insertion-gateway
swift build -c release --static-swift-stdlib --product gateway-bench

if ! command -v xmllint >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "xmllint missing: installing libxml2-utils" >&2
        apt-get install -y libxml2-utils || { apt-get update && apt-get install -y libxml2-utils; }
    else
        echo "xmllint missing (the reference timing will be skipped): apt-get install -y libxml2-utils" >&2
    fi
fi

# pandas.read_csv is the France Travail part's reference (PyPI).
if command -v python3 >/dev/null 2>&1 && ! python3 -c "import pandas" >/dev/null 2>&1; then
    echo "pandas missing: installing it from PyPI" >&2
    python3 -m pip install --quiet pandas || echo "pandas could not be installed: the France Travail reference will be skipped" >&2
fi

# The PostgreSQL import is timed beside SQLite's on a throwaway server (fsync off, as for the tests), when Debian's
# postgresql is installed (scripts/setup.sh --with-postgres) and no --postgres URL is given.
postgres=()
if [[ " $* " != *" --postgres "* ]] && pg_line="$(bash scripts/postgres-test.sh start 2>/dev/null)"; then
    read -r pg_dir pg_url <<<"$pg_line"
    trap 'bash scripts/postgres-test.sh stop "$pg_dir"' EXIT
    postgres=(--postgres "$pg_url")
elif [[ " $* " != *" --postgres "* ]]; then
    echo "PostgreSQL not installed (bash scripts/setup.sh --with-postgres): its import ratio is skipped" >&2
fi

"$(swift build -c release --static-swift-stdlib --show-bin-path)/gateway-bench" "${postgres[@]}" "$@"
