-- wrk script: POST /v1/flows/jobconnexion-cv/records, each request a JSON array of distinct CV deposits (so
-- that no request is a file already received), then one summary line for bench-api.sh.
-- Arguments (after --): records per request, API key.
local threads = {}
local next_id = 0

function setup(thread)
    thread:set("id", next_id)
    next_id = next_id + 1
    table.insert(threads, thread)
end

function init(args)
    records = tonumber(args[1]) or 50
    key = args[2] or ""
    counter = 0
    nonce = tostring(os.time())
end

function request()
    counter = counter + 1
    local parts = {}
    for i = 1, records do
        parts[i] = string.format(
            '{"idProfil":"B%s-%d-%d-%d","personne":{"nom":"BANC","prenom":"Essai","dateNaissance":"1990-01-01"},'
                .. '"cv":{"dateDepot":"2026-10-01","dateMiseAJour":"2026-10-02"},"statut":"ACTIF","visibleEmployeurs":true}',
            nonce, id, counter, i)
    end
    return wrk.format("POST", "/v1/flows/jobconnexion-cv/records",
        { ["Authorization"] = "Bearer " .. key, ["Content-Type"] = "application/json" },
        "[" .. table.concat(parts, ",") .. "]")
end

function done(summary, latency, requests)
    local non2xx = summary.errors.status
    io.write(string.format(
        "WRK_JSON {\"requests\":%d,\"seconds\":%.3f,\"non2xx\":%d,\"socketErrors\":%d,\"p50ms\":%.2f,\"p90ms\":%.2f,\"p99ms\":%.2f,\"maxms\":%.2f}\n",
        summary.requests, summary.duration / 1e6, non2xx,
        summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
        latency:percentile(50) / 1000, latency:percentile(90) / 1000, latency:percentile(99) / 1000,
        latency.max / 1000))
end
