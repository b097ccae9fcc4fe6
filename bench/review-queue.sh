#!/usr/bin/env bash
# The verification station over the fixtures' whole review queue, in a real
# browser (issue 15): every flagged chart resolved without leaving the
# station, no record lost, and the keystrokes per flagged field.
#
#   bash bench/review-queue.sh [FIXTURES.db]
#
# FIXTURES.db: a database the fixture archive was run into (it is copied,
# never changed); without it the fixtures are run first (about 35 s with
# the release build). Then a technician is added to the copy and
# examples/review_queue.rs starts `chartmill serve` and chromedriver
# (Debian's chromium and chromium-driver, headless), works through the
# queue with the keyboard as a technician would, the true values taken
# from fixtures/truth.jsonl, and prints the report: charts resolved,
# keystrokes per confirmation and per correction, the review core's
# refusals, `chartmill eval` before and after the review, and the records
# before, after and in the truth.
#
# KEEP=1 keeps the working folder (the reviewed database, details.json with
# every field's record, report.txt); CARGO_TARGET_DIR is honoured.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$PWD

for f in /usr/bin/chromium /usr/bin/chromedriver; do
  if [ ! -x "$f" ]; then
    echo "review-queue: $f is missing (bash scripts/setup.sh installs chromium and chromium-driver)" >&2
    exit 2
  fi
done

cargo build --release --features synth --bin chartmill --example review_queue
target="${CARGO_TARGET_DIR:-$root/target}"
bin="$target/release/chartmill"
driver="$target/release/examples/review_queue"

work=$(mktemp -d "${TMPDIR:-/tmp}/review-queue.XXXXXX")
if [ "${KEEP:-0}" = 1 ]; then
  echo "review-queue: working folder $work" >&2
else
  trap 'rm -rf "$work"' EXIT
fi
db="$work/review.db"

if [ -n "${1:-}" ]; then
  # A copy: the station changes the database it serves.
  cp "$1" "$db"
  for ext in -wal -shm; do [ -f "$1$ext" ] && cp "$1$ext" "$db$ext"; done
else
  # Exit code 1 means some page could not be read: the fixtures hold an
  # unreadable page on purpose.
  "$bin" run fixtures/archive --db "$db" --progress none >&2 || [ $? = 1 ]
fi

user=bench-tech
password=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
printf '%s\n' "$password" | "$bin" user add "$user" --role technician --db "$db" >/dev/null

REVIEW_QUEUE_PASSWORD=$password "$driver" \
  --chartmill "$bin" --db "$db" --user "$user" \
  --truth "$root/fixtures/truth.jsonl" --archive "$root/fixtures/archive" \
  --details "$work/details.json" | tee "$work/report.txt"
