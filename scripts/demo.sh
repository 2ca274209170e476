#!/usr/bin/env bash
# Try the whole product offline: starts the local Replicate fake (it serves real, labelled FAKE
# images) for own-key mode and the real platform service (scripts/platform.sh: Postgres, an S3
# server, two replicas behind nginx, with fakes of Google, GitHub, Stripe and Replicate behind it)
# for account mode, and the app pointed at both, with a demo token and a separate demo data folder,
# so your real history is untouched. "Continue with Google" signs you in as a fake user; "Buy"
# opens the Stripe fake's checkout page, whose Pay button sends the signed webhook.
#   scripts/demo.sh [--fake-platform]          the app (development build)
#   scripts/demo.sh [--fake-platform] --cli    one CLI generation instead of the window
# --fake-platform uses the in-memory platform fake instead (no Postgres or nginx needed).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
fake_platform=0
cli=0
for arg in "$@"; do
  case "$arg" in
    --fake-platform) fake_platform=1 ;;
    --cli) cli=1 ;;
    *) echo "usage: $0 [--fake-platform] [--cli]" >&2; exit 2 ;;
  esac
done
cargo build -q -p flux-krea-fakes --bin flux-krea-fakes -p flux-krea-cli
target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
"$target/debug/flux-krea-fakes" replicate >"$work/fake.out" 2>"$work/fake.err" &
fake_pid=$!
if [ "$fake_platform" = 1 ]; then
  "$target/debug/flux-krea-fakes" platform >"$work/platform.out" 2>"$work/platform.err" &
else
  ./scripts/platform.sh --replicas 2 >"$work/platform.out" 2>"$work/platform.err" &
fi
platform_pid=$!
trap 'kill "$fake_pid" 2>/dev/null || true; kill -TERM "$platform_pid" 2>/dev/null || true; wait "$platform_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
# Prints the value a fake announces on stdout as NAME=value.
announced() {
  for _ in $(seq 1 1200); do
    grep -q "^$2=" "$work/$1.out" 2>/dev/null && break
    sleep 0.1
  done
  sed -n "s/^$2=//p" "$work/$1.out" | head -n1
}
url="$(announced fake FLUX_KREA_REPLICATE_URL)"
[ -n "$url" ] || { echo "the fake did not start:" >&2; cat "$work/fake.err" >&2; exit 1; }
platform="$(announced platform FLUX_KREA_PLATFORM_URL)"
[ -n "$platform" ] || { echo "the platform did not start:" >&2; cat "$work/platform.err" >&2; exit 1; }
export FLUX_KREA_REPLICATE_URL="$url"
export FLUX_KREA_PLATFORM_URL="$platform"
# The broker's public API key (Supabase's anon key is public by design).
if [ "$fake_platform" = 1 ]; then
  export FLUX_KREA_PLATFORM_ANON_KEY=fake-anon-key
else
  FLUX_KREA_PLATFORM_ANON_KEY="$(announced platform FLUX_KREA_PLATFORM_ANON_KEY)"
  export FLUX_KREA_PLATFORM_ANON_KEY
fi
export REPLICATE_API_TOKEN=r8_demo_fake_token
export FLUX_KREA_DATA_DIR="${FLUX_KREA_DEMO_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/flux-krea-demo}"
echo "demo: Replicate fake at $url, platform at $platform, data in $FLUX_KREA_DATA_DIR" >&2
if [ "$cli" = 1 ]; then
  "$target/debug/flux-krea-cli" generate --model flux-schnell --prompt "a lighthouse at dusk, demo" --n 2
else
  npx tauri dev
fi
