#!/usr/bin/env bash
# Renders an HTML dashboard page (GatewayReports' DashboardRenderer) to a PNG with headless Chromium, to look at it
# or attach it: scripts/render-dashboard.sh dashboard.html dashboard.png
# DASHBOARD_WINDOW overrides the window's size (1280,2000: the page's first 2000 pixels), e.g. 1280,4000.
# Installs Debian's `chromium` when it is missing (as root, with apt-get). The page needs no network.
set -euo pipefail

if [ $# -ne 2 ]; then
    echo "usage: $0 HTML PNG" >&2
    exit 2
fi
html=$1
png=$2
if [ ! -f "$html" ]; then
    echo "No such page: $html" >&2
    exit 1
fi

if ! command -v chromium >/dev/null 2>&1; then
    if [ "$(id -u)" -ne 0 ]; then
        echo "chromium is missing: run as root, or install Debian's chromium package." >&2
        exit 1
    fi
    export DEBIAN_FRONTEND=noninteractive
    if ! apt-get install -y -qq --no-install-recommends chromium >/dev/null 2>&1; then
        apt-get update -qq
        apt-get install -y -qq --no-install-recommends chromium >/dev/null
    fi
fi

# Absolute paths: Chromium is given a file:// URL and writes the screenshot where it is told.
html_abs=$(cd "$(dirname "$html")" && pwd)/$(basename "$html")
mkdir -p "$(dirname "$png")"
png_abs=$(cd "$(dirname "$png")" && pwd)/$(basename "$png")

# A throwaway profile, so that nothing is left in the home directory; Chromium's own chatter goes to /dev/null.
profile=$(mktemp -d)
trap 'rm -rf "$profile"' EXIT
chromium --headless --no-sandbox --disable-gpu --hide-scrollbars --user-data-dir="$profile" \
    --screenshot="$png_abs" --window-size="${DASHBOARD_WINDOW:-1280,2000}" "file://$html_abs" >/dev/null 2>&1
if [ ! -s "$png_abs" ]; then
    echo "Chromium wrote no screenshot to $png_abs" >&2
    exit 1
fi
echo "$png_abs"
