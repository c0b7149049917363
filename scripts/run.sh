#!/usr/bin/env bash
# The main job on the embedded default (SQLite under data/, the files of Samples/):
#  1. imports the CNAF September and MSA files, then every partner's sample (France Travail, Job Connexion, job
#     posts, operators' follow-ups), then the CNAF October file: people are matched across partners;
#  2. sources candidates for two posts (Bas-Rhin → Développeurs Emploi, Haut-Rhin → Conseillers Relais
#     Entreprises), imports the teams' feedback, writes the operators' alerts and the rejection notices
#     (data/outbox/);
#  3. prints the status changes, one person across partners, and the ledger of received files.
# Re-running it changes nothing in the store: every file is recognised by its hash.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
swift build -c release --product insertion-gateway 2>&1 | tail -n 1
gateway=.build/release/insertion-gateway
store=${GATEWAY_STORE:-data/gateway.sqlite}
# The day the samples are set on, so that the outputs do not depend on when this runs.
day=2026-11-02
# Aligned columns when `column` (bsdextrautils) is there, the plain CSV otherwise.
table() { if command -v column >/dev/null 2>&1; then column -s ';' -t; else cat; fi; }
status=0
import() {
    local flow=$1
    shift
    for file in "$@"; do
        # Exit 1 means some records went to quarantine (the samples include an identity conflict on purpose).
        "$gateway" import --quiet --flow "$flow" --store "$store" "$file" && rc=0 || rc=$?
        if [ "$rc" -gt 1 ]; then status=$rc; fi
    done
}
import caf-beneficiaires Samples/cnaf/caf-67-2026-09.xml Samples/cnaf/msa-67-2026-09.xml
import ft-inscriptions Samples/ft-inscriptions/pe-cg-*.csv Samples/ft-inscriptions/extraction-rsa-ft-2026-09-30.csv \
    Samples/ft-inscriptions/fichier-PE-CG-67-2026-09.xml
import jobconnexion-cv Samples/jobconnexion-cv/jobconnexion-profils-2026-10-01.csv \
    Samples/jobconnexion-cv/jobconnexion-profils-2026-10-15.json
import job-posts Samples/job-posts/offres-67-68-2026-09.json Samples/job-posts/offres-67-68-2026-10.csv
import operator-followup Samples/operator-followup/suivi-operateurs-2026-09.csv \
    Samples/operator-followup/suivi-operateurs-2026-10.json Samples/operator-followup/suivi-operateurs-2026-11.csv
import caf-beneficiaires Samples/cnaf/caf-67-2026-10.xml

echo
echo "Sourcing (jour $day) :"
"$gateway" source --quiet --store "$store" --date "$day" DE67-2026-0412 || status=$?
"$gateway" source --quiet --store "$store" --date "$day" --format json CRE68-2026-0087 || status=$?
import sourcing-feedback Samples/sourcing-feedback/retours-equipes-entreprises-2026-11-10.csv

echo
echo "Alertes pour les structures :"
"$gateway" alerts --quiet --store "$store" --date "$day" || status=$?

echo
echo "Avis de rejet :"
# Every received file with records in quarantine or refused as a whole gets its notice.
"$gateway" export files --store "$store" --format csv | awk -F ';' 'NR > 1 && ($8 != "applied" || $13 > 0) { print $1 }' |
    while read -r id; do "$gateway" notice --quiet --store "$store" "$id" || exit 1; done || status=$?

echo
echo "Changements de situation enregistrés ($store) :"
"$gateway" export status-changes --store "$store" --format csv | table
echo
echo "Une personne à travers les partenaires (identifiant France Travail 0457812K) :"
"$gateway" people show --quiet --store "$store" 0457812K || status=$?
echo
echo "Fichiers reçus :"
"$gateway" export files --store "$store" --format csv | cut -d ';' -f 1-4,8-14 | table
exit "$status"
