#!/usr/bin/env bash
# The test command of README.md. The `heic` feature (HEIC input to
# `prescreen fix`) builds libheif from the sources libheif-sys embeds, which
# needs cmake, a C++ compiler and the codec headers; the review app's browser
# test needs Debian's chromium and chromium-driver. Both are installed here
# with apt when missing (as root, or through sudo). Then every test runs with
# them (PRESCREEN_BROWSER_TESTS=1 makes a missing browser a failure, not a
# skip); arguments go to `cargo test`.
set -euo pipefail
cd "$(dirname "$0")/.."

need=()
for pkg in cmake g++ pkg-config libde265-dev libx265-dev libaom-dev libdav1d-dev libnuma-dev libjpeg-dev chromium chromium-driver; do
    dpkg -s "$pkg" >/dev/null 2>&1 || need+=("$pkg")
done
if ((${#need[@]})); then
    echo "scripts/test.sh: installing ${need[*]}" >&2
    sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update -q
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -q --no-install-recommends "${need[@]}"
fi

export PRESCREEN_BROWSER_TESTS=1
exec cargo test --features heic "$@"
