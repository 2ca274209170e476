#!/usr/bin/env bash
# The thumbnail benchmark's ratio to libvips: times `vipsthumbnail` (Debian's libvips-tools) making a
# 384 px JPEG from the PNG the criterion bench uses, which `cargo bench -p flux-krea-core --bench
# history -- thumbnail` writes to $TMPDIR/flux-krea-history-bench-v2/. Prints the median of N runs
# (default 30), process start included, and the same without it (`vips` loading nothing: `--vips-version`).
#   scripts/measure-vipsthumbnail.sh [runs]
set -euo pipefail
source="${TMPDIR:-/tmp}/flux-krea-history-bench-v2/thumbnail-source-1024.png"
[ -f "$source" ] || { echo "no $source: run the thumbnail bench first" >&2; exit 1; }
command -v vipsthumbnail >/dev/null || { echo "vipsthumbnail is missing: apt-get install libvips-tools" >&2; exit 1; }
runs="${1:-30}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
time_ms() { local s e; s=$(date +%s%N); "$@" >/dev/null 2>&1; e=$(date +%s%N); echo $(((e - s) / 1000)); }
thumb=$(for _ in $(seq "$runs"); do time_ms vipsthumbnail "$source" --size 384 -o "$out/t.jpg[Q=82]"; done | median)
bare=$(for _ in $(seq "$runs"); do time_ms vips --vips-version; done | median)
echo "vipsthumbnail 1024 px PNG → 384 px JPEG: median $((thumb / 1000)).$(((thumb % 1000) / 100)) ms a run, of which starting the process $((bare / 1000)).$(((bare % 1000) / 100)) ms ($runs runs)"
