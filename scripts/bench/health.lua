-- wrk script: GET /health, the server's ceiling; one summary line for bench-api.sh.
function done(summary, latency, requests)
    io.write(string.format(
        "WRK_JSON {\"requests\":%d,\"seconds\":%.3f,\"non2xx\":%d,\"socketErrors\":%d,\"p50ms\":%.2f,\"p90ms\":%.2f,\"p99ms\":%.2f,\"maxms\":%.2f}\n",
        summary.requests, summary.duration / 1e6, summary.errors.status,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000))
end
