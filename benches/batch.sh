#!/usr/bin/env bash
# Batch benchmark: generates an archive of N (200) applications (photos,
# ID cards, form photos, a quarter of them 12 MP; a third of the
# applications zipped) and times `prescreen batch` over it on all cores.
#
#   benches/batch.sh [N]
set -euo pipefail
cd "$(dirname "$0")/.."
n="${1:-200}"
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cargo build --release --quiet
cargo run --release --quiet --example make_archive -- "$work/archive" "$n"
start=$(date +%s.%N)
target/release/prescreen batch --plan ecommerce-l2 --clause 1 --quiet \
    --out "$work/results.jsonl" "$work/archive" > "$work/summary.txt" || true
end=$(date +%s.%N)
files=$(python3 -c "import json,sys; print(sum(len(json.loads(l)['files']) for l in open('$work/results.jsonl')))")
python3 - "$start" "$end" "$n" "$files" <<'PY'
import sys
start, end, n, files = float(sys.argv[1]), float(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
s = end - start
print(f"{n} applications, {files} file reports in {s:.2f} s: {n/s:.1f} applications/s, {files/s:.1f} files/s")
PY
head -1 "$work/summary.txt"
