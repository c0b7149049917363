#!/usr/bin/env bash
# The main job on the embedded default: validates and imports the CNAF samples (September, October, MSA) into
# the SQLite store under data/, then lists what changed. Re-running it changes nothing: every file is known.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product insertion-gateway 2>&1 | tail -n 1
gateway=.build/release/insertion-gateway
store=${GATEWAY_STORE:-data/gateway.sqlite}
# Aligned columns when `column` (bsdextrautils) is there, the plain CSV otherwise.
table() { if command -v column >/dev/null 2>&1; then column -s ';' -t; else cat; fi; }
status=0
for file in Samples/cnaf/caf-67-2026-09.xml Samples/cnaf/msa-67-2026-09.xml Samples/cnaf/caf-67-2026-10.xml; do
    "$gateway" import --quiet --flow caf-beneficiaires --store "$store" "$file" || status=$?
done
echo
echo "Changements de situation enregistrés ($store) :"
"$gateway" export status-changes --store "$store" --format csv | table
echo
echo "Fichiers reçus :"
"$gateway" export files --store "$store" --format csv | cut -d ';' -f 1-3,8-14 | table
exit "$status"
