#!/usr/bin/env bash
# Sets everything up, then starts the app in development mode (Vite + the Tauri window).
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
exec npx tauri dev "$@"
