#!/usr/bin/env bash
# Cold start of the app over a seeded history (default 10,000 items, 5 runs): from the process
# starting to the Gallery painted with its first screenful of thumbnails. Prints a README table row.
# Measures FLUX_KREA_APP_BIN, by default the release binary (scripts/package.sh builds it).
#   scripts/measure-startup.sh [count] [runs]   (FLUX_KREA_STARTUP_LOG=1: the app's log lines too)
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FLUX_KREA_MEASURE_SESSION:-}" ]; then
  FLUX_KREA_MEASURE_SESSION=1 exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi
target_dir="${CARGO_TARGET_DIR:-target}"
export FLUX_KREA_APP_BIN="${FLUX_KREA_APP_BIN:-$target_dir/release/flux-krea-desktop}"
[ -x "$FLUX_KREA_APP_BIN" ] || { echo "no app binary at $FLUX_KREA_APP_BIN: run scripts/package.sh first" >&2; exit 1; }
cargo build -q -p flux-krea-cli
export FLUX_KREA_CLI_BIN="$target_dir/debug/flux-krea-cli"
log="$(mktemp)"
# The app's own log lines go to the file; shown only when the measurement fails.
cargo run -q -p flux-krea-e2e --example startup -- "${1:-10000}" "${2:-5}" 2>"$log" || { grep -v DEBUG "$log" | tail -20 >&2; exit 1; }
grep -E "^(run|phase|log):" "$log" >&2 || true
