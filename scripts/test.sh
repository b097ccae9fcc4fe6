#!/usr/bin/env bash
# The test command: install what is missing, then run every test (unit and
# end-to-end; the end-to-end tests run real Tesseract on the fixture scans).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo test --locked "$@"
