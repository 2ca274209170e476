#!/usr/bin/env bash
# Measures the Gallery of the real app over a seeded history (default 10,000 items): time to the
# first tiles and frame intervals while flinging through every page, and memory: the app's process
# tree idle and after the fling, then the app alone next to WebKitGTK's own floor (MiniBrowser on
# a blank page). Prints README table rows.
# Measures FLUX_KREA_APP_BIN, by default target/e2e/flux-krea-desktop (built by scripts/test.sh);
# FLUX_KREA_APP_BIN=target/release/flux-krea-desktop measures the release build (scripts/package.sh).
#   scripts/measure-gallery.sh [count] [--idle-only | --first N]   (--first: fling the newest N only)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FLUX_KREA_MEASURE_SESSION:-}" ]; then
  FLUX_KREA_MEASURE_SESSION=1 exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi
target_dir="${CARGO_TARGET_DIR:-target}"
export FLUX_KREA_APP_BIN="${FLUX_KREA_APP_BIN:-$target_dir/e2e/flux-krea-desktop}"
[ -x "$FLUX_KREA_APP_BIN" ] || { echo "no app binary at $FLUX_KREA_APP_BIN: run scripts/test.sh" >&2; exit 1; }
cargo build -q -p flux-krea-cli
export FLUX_KREA_CLI_BIN="$target_dir/debug/flux-krea-cli"
log="$(mktemp)"
# The app's own log lines go to the file; shown only when the measurement fails.
cargo run -q -p flux-krea-e2e --example gallery_scroll -- "${1:-10000}" "${@:2}" 2>"$log" || { grep -v DEBUG "$log" | tail -20 >&2; exit 1; }
grep -E "^(first tiles|after the Gallery|Error|  )" "$log" >&2 || true
cargo run -q -p flux-krea-e2e --example memory_floor -- "${1:-10000}" 2>"$log" || { grep -v DEBUG "$log" | tail -20 >&2; exit 1; }
grep -E "^(the app|MiniBrowser|  )" "$log" >&2 || true
