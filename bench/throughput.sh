#!/usr/bin/env bash
# Throughput and memory benchmark (issue 6).
#
#   bash bench/throughput.sh [CHARTS] [LARGE_CHARTS] [SEED] [REPEAT]
#
# On one generated archive of CHARTS charts (default 40, about 200 pages):
#   - `chartmill run --jobs 1` and `--jobs N` (N = cores): pages/s, peak RSS,
#     the batch summary's time per stage, and the scaling N vs 1;
#   - what an operator would do instead: the `tesseract` command over the same
#     files, N processes at a time (`xargs -P N`), OMP_THREAD_LIMIT=1 each;
#   - the ratio of chartmill's pages/s to tesseract's.
# Then `chartmill run --jobs N` on a second archive of LARGE_CHARTS charts
# (default 400, about 2,000 pages; 0 skips it) for its peak RSS: memory must
# not grow with the archive. A larger archive also holds more of the largest
# pages (400 dpi, colour), and the peak is set by the largest pages that
# happen to be on the workers together; so, to separate the archive's size
# from its content, chartmill also runs over the first archive repeated
# REPEAT times (default 10, hard links; 0 skips it): the same pages, ten
# times as many of them.
#
# Run it on an otherwise idle machine; the figures in the README came from it.
# Needs /usr/bin/time (Debian package `time`), installed if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
charts="${1:-40}"
large="${2:-400}"
seed="${3:-1}"
repeat="${4:-10}"
jobs="$(nproc)"
work="$(mktemp -d /tmp/chartmill-bench.XXXXXX)"
trap 'rm -rf "$work"' EXIT

bash scripts/setup.sh >/dev/null
command -v /usr/bin/time >/dev/null || apt-get install -y -qq time >/dev/null
command -v bc >/dev/null || apt-get install -y -qq bc >/dev/null
cargo build --release --locked --quiet --features synth 2>/dev/null
bin=./target/release/chartmill

echo "machine: $(nproc) cores, $(awk '/MemTotal/ {printf "%.0f GiB", $2/1048576}' /proc/meminfo), $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //')"
echo "tesseract: $(tesseract --version 2>&1 | head -1); chartmill $(git rev-parse --short HEAD 2>/dev/null || echo '?')"
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"

# run_chartmill NAME ARCHIVE JOBS -> "seconds peak_kib pages", and keeps the summary
run_chartmill() {
  rm -f "$work/db"*
  /usr/bin/time -f "%e %M" -o "$work/time.$1" \
    $bin run "$2" --db "$work/db" --jobs "$3" --progress none >"$work/summary.$1" 2>&1 || true
  local secs rss
  read -r secs rss < <(tail -1 "$work/time.$1")
  local pages
  pages=$(grep -oE '^pages: [0-9]+' "$work/summary.$1" | grep -oE '[0-9]+' || echo 0)
  echo "$secs $rss $pages"
}

report() { # NAME SECS RSS PAGES RUN
  printf '%-28s %7.1f s  %6.2f pages/s  peak RSS %6.1f MiB\n' "$1" "$2" "$(echo "$4 / $2" | bc -l)" "$(echo "$3 / 1024" | bc -l)"
  grep -E '^(stage time|ocr: )' "$work/summary.$5" | sed 's/^/    /' || true
}

$bin synth "$work/small" --charts "$charts" --seed "$seed" >/dev/null
files=$(find "$work/small/archive" -type f | wc -l)

read -r s1 rss1 p1 < <(run_chartmill j1 "$work/small/archive" 1)
# --jobs N three times: which pages happen to be on the workers together
# moves the peak RSS by +-10 % from run to run; the median time counts.
read -r sa rssa pn < <(run_chartmill jn "$work/small/archive" "$jobs")
read -r sb rssb _ < <(run_chartmill jn2 "$work/small/archive" "$jobs")
read -r sc rssc _ < <(run_chartmill jn3 "$work/small/archive" "$jobs")
sn=$(printf '%s\n' "$sa" "$sb" "$sc" | sort -n | sed -n 2p)
rssn=$(printf '%s\n' "$rssa" "$rssb" "$rssc" | sort -n | tail -1)
rssmin=$(printf '%s\n' "$rssa" "$rssb" "$rssc" | sort -n | head -1)
rssmed=$(printf '%s\n' "$rssa" "$rssb" "$rssc" | sort -n | sed -n 2p)

# Raw Tesseract: one process per file, as an operator would script it
# (a multi-page TIFF is read whole by one process).
start=$(date +%s.%N)
find "$work/small/archive" -type f -print0 |
  OMP_THREAD_LIMIT=1 xargs -0 -P "$jobs" -I{} sh -c 'tesseract "$1" - >/dev/null 2>&1 || true' _ {}
traw=$(echo "$(date +%s.%N) - $start" | bc -l)

echo
echo "archive: $charts charts, $pn pages in $files files (seed $seed)"
report "chartmill --jobs 1" "$s1" "$rss1" "$p1" j1
report "chartmill --jobs $jobs (median of 3)" "$sn" "$rssn" "$pn" jn
printf '    peak RSS over the 3 runs: %.1f to %.1f MiB\n' "$(echo "$rssmin / 1024" | bc -l)" "$(echo "$rssn / 1024" | bc -l)"
printf '%-28s %7.1f s  %6.2f pages/s\n' "tesseract, xargs -P $jobs" "$traw" "$(echo "$pn / $traw" | bc -l)"
printf 'scaling --jobs %s / --jobs 1:  x%.2f\n' "$jobs" "$(echo "($pn / $sn) / ($p1 / $s1)" | bc -l)"
printf 'chartmill / tesseract:       x%.2f\n' "$(echo "($pn / $sn) / ($pn / $traw)" | bc -l)"

# memory_run NAME ARCHIVE TITLE: chartmill --jobs N over ARCHIVE, its peak RSS
# against the 3 runs over the first archive.
memory_run() {
  local secs rss pages
  read -r secs rss pages < <(run_chartmill "$1" "$2" "$jobs")
  echo
  echo "archive: $3, $pages pages"
  report "chartmill --jobs $jobs" "$secs" "$rss" "$pages" "$1"
  printf 'peak RSS %s pages / %s pages: x%.2f of the highest of its 3 runs, x%.2f of the median\n' \
    "$pages" "$pn" "$(echo "$rss / $rssn" | bc -l)" "$(echo "$rss / $rssmed" | bc -l)"
}

if [ "$repeat" -gt 0 ]; then
  for i in $(seq 1 "$repeat"); do
    mkdir -p "$work/rep/copy-$i"
    cp -al "$work/small/archive/." "$work/rep/copy-$i/"
  done
  memory_run rep "$work/rep" "the $charts charts $repeat times over (same pages)"
  rm -rf "$work/rep"
fi

if [ "$large" -gt 0 ]; then
  rm -rf "$work/small"
  $bin synth "$work/large" --charts "$large" --seed "$((seed + 1))" >/dev/null
  memory_run large "$work/large/archive" "$large charts"
fi
