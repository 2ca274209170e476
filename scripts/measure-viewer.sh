#!/usr/bin/env bash
# Measures the full-size viewer of the real app over 2 MP outputs (1440 × 1440, made by the
# Replicate fake): Enter on a Gallery tile to the original decoded and shown (median of several),
# and → through 200 images (default): the longest frame and the process tree's memory before and
# after. Prints README table rows.
# Measures FLUX_KREA_APP_BIN, by default target/e2e/flux-krea-desktop (the debug build
# scripts/test.sh makes); FLUX_KREA_APP_BIN=target/release/flux-krea-desktop measures the release build.
#   scripts/measure-viewer.sh [count]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FLUX_KREA_MEASURE_SESSION:-}" ]; then
  FLUX_KREA_MEASURE_SESSION=1 exec dbus-run-session -- xvfb-run -a -s "-screen 0 1280x800x24" "$0" "$@"
fi
target_dir="${CARGO_TARGET_DIR:-target}"
export FLUX_KREA_APP_BIN="${FLUX_KREA_APP_BIN:-$target_dir/e2e/flux-krea-desktop}"
[ -x "$FLUX_KREA_APP_BIN" ] || { echo "no app binary at $FLUX_KREA_APP_BIN: run scripts/test.sh" >&2; exit 1; }
# FLUX_KREA_CLI_BIN may name a CLI built from the same tree as the app (their migrations must agree).
if [ -z "${FLUX_KREA_CLI_BIN:-}" ]; then
  cargo build -q -p flux-krea-cli
  export FLUX_KREA_CLI_BIN="$target_dir/debug/flux-krea-cli"
fi
log="$(mktemp)"
# The app's own log lines go to the file; shown only when the measurement fails.
cargo run -q -p flux-krea-e2e --example viewer -- "${1:-200}" 2>"$log" || { grep -v DEBUG "$log" | tail -20 >&2; exit 1; }
grep -E "^(made|opens|Error)" "$log" >&2 || true
