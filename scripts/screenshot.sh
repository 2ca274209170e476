#!/usr/bin/env bash
# Screenshots of the real app under Xvfb, one per theme: docs/screenshot-<screen>-{light,dark}.png.
# Usage: scripts/screenshot.sh [create|gallery|account|privacy] [seed-count]
# With a seed count, the history is filled with that many synthetic items first.
# Uses target/e2e/flux-krea-desktop (built by scripts/test.sh), building it if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
screen="${1:-create}"
seed="${2:-0}"
# Own D-Bus session: the app's single-instance check must not find a copy the user is running.
if [ -z "${FLUX_KREA_SCREENSHOT_BUS:-}" ]; then
  FLUX_KREA_SCREENSHOT_BUS=1 exec dbus-run-session -- "$0" "$@"
fi
target_dir="${CARGO_TARGET_DIR:-target}"
app="$target_dir/e2e/flux-krea-desktop"
if [ ! -x "$app" ]; then
  npx tauri build --debug --no-bundle
  mkdir -p "$target_dir/e2e" && cp "$target_dir/debug/flux-krea-desktop" "$app"
fi
cargo build -q -p flux-krea-cli
mkdir -p docs

tmp=$(mktemp -d)
pids=()
cleanup() { kill "${pids[@]}" 2>/dev/null || true; rm -rf "$tmp"; }
trap cleanup EXIT

display=":$((90 + RANDOM % 9))"
# The screen is the window's default size, so the picture is the window and nothing else.
Xvfb "$display" -screen 0 1200x780x24 -nolisten tcp &
pids+=($!)
sleep 1

for theme in light dark; do
  home="$tmp/$theme"
  # An isolated install per theme; the theme is preset through the CLI, like a user would.
  export DISPLAY="$display" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
    FLUX_KREA_DATA_DIR="$home/app" FLUX_KREA_LOG_DIR="$home/logs" FLUX_KREA_CONFIG="$home/config.toml"
  cli="$target_dir/debug/flux-krea-cli"
  "$cli" settings set theme "$theme" >/dev/null
  if [ "$seed" -gt 0 ]; then
    "$cli" retention set --forever >/dev/null
    "$cli" seed --count "$seed" >/dev/null
  fi
  "$app" --screen "$screen" &
  pid=$!
  sleep 5
  import -window root "docs/screenshot-$screen-$theme.png"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  echo "docs/screenshot-$screen-$theme.png"
done
