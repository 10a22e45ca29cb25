#!/usr/bin/env bash
# Load test of `prescreen serve`: the release server in one process, wrk in
# another, 32 connections posting the sample 1-inch photo to
# POST /v1/check/photo. Prints throughput, latency percentiles, errors
# (connection errors and non-2xx answers) and the server's peak RSS.
#
#   benches/load.sh [DURATION_SECONDS] [CONNECTIONS]
#
# Needs wrk (apt-get install wrk); builds the release binary.
set -euo pipefail
cd "$(dirname "$0")/.."

duration="${1:-20}"
connections="${2:-32}"
port="${PRESCREEN_LOAD_PORT:-18181}"

command -v wrk >/dev/null || { echo "wrk is needed: apt-get install wrk" >&2; exit 2; }
cargo build --release --quiet

RUST_LOG=warn target/release/prescreen serve --bind "127.0.0.1:${port}" &
server=$!
trap 'kill "$server" 2>/dev/null || true' EXIT
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done

script="$(mktemp --suffix=.lua)"
cat > "$script" <<LUA
local f = io.open("fixtures/sample-application/一寸照.jpg", "rb")
wrk.method = "POST"
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "image/jpeg"
done = function(summary, latency, requests)
    io.write(string.format("requests: %d in %.1f s = %.0f req/s\n",
        summary.requests, summary.duration / 1e6, summary.requests / (summary.duration / 1e6)))
    for _, p in ipairs({50, 90, 99, 99.9}) do
        io.write(string.format("latency p%s: %.2f ms\n", p, latency:percentile(p) / 1000))
    end
    io.write(string.format("errors: connect %d, read %d, write %d, timeout %d, non-2xx %d\n",
        summary.errors.connect, summary.errors.read, summary.errors.write,
        summary.errors.timeout, summary.errors.status))
end
LUA

wrk -t 2 -c "$connections" -d "${duration}s" --latency -s "$script" \
    "http://127.0.0.1:${port}/v1/check/photo" | grep -E "^(requests|latency|errors)"
echo "server peak RSS: $(awk '/VmHWM/ {print $2, $3}' "/proc/${server}/status")"
rm -f "$script"
