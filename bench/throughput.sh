#!/usr/bin/env bash
# Throughput and memory benchmark (issue 6): chartmill vs raw parallel
# Tesseract on the same generated pages, peak RSS, scaling with --jobs.
#
#   bash bench/throughput.sh [CHARTS] [SEED]        # default 40 charts (~200 pages)
#
# Prints pages/s of `chartmill run` (--jobs 1 and --jobs N), of
# `tesseract` over the same pages with xargs -P N (OMP_THREAD_LIMIT=1), their
# ratio, the peak resident memory of each chartmill run, and the batch
# summary's time per stage. Needs /usr/bin/time (Debian package `time`).
set -euo pipefail
cd "$(dirname "$0")/.."
charts="${1:-40}"
seed="${2:-1}"
jobs="$(nproc)"
work="$(mktemp -d /tmp/chartmill-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

bash scripts/setup.sh
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
cargo build --release --locked --quiet
bin=./target/release/chartmill

$bin synth "$work/corpus" --charts "$charts" --seed "$seed" >/dev/null
pages=$(find "$work/corpus/archive" -type f | wc -l)

run_chartmill() { # jobs
  rm -f "$work/db"*
  /usr/bin/time -f "%e %M" -o "$work/time" $bin run "$work/corpus/archive" --db "$work/db" --jobs "$1" --progress none >"$work/summary" 2>&1 || true
  read -r secs rss <"$work/time"
  done_pages=$(grep -oE '^pages: [0-9]+' "$work/summary" | grep -oE '[0-9]+')
  echo "$secs $rss $done_pages"
}

read -r s1 rss1 p1 < <(run_chartmill 1)
read -r sn rssn pn < <(run_chartmill "$jobs")
stages=$(grep '^stage time' "$work/summary" || true)

# Raw Tesseract: one process per page file, as an operator would script it.
# (Multi-page TIFFs are OCR'd whole by one process.)
start=$(date +%s.%N)
find "$work/corpus/archive" -type f -print0 |
  OMP_THREAD_LIMIT=1 xargs -0 -P "$jobs" -I{} sh -c 'tesseract "$1" - >/dev/null 2>&1 || true' _ {}
end=$(date +%s.%N)
traw=$(echo "$end - $start" | bc -l)

python3 - "$p1" "$s1" "$rss1" "$pn" "$sn" "$rssn" "$traw" "$jobs" "$pages" <<'PY'
import sys
p1, s1, rss1, pn, sn, rssn, traw, jobs, files = sys.argv[1:]
p1, s1, pn, sn, traw = int(p1), float(s1), int(pn), float(sn), float(traw)
print(f"pages: {pn} (in {files} files)")
print(f"chartmill --jobs 1   : {p1/s1:6.2f} pages/s  peak RSS {int(rss1)/1024:7.1f} MiB")
print(f"chartmill --jobs {jobs}   : {pn/sn:6.2f} pages/s  peak RSS {int(rssn)/1024:7.1f} MiB  scaling x{(pn/sn)/(p1/s1):.2f}")
print(f"tesseract xargs -P {jobs}: {pn/traw:6.2f} pages/s")
print(f"ratio chartmill/tesseract: {(pn/sn)/(pn/traw):.2f}")
PY
echo "$stages"
