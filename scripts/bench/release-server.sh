# Sourced by the benchmarks that serve the release build on loopback (bench-api.sh, bench-console.sh): builds it
# ($gw), makes a work folder ($work) removed at exit with the server ($server) stopped, and gives
# `start_api PORT ARGS…`, which starts `api` on 127.0.0.1:PORT and waits until /health answers.
swift build -c release --static-swift-stdlib --product insertion-gateway 2>&1 | tail -n 1
gw="$(swift build -c release --static-swift-stdlib --show-bin-path)/insertion-gateway"

work="$(mktemp -d)"
server=""
cleanup() {
    if [ -n "$server" ]; then kill "$server" 2>/dev/null || true; wait "$server" 2>/dev/null || true; fi
    rm -rf "$work"
}
trap cleanup EXIT

start_api() { # port, extra arguments…
    local port="$1"
    shift
    "$gw" api --quiet --listen "127.0.0.1:$port" "$@" &
    server=$!
    for _ in $(seq 1 100); do
        curl -fs "http://127.0.0.1:$port/health" >/dev/null 2>&1 && return 0
        sleep 0.1
    done
    echo "the server did not answer on port $port" >&2
    return 1
}
