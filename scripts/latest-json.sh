#!/usr/bin/env bash
# Builds the updater feed (latest.json) from signed bundles; see `scripts/latest-json.sh --help`.
# Example:
#   scripts/latest-json.sh --version 1.2.0 --notes-file NOTES.md --artifacts artifacts \
#     --base-url https://github.com/flux-krea/flux-krea-desktop/releases/download/v1.2.0 \
#     --pubkey-from tauri.release.conf.json \
#     --require linux-x86_64,windows-x86_64,darwin-x86_64,darwin-aarch64 -o latest.json
# No `cd`: relative paths in the arguments stay relative to where you run it.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
exec cargo run -q --manifest-path "$root/Cargo.toml" -p flux-krea-release -- latest-json "$@"
