#!/usr/bin/env bash
# API benchmark: records pushed through POST /v1/flows/{flow}/records into a fresh SQLite store, per second, with
# p50/p99 latency, against the same server's GET /health as the ceiling. wrk (Debian) drives the load on
# loopback; it is installed when missing.
#   bash scripts/bench-api.sh [--records N] [--connections C] [--threads T] [--duration S] [--port P]
# Targets: ≥ 2,000 records/s into SQLite with p99 under 50 ms. Last line: BENCH_API_JSON {…}.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

records=50 connections=2 threads=2 duration=15 port=18089
while [ $# -gt 0 ]; do
    case "$1" in
        --records) records="$2"; shift 2 ;;
        --connections) connections="$2"; shift 2 ;;
        --threads) threads="$2"; shift 2 ;;
        --duration) duration="$2"; shift 2 ;;
        --port) port="$2"; shift 2 ;;
        *) echo "unknown argument: $1" >&2; exit 2 ;;
    esac
done

if ! command -v wrk >/dev/null 2>&1; then
    if [ "$(id -u)" -eq 0 ] && command -v apt-get >/dev/null 2>&1; then
        echo "wrk missing: installing it from Debian" >&2
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null \
            || { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq wrk >/dev/null; }
    else
        echo "wrk missing: apt-get install -y wrk" >&2
        exit 1
    fi
fi

# shellcheck source=bench/release-server.sh
source scripts/bench/release-server.sh

store="$work/gateway.sqlite"
key="$("$gw" keys add --quiet --store "$store" --partner job-connexion --scope flow:jobconnexion-cv:in)"
# No rate limit for the benchmark's key: the load is the point.
start_api "$port" --store "$store" --rate 0

run_wrk() { # script, path, extra args…
    local script="$1" path="$2"
    shift 2
    wrk -t "$threads" -c "$connections" -d "${duration}s" --latency -s "$script" "http://127.0.0.1:$port$path" "$@" \
        | grep '^WRK_JSON ' | sed 's/^WRK_JSON //'
}

echo "== warm-up (3 s)"
wrk -t 1 -c 1 -d 3s -s scripts/bench/push-records.lua "http://127.0.0.1:$port/" -- "$records" "$key" >/dev/null
echo "== push: $records records per request, $connections connections, ${duration} s"
push="$(run_wrk scripts/bench/push-records.lua / -- "$records" "$key")"
echo "$push"
echo "== /health: $connections connections, ${duration} s"
health="$(run_wrk scripts/bench/health.lua /health)"
echo "$health"
kill "$server"
wait "$server" 2>/dev/null || true
server=""
stored="$("$gw" export partner-records --quiet --store "$store" --format csv | tail -n +2 | wc -l)"

python3 - "$push" "$health" "$records" "$stored" <<'PY'
import json, sys
push, health = json.loads(sys.argv[1]), json.loads(sys.argv[2])
records, stored = int(sys.argv[3]), int(sys.argv[4])
ok = push["requests"] - push["non2xx"]
rps = ok / push["seconds"]
records_per_s = rps * records
health_rps = health["requests"] / health["seconds"]
result = {
    "recordsPerRequest": records, "pushRequestsPerSecond": round(rps, 1), "recordsPerSecond": round(records_per_s),
    "pushP50ms": push["p50ms"], "pushP99ms": push["p99ms"], "pushNon2xx": push["non2xx"],
    "healthRequestsPerSecond": round(health_rps), "healthP50ms": health["p50ms"], "healthP99ms": health["p99ms"],
    "requestRatioToHealth": round(rps / health_rps, 4), "recordsToHealthRatio": round(records_per_s / health_rps, 3),
    "recordsInStore": stored,
    "targets": {"recordsPerSecond>=2000": records_per_s >= 2000, "p99<50ms": push["p99ms"] < 50},
}
print(f"records/s {records_per_s:,.0f} ({rps:,.1f} requests/s of {records} records), p50 {push['p50ms']} ms, "
      f"p99 {push['p99ms']} ms; /health {health_rps:,.0f} requests/s (p50 {health['p50ms']} ms, p99 {health['p99ms']} ms); "
      f"push requests / health requests = {rps / health_rps:.4f}, records/s / health requests/s = "
      f"{records_per_s / health_rps:.3f}; {stored:,} records in the store")
print("BENCH_API_JSON " + json.dumps(result))
PY
