#!/usr/bin/env bash
# Builds the release bundles this machine can make: .deb and .rpm (AppImage needs the internet to
# fetch AppRun), with tauri.release.conf.json, so updater .sig files are written beside them.
# Signs with TAURI_SIGNING_PRIVATE_KEY (+ _PASSWORD) when set. Otherwise it signs with a throwaway
# key and makes this build trust that key instead of the release key, so the signatures verify
# (such a build must never be published). Prints the sizes of the binary and bundles at the end.
# Honors CARGO_TARGET_DIR. Takes 10+ minutes on a 2-core machine.
set -euo pipefail
# Resolve a relative CARGO_TARGET_DIR against the caller's directory before moving to the root.
if [ -n "${CARGO_TARGET_DIR:-}" ]; then
  CARGO_TARGET_DIR="$(realpath -m "$CARGO_TARGET_DIR")"
  export CARGO_TARGET_DIR
fi
cd "$(dirname "$0")/.."

if [ ! -x node_modules/.bin/tauri ]; then
  echo "node_modules/.bin/tauri is missing: run scripts/setup.sh first" >&2
  exit 1
fi

target_dir="${CARGO_TARGET_DIR:-$PWD/target}"
bundle_dir="$target_dir/release/bundle"
tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
# Bundles older than this stamp are leftovers of earlier builds, not this one's.
touch "$tmp/build-start"

config_args=(--config tauri.release.conf.json)
if [ -z "${TAURI_SIGNING_PRIVATE_KEY:-}" ]; then
  echo "TAURI_SIGNING_PRIVATE_KEY is not set: signing with a throwaway key this build alone trusts." >&2
  npx tauri signer generate --ci -p "" -w "$tmp/key" >/dev/null
  export TAURI_SIGNING_PRIVATE_KEY="$tmp/key"
  export TAURI_SIGNING_PRIVATE_KEY_PASSWORD=""
  pubkey="$(tr -d '\n' <"$tmp/key.pub")"
  # Merged after the release config, so it replaces the release public key.
  config_args+=(--config "{\"plugins\":{\"updater\":{\"pubkey\":\"$pubkey\"}}}")
fi

npx tauri build "${config_args[@]}" --bundles deb,rpm

size() {
  local file="$1" bytes signed="unsigned"
  bytes="$(stat -c %s "$file")"
  [ -f "$file.sig" ] && signed="signed"
  awk -v b="$bytes" -v f="$file" -v s="$signed" 'BEGIN { printf "%11d bytes %8.2f MiB  %s (%s)\n", b, b / 1048576, f, s }'
}

mapfile -t bundles < <(find "$bundle_dir/deb" "$bundle_dir/rpm" -maxdepth 1 -type f \
  \( -name '*.deb' -o -name '*.rpm' \) -newer "$tmp/build-start" | sort)
if [ "${#bundles[@]}" -lt 2 ]; then
  echo "expected a fresh .deb and .rpm under $bundle_dir, found: ${bundles[*]:-none}" >&2
  exit 1
fi
echo
echo "Sizes:"
awk -v f="$target_dir/release/flux-krea-desktop" -v b="$(stat -c %s "$target_dir/release/flux-krea-desktop")" \
  'BEGIN { printf "%11d bytes %8.2f MiB  %s\n", b, b / 1048576, f }'
for file in "${bundles[@]}"; do
  size "$file"
done
