#!/usr/bin/env bash
# chartmill on real scanned business forms (FUNSD-style folders).
#
#   bash bench/funsd.sh [--data DIR] [--pipeline FILE] [--kinds TSV] [--jobs N]
#                       [--scale K] [--diagnose] [--out report.json] [--bin CHARTMILL] [--keep]
#
#   --data      a folder with images/NAME.png and annotations/NAME.json (FUNSD
#               layout); default ../shared/real-forms/funsd-train (from the repo root)
#   --pipeline  default bench/funsd/pipelines/funsd.toml
#   --kinds     image name -> form kind, tab-separated; default bench/funsd/kinds.tsv
#               (a kind that is a document type of the pipeline must be classified
#               as it; any other kind must be left unknown)
#   --jobs      chartmill workers (default 1: leave a core to whoever else works here)
#   --scale K   upscale every image K times first (needs python3 Pillow); the copies
#               are tagged with 90*K dpi (the FUNSD scans are about 90 dpi, untagged)
#   --diagnose  also run `chartmill inspect` on every page (a second OCR pass) so the
#               report can say why values were missed (label read? title read?)
#   --out       write the report as JSON (no form text in it)
#   --bin       the chartmill binary; default $CHARTMILL, else target/release/chartmill
#   --keep      keep the work folder (archive, database, export) and print its path
#
# Each image is its own chart (a folder of one page). The truth comes from the
# annotations, by the pipeline's own labels (bench/funsd.py). The FUNSD files are
# read where they are and copied (hard-linked when possible) only into a temporary
# folder; never into the repository: FUNSD is for non-commercial research only.
# Always exits 0 once the report is printed (the figures are the result).
set -euo pipefail
cd "$(dirname "$0")/.."

data=../shared/real-forms/funsd-train
pipeline=bench/funsd/pipelines/funsd.toml
kinds=bench/funsd/kinds.tsv
jobs=1
scale=
diagnose=0
out=
keep=0
bin="${CHARTMILL:-target/release/chartmill}"
while [ $# -gt 0 ]; do
  case "$1" in
    --data) data="$2"; shift 2 ;;
    --pipeline) pipeline="$2"; shift 2 ;;
    --kinds) kinds="$2"; shift 2 ;;
    --jobs) jobs="$2"; shift 2 ;;
    --scale) scale="$2"; shift 2 ;;
    --diagnose) diagnose=1; shift ;;
    --out) out="$2"; shift 2 ;;
    --bin) bin="$2"; shift 2 ;;
    --keep) keep=1; shift ;;
    -h|--help) sed -n '2,27p' "$0"; exit 0 ;;
    *) echo "funsd.sh: unknown argument $1" >&2; exit 2 ;;
  esac
done
[ -d "$data/images" ] && [ -d "$data/annotations" ] || { echo "funsd.sh: $data has no images/ and annotations/" >&2; exit 2; }
[ -x "$bin" ] || { echo "funsd.sh: no chartmill binary at $bin (build it, or pass --bin / CHARTMILL)" >&2; exit 2; }
"$bin" check-pipeline "$pipeline" >&2

work="$(mktemp -d /tmp/chartmill-funsd.XXXXXX)"
if [ "$keep" = 1 ]; then echo "work folder: $work" >&2; else trap 'rm -rf "$work"' EXIT; fi

python3 bench/funsd.py prepare --data "$data" --archive "$work/archive" ${scale:+--scale "$scale"}

echo "chartmill run --jobs $jobs ($("$bin" --version 2>/dev/null || echo chartmill), $(git rev-parse --short HEAD 2>/dev/null || echo '?'))" >&2
start=$(date +%s)
"$bin" run "$work/archive" --db "$work/db" --pipeline "$pipeline" --jobs "$jobs" --progress none > "$work/run.log" 2>&1 || true
end=$(date +%s)
grep -E '^(charts|  accepted|  in review|pages|time)' "$work/run.log" >&2 || cat "$work/run.log" >&2
"$bin" export --db "$work/db" --format jsonl -o "$work/export.jsonl"

inspect_args=()
if [ "$diagnose" = 1 ]; then
  mkdir -p "$work/inspect"
  for d in "$work"/archive/*/; do
    n="$(basename "$d")"
    "$bin" inspect "$d/$n.png" --pipeline "$pipeline" > "$work/inspect/$n.txt" 2>/dev/null || true
  done
  inspect_args=(--inspect "$work/inspect")
fi

python3 bench/funsd.py score --data "$data" --kinds "$kinds" --pipeline "$pipeline" \
  --db "$work/db" --export "$work/export.jsonl" ${scale:+--scale "$scale"} \
  "${inspect_args[@]}" ${out:+--out "$out"}
echo "wall time of chartmill run: $((end - start)) s" >&2
exit 0
