#!/usr/bin/env bash
# Screenshots of the real app under Xvfb, one per theme: docs/screenshot-<screen>-{light,dark}.png.
# Usage: scripts/screenshot.sh [create|gallery|account|privacy|settings|viewer|compare|lineage] [seed-count]
# With a seed count, the history is filled with that many synthetic items first.
# create/account screens also get a few jobs made against the local Replicate fake (FAKE images)
# (create also two saved styles and a draft with variations on two models)
# and a key stored in a throwaway keychain; account also signs in to the platform fake (curl plays
# the browser), buys a pack and generates with credits, so they show real content.
# settings serves the update fake on the test feed's port, so the update banner shows 9.9.9.
# viewer, compare and lineage are reached by driving the app over WebDriver (tauri-driver) with
# tests/e2e/examples/screenshots.rs, which makes its own history against the Replicate fake.
# Uses target/e2e/flux-krea-desktop (built by scripts/test.sh, with its test update feed).
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
cargo build -q -p flux-krea-cli -p flux-krea-fakes
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

case "$screen" in
  viewer | compare | lineage)
    cargo build -q -p flux-krea-e2e --example screenshots
    for theme in light dark; do
      DISPLAY="$display" "$target_dir/debug/examples/screenshots" "$screen" "$theme" "docs/screenshot-$screen-$theme.png"
    done
    exit 0
    ;;
esac

with_jobs=0
if [ "$screen" = settings ]; then
  "$target_dir/debug/flux-krea-fakes" updates --port "${FLUX_KREA_UPDATE_TEST_PORT:-47391}" >/dev/null 2>&1 &
  pids+=($!)
fi
if [ "$screen" = create ] || [ "$screen" = account ]; then
  with_jobs=1
  "$target_dir/debug/flux-krea-fakes" replicate >"$tmp/fake.out" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q '^FLUX_KREA_REPLICATE_URL=' "$tmp/fake.out" && break; sleep 0.1; done
  export FLUX_KREA_REPLICATE_URL="$(sed -n 's/^FLUX_KREA_REPLICATE_URL=//p' "$tmp/fake.out")"
  "$target_dir/debug/flux-krea-fakes" platform >"$tmp/platform.out" 2>/dev/null &
  pids+=($!)
  for _ in $(seq 1 100); do grep -q '^FLUX_KREA_PLATFORM_URL=' "$tmp/platform.out" && break; sleep 0.1; done
  export FLUX_KREA_PLATFORM_URL="$(sed -n 's/^FLUX_KREA_PLATFORM_URL=//p' "$tmp/platform.out")"
  export FLUX_KREA_PLATFORM_ANON_KEY=fake-anon-key
fi

# Plays the system browser for a CLI verb that prints a URL and waits: follows the broker's
# redirect to the loopback callback (sign-in) or submits the checkout page's Pay form.
browse() {
  local err="$tmp/verb.err" url
  "$@" --no-browser 2>"$err" >/dev/null &
  local verb=$!
  for _ in $(seq 1 100); do grep -q '^  http' "$err" && break; sleep 0.1; done
  url="$(grep -m1 '^  http' "$err" | tr -d ' ')"
  case "$url" in
    */checkout/*) curl -s -X POST "$url/pay" >/dev/null ;;
    *) curl -s "$(curl -s -o /dev/null -w '%{redirect_url}' "$url")" >/dev/null ;;
  esac
  wait "$verb"
}

for theme in light dark; do
  home="$tmp/$theme"
  # An isolated install per theme; the theme is preset through the CLI, like a user would.
  export DISPLAY="$display" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache" \
    FLUX_KREA_DATA_DIR="$home/app" FLUX_KREA_LOG_DIR="$home/logs" FLUX_KREA_CONFIG="$home/config.toml"
  cli="$target_dir/debug/flux-krea-cli"
  "$cli" settings set theme "$theme" >/dev/null
  if [ "$with_jobs" = 1 ]; then
    mkdir -p "$XDG_DATA_HOME"
    eval "$(printf shot | gnome-keyring-daemon --unlock --components=secrets)"
    # The keychain outlives the theme's data folder: start signed out.
    "$cli" account sign-out >/dev/null
    printf r8_demo_fake_token | "$cli" key set >/dev/null
    "$cli" spend --budget 10 >/dev/null
    "$cli" generate --model flux-schnell --prompt "a lighthouse on a cliff at dusk, long exposure" --n 4 >/dev/null 2>&1
    "$cli" generate --model flux-dev --prompt "a ceramic teapot shaped like a fox, studio light" --n 2 >/dev/null 2>&1
    "$cli" generate --model flux-1.1-pro --prompt "isometric city block in the rain" >/dev/null 2>&1
    if [ "$screen" = create ]; then
      # The prompt editor as a user leaves it: two saved styles, one applied to a prompt with
      # variations on two models (the draft the app restores at start), so the plan shows.
      "$cli" styles add Noir --before "film noir still of" --after "high contrast, 35 mm grain" >/dev/null
      "$cli" styles add "Soft pastel" --after "soft pastel palette, gentle light" --aspect-ratio 4:5 >/dev/null
      sqlite3 "$FLUX_KREA_DATA_DIR/history.db" "INSERT INTO prompt_draft (id, draft, updated_at) VALUES (1,
        '{\"model\":\"flux-schnell\",\"prompt\":\"a detective in a {rainy|foggy} alley\",\"models\":[\"flux-dev\"],\"style\":\"Noir\"}', 0)"
    fi
    if [ "$screen" = account ]; then
      browse "$cli" account sign-in --provider google --confirm-age
      browse "$cli" credits buy pack_100
      "$cli" generate --model flux-krea-dev --prompt "a paper boat on a puddle" --n 2 >/dev/null 2>&1
    fi
  fi
  if [ "$seed" -gt 0 ]; then
    "$cli" retention set --forever >/dev/null
    "$cli" seed --count "$seed" >/dev/null
  fi
  "$app" --screen "$screen" &
  pid=$!
  sleep 8
  import -window root "docs/screenshot-$screen-$theme.png"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
  echo "docs/screenshot-$screen-$theme.png"
done
