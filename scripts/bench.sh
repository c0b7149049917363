#!/usr/bin/env bash
# Builds the release CLI and the benchmark, makes sure xmllint is there, then runs gateway-bench from the
# repository root. Arguments go to gateway-bench: --households N, --keep, --work-dir DIR, --cli PATH.
#   bash scripts/bench.sh                       # 100,000 households (≈ 400 MB)
#   bash scripts/bench.sh --households 250000   # ≈ 1 GB, the size the memory target is set for
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."

swift build -c release --product insertion-gateway
swift build -c release --product gateway-bench

if ! command -v xmllint >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "xmllint missing: installing libxml2-utils" >&2
        apt-get install -y libxml2-utils || { apt-get update && apt-get install -y libxml2-utils; }
    else
        echo "xmllint missing (the reference timing will be skipped): apt-get install -y libxml2-utils" >&2
    fi
fi

exec "$(swift build -c release --show-bin-path)/gateway-bench" "$@"
