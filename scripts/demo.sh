#!/usr/bin/env bash
# Quick start: install what is missing, build chartmill, and run the main job
# on the bundled fixture archive into a SQLite file; prints the batch summary.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
cargo build --release --locked --quiet
db="${1:-chartmill.db}"
./target/release/chartmill run fixtures/archive --db "$db" --operator demo || status=$?
echo
echo "database: $db  (try: ./target/release/chartmill export --db $db --format jsonl | head -n 1)"
exit "${status:-0}"
