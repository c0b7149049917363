#!/usr/bin/env bash
# The main job on the embedded default (SQLite under data/, the files of Samples/): one cycle of the exchanges of
# Samples/gateway.yaml (`insertion-gateway run --all`, on local folders), in the order their `after:` declares:
#  1. takes every partner's files from its folder of Samples/ (CNAF and MSA, France Travail, Job Connexion, job
#     posts, operators' follow-ups): people are matched across partners;
#  2. sources candidates for every open post (Bas-Rhin → Développeurs Emploi in CSV, Haut-Rhin → Conseillers
#     Relais Entreprises in JSON), takes the teams' feedback, sends the operators' alerts, the rejection notices,
#     the reports and the CV-deposit check (data/outbox/);
#  3. prints the status changes, one person across partners, the ledger of received files and the journal.
# Re-running it changes nothing in the store: every file is remembered by name, size, stamp and hash, every output
# by its content.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --static-swift-stdlib --product insertion-gateway 2>&1 | tail -n 1
gateway=.build/release/insertion-gateway
store=${GATEWAY_STORE:-data/gateway.sqlite}
# The day the samples are set on, so that the outputs do not depend on when this runs.
day=2026-11-02
# Aligned columns when `column` (bsdextrautils) is there, the plain CSV otherwise.
table() { if command -v column >/dev/null 2>&1; then column -s ';' -t; else cat; fi; }
status=0
config=Samples/gateway.yaml
echo "Cycle des échanges ($config, jour $day) :"
# Exit 1 means an exchange failed or partly failed (its files stay for the next run).
"$gateway" run --quiet --config "$config" --store "$store" --date "$day" --all || status=$?
find data/outbox -type f | sort

echo
echo "Changements de situation enregistrés ($store) :"
"$gateway" export status-changes --store "$store" --format csv | table
echo
echo "Une personne à travers les partenaires (identifiant France Travail 0457812K) :"
"$gateway" people show --quiet --store "$store" 0457812K || status=$?
echo
echo "Fichiers reçus :"
"$gateway" export files --store "$store" --format csv | cut -d ';' -f 1-4,8-14 | table
echo
echo "Journal des échanges (dernière heure) :"
"$gateway" journal --store "$store" --since 1h | tail -n 40
exit "$status"
