#!/usr/bin/env bash
# Console benchmark: every page of the staff console, over a store of the Samples (each partner's sample files
# imported, the bad operators' file among them so that the quarantine has records), signed in as an administrator:
# page weight and time to serve, measured by curl on loopback over N requests per page (p50, max).
#   bash scripts/bench-console.sh [--requests N] [--port P]
# Target (issue 19): each page under 100 KB and served in under 100 ms. Last line: BENCH_CONSOLE_JSON {…}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

requests=20 port=18090
while [ $# -gt 0 ]; do
    case "$1" in
        --requests) requests="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

# shellcheck source=bench/release-server.sh
source scripts/bench/release-server.sh

store="$work/gateway.sqlite"
while read -r flow file; do
    "$gw" import --quiet --flow "$flow" --store "$store" "Samples/$file" >/dev/null || [ $? -eq 1 ]
done <<'LIST'
caf-beneficiaires cnaf/caf-67-2026-09.xml
caf-beneficiaires cnaf/msa-67-2026-09.xml
ft-inscriptions ft-inscriptions/pe-cg-inscriptions-2026-09.csv
jobconnexion-cv jobconnexion-cv/jobconnexion-profils-2026-10-01.csv
job-posts job-posts/offres-67-68-2026-09.json
operator-followup operator-followup/suivi-operateurs-2026-09.csv
operator-followup operator-followup/suivi-operateurs-2026-10.json
operator-followup operator-followup/suivi-operateurs-2026-11.csv
operator-followup operator-followup/bad/suivi-unknown-codes.csv
caf-beneficiaires cnaf/caf-67-2026-10.xml
LIST
password="banc d'essai de la console"
printf '%s\n' "$password" | "$gw" users add --quiet --store "$store" --login bench.admin --name Banc --role admin >/dev/null
start_api "$port" --store "$store"
base="http://127.0.0.1:$port"

jar="$work/cookies"
page=$(curl -fs -c "$jar" "$base/console/sign-in")
csrf=$(printf '%s' "$page" | sed -n 's/.*name="csrf" value="\([^"]*\)".*/\1/p' | head -n 1)
curl -fs -b "$jar" -c "$jar" -o /dev/null --data-urlencode "csrf=$csrf" --data-urlencode "login=bench.admin" \
    --data-urlencode "password=$password" "$base/console/sign-in"

record=$(curl -fs -b "$jar" "$base/console/quarantine" | grep -o 'href="/console/quarantine/[0-9]*"' | head -n 1 | tr -dc 0-9)
pages=(/console /console/files /console/files/1 /console/quarantine "/console/quarantine?status=all"
    "/console/quarantine/$record" /console/exchanges "/console/people?q=0457812K" /console/people/1
    /console/reports /console/reports/dashboard /console/users /console/keys /console/audit)

printf '%-34s %10s %10s %10s\n' page octets p50_ms max_ms
json=""
over=0
for path in "${pages[@]}"; do
    times=()
    size=0
    for _ in $(seq 1 "$requests"); do
        read -r code bytes seconds < <(curl -s -b "$jar" -o /dev/null -w '%{http_code} %{size_download} %{time_total}\n' "$base$path")
        [ "$code" = 200 ] || { echo "$path: HTTP $code" >&2; exit 1; }
        size=$bytes
        times+=("$seconds")
    done
    read -r p50 max < <(printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {printf "%.1f %.1f\n", a[int((NR+1)/2)]*1000, a[NR]*1000}')
    printf '%-34s %10s %10s %10s\n' "$path" "$size" "$p50" "$max"
    if [ "$size" -ge 102400 ] || awk "BEGIN {exit !($p50 >= 100)}"; then over=1; fi
    json="$json${json:+,}{\"page\":\"$path\",\"bytes\":$size,\"p50_ms\":$p50,\"max_ms\":$max}"
done
verdict=$([ "$over" -eq 0 ] && echo "sous 100 Ko et 100 ms" || echo "au-dessus de la cible")
echo "Verdict : $verdict"
echo "BENCH_CONSOLE_JSON {\"requests\":$requests,\"pages\":[$json],\"within_target\":$([ "$over" -eq 0 ] && echo true || echo false)}"
