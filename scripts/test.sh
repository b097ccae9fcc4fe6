#!/usr/bin/env bash
# The test command: install what is missing, then run every test (unit and
# end-to-end; the end-to-end tests run real Tesseract on the fixture scans
# and drive the verification station in a real headless Chromium).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh --browser
# libgomp reads OMP_THREAD_LIMIT before main: the test binaries need it from
# outside (the chartmill binary re-executes itself with it).
export OMP_THREAD_LIMIT="${OMP_THREAD_LIMIT:-1}"
cargo test --locked --features synth "$@"
