#!/usr/bin/env bash
# The body of scripts/test.sh; expects to run inside `dbus-run-session`.
set -euo pipefail
cd "$(dirname "$0")/.."
step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

[ -n "${DBUS_SESSION_BUS_ADDRESS:-}" ] || { echo "run me through scripts/test.sh" >&2; exit 1; }
# A throwaway keyring: never the user's own (gnome-keyring keeps it under $XDG_DATA_HOME/keyrings).
# scripts/test.sh made the folder (with the bus's way to restart the keyring there).
XDG_DATA_HOME="${FLUX_KREA_TEST_DATA_HOME:-$(mktemp -d)}"
export XDG_DATA_HOME
sqlx_scratch="$(mktemp -d)"
PLATFORM_SERVICES_DIR=""
cleanup() {
  [ -z "$PLATFORM_SERVICES_DIR" ] || ./scripts/platform-services.sh stop "$PLATFORM_SERVICES_DIR"
  rm -rf "$XDG_DATA_HOME" "$sqlx_scratch"
}
trap cleanup EXIT
# A fresh keyring needs a non-empty password to be created unlocked (docs/building.md: "The keychain in a D-Bus session").
eval "$(printf 'test-keyring' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL

# CI builds everything once: incremental caches would only double what target/ holds on disk.
export CARGO_INCREMENTAL="${CARGO_INCREMENTAL:-0}"

step "rustfmt"
cargo fmt --all --check

step "Doc citations point inside the repository"
./scripts/check-doc-links.sh

step "clippy, warnings as errors (every crate, every target, every feature)"
cargo clippy --workspace --all-targets --all-features -- -D warnings

step "The core stays free of Tauri and WebKit"
if cargo tree -p flux-krea-core -e normal --prefix none | grep -qE '^(tauri|wry|webkit2gtk)[ -]'; then
  echo "crates/core depends on tauri/wry/webkit: keep the core window-free" >&2
  exit 1
fi

step "Dependencies: licences, bans, sources (deny.toml), of the app and of the fuzz harness"
# One deny.toml for both: the fuzz harness's exception (libFuzzer's licence) is not in the app's graph.
cargo deny check -A license-exception-not-encountered licenses bans sources
cargo deny --manifest-path fuzz/Cargo.toml check licenses bans sources

step "The platform service's Postgres and S3 server (loopback, throwaway)"
# Assigned first: a failed start stops the script here (an `eval "$(…)"` would hide it).
services_env="$(./scripts/platform-services.sh start)"
eval "$services_env"

step "Rust tests (core, fakes, platform, CLI, shell, e2e harness, bindings freshness, the fuzz corpus replayed)"
# The core's query! macros describe every query live against the migrations (a scratch database)
# and write what they find; it must equal the offline data committed in crates/core/.sqlx.
# The platform's queries the same way, against a Postgres database made from its migrations.
platform_schema_url="$(./scripts/check-sqlx.sh schema "$sqlx_scratch")"
# The macros run only when the crates compile: make sure they do, even with a warm target/.
touch crates/core/src/lib.rs crates/core/tests/it/main.rs
if [ -d crates/platform ]; then touch crates/platform/src/lib.rs crates/platform/tests/it/main.rs; fi
DATABASE_URL="sqlite://$sqlx_scratch/schema.db" PLATFORM_DATABASE_URL="$platform_schema_url" \
  SQLX_OFFLINE_DIR="$sqlx_scratch/described" cargo test --workspace

step "sqlx offline query data (crates/core/.sqlx, crates/platform/.sqlx) is fresh"
./scripts/check-sqlx.sh compare "$sqlx_scratch"

step "The CLI without a keychain: scripts/demo.sh --cli with no D-Bus session and no display (#24)"
# As over SSH: the own-key run must work from REPLICATE_API_TOKEN and say so once.
demo_dir="$(mktemp -d)"
demo_err="$demo_dir.err"
env -u DBUS_SESSION_BUS_ADDRESS -u DISPLAY -u WAYLAND_DISPLAY XDG_RUNTIME_DIR="$demo_dir" \
  FLUX_KREA_DEMO_DIR="$demo_dir/data" ./scripts/demo.sh --cli 2>"$demo_err" \
  || { cat "$demo_err" >&2; exit 1; }
grep -q "^Mode: own key (your Replicate account, the token from REPLICATE_API_TOKEN)\.$" "$demo_err" \
  || { echo "demo.sh --cli did not say which mode and token it used:" >&2; cat "$demo_err" >&2; exit 1; }
rm -rf "$demo_dir" "$demo_err"

step "Fuzz: a short run of each target (the corpus itself was replayed by the Rust tests)"
./scripts/fuzz.sh 20

step "UI: format (Prettier), lint (ESLint, no warnings), type check and unit tests"
npm --prefix ui run format:check
npm --prefix ui run lint
npm --prefix ui run check
npm --prefix ui test

step "Build the app (debug, bundled UI, with a local test update feed)"
# The update tests' feed: the fixtures' throwaway public key and a loopback address, merged over
# tauri.conf.json at build time only (the committed configs have neither).
export FLUX_KREA_UPDATE_TEST_PORT="${FLUX_KREA_UPDATE_TEST_PORT:-47391}"
TAURI_CONFIG="$(printf '{"plugins":{"updater":{"pubkey":"%s","endpoints":["http://127.0.0.1:%s/stable/latest.json"]}}}' \
  "$(tr -d '\n' < tests/fixtures/updates/test.key.pub)" "$FLUX_KREA_UPDATE_TEST_PORT")"
TAURI_CONFIG="$TAURI_CONFIG" npx tauri build --debug --no-bundle
target_dir="${CARGO_TARGET_DIR:-target}"
mkdir -p "$target_dir/e2e"
cp "$target_dir/debug/flux-krea-desktop" "$target_dir/e2e/flux-krea-desktop"
export FLUX_KREA_APP_BIN="$(cd "$target_dir/e2e" && pwd)/flux-krea-desktop"
# The e2e tests seed and inspect history through the CLI built by the Rust step above.
export FLUX_KREA_CLI_BIN="$(cd "$target_dir/debug" && pwd)/flux-krea-cli"

step "End-to-end tests in the real window (Xvfb + tauri-driver)"
# --workspace, as above: the same feature set, so the test binary built there is reused as is.
xvfb-run -a -s "-screen 0 1280x800x24" cargo test --workspace --test window -- --ignored --test-threads=1

step "All tests passed"
