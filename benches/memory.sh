#!/usr/bin/env bash
# Peak memory of `prescreen serve` under concurrent 20 MB uploads, and of
# `prescreen batch` with the default jobs, for the README's memory formula.
#
#   benches/memory.sh [CONCURRENT] [APPLICATIONS]
#
# Starts the release server with its defaults (workers = cores), posts
# CONCURRENT (32) uploads of 19.9 MB at once, half two 9.9 MB 12 MP form
# photos and half a zip of a whole application (three such photos), all
# checked in full, and reads the server's VmHWM; then
# runs batch over a generated archive (benches/make_archive) under
# /usr/bin/time. Needs curl.
set -euo pipefail
cd "$(dirname "$0")/.."

concurrent="${1:-32}"
apps="${2:-60}"
port="${PRESCREEN_LOAD_PORT:-18182}"
work="$(mktemp -d)"
trap 'kill "${server:-}" 2>/dev/null || true; rm -rf "$work"' EXIT

cargo build --release --quiet --examples
cargo build --release --quiet
target/release/examples/make_load_files "$work" 2>/dev/null

RUST_LOG=warn target/release/prescreen serve --bind "127.0.0.1:${port}" &
server=$!
for _ in $(seq 50); do
    curl -fs "http://127.0.0.1:${port}/healthz" >/dev/null 2>&1 && break
    sleep 0.1
done
hwm() { awk '/VmHWM/ {print $2}' "/proc/$server/status"; }
echo "serve: idle peak RSS $(hwm) KiB"

statuses="$work/statuses"
for i in $(seq "$concurrent"); do
    if (( i % 2 )); then
        parts=(-F "application_form=@$work/form-10mb.jpg" -F "integrity_pledge=@$work/form-10mb.jpg")
    else
        parts=(-F "file=@$work/application-20mb.zip")
    fi
    curl -s -o /dev/null -w '%{http_code}\n' "${parts[@]}" "http://127.0.0.1:${port}/v1/check" >> "$statuses" &
done
wait $(jobs -p | grep -v "^$server$") 2>/dev/null || true
sleep 0.2
echo "serve: $concurrent concurrent 19.9 MB uploads: answers $(sort "$statuses" | uniq -c | tr '\n' ' ')"
echo "serve: peak RSS $(hwm) KiB"
kill "$server"; wait "$server" 2>/dev/null || true
unset server

target/release/examples/make_archive "$work/archive" "$apps" >/dev/null 2>&1
/usr/bin/time -f "batch: $apps applications, default jobs: peak RSS %M KiB, %e s" \
    target/release/prescreen batch --out "$work/results.jsonl" "$work/archive" >/dev/null 2>"$work/batch.err" || true
tail -1 "$work/batch.err"
