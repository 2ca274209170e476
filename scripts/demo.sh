#!/usr/bin/env bash
# Try the whole generation flow offline: starts the local Replicate fake (it serves real, labelled
# FAKE images) and the app pointed at it, with a demo token and a separate demo data folder, so
# your real history and keychain are untouched.
#   scripts/demo.sh          the app (development build)
#   scripts/demo.sh --cli    one CLI generation instead of the window
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
cargo build -q -p flux-krea-fakes --bin flux-krea-fakes -p flux-krea-cli
target="${CARGO_TARGET_DIR:-target}"
work="$(mktemp -d)"
"$target/debug/flux-krea-fakes" replicate >"$work/fake.out" 2>"$work/fake.err" &
fake_pid=$!
trap 'kill "$fake_pid" 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 1 100); do
  grep -q '^FLUX_KREA_REPLICATE_URL=' "$work/fake.out" 2>/dev/null && break
  sleep 0.1
done
url="$(sed -n 's/^FLUX_KREA_REPLICATE_URL=//p' "$work/fake.out" | head -n1)"
[ -n "$url" ] || { echo "the fake did not start:" >&2; cat "$work/fake.err" >&2; exit 1; }
export FLUX_KREA_REPLICATE_URL="$url"
export REPLICATE_API_TOKEN=r8_demo_fake_token
export FLUX_KREA_DATA_DIR="${FLUX_KREA_DEMO_DIR:-${XDG_DATA_HOME:-$HOME/.local/share}/flux-krea-demo}"
echo "demo: Replicate fake at $url, data in $FLUX_KREA_DATA_DIR" >&2
if [ "${1:-}" = "--cli" ]; then
  "$target/debug/flux-krea-cli" generate --model flux-schnell --prompt "a lighthouse at dusk, demo" --n 2
else
  npx tauri dev
fi
