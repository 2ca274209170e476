#!/usr/bin/env bash
# Installs everything the app and its tests need on Debian/Ubuntu. Idempotent: a second run only
# checks. Needs root or sudo for apt-get; Rust (rustup) and Node.js >= 20.19 come with the machine.
set -euo pipefail
cd "$(dirname "$0")/.."

APT_PACKAGES=(
  build-essential pkg-config curl file
  libwebkit2gtk-4.1-dev libssl-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev libdbus-1-dev
  xvfb xauth webkit2gtk-driver imagemagick librsvg2-bin xdotool xclip
  dbus dbus-x11 gnome-keyring
  libimage-exiftool-perl sqlite3
  postgresql nginx-light
)
TAURI_DRIVER_VERSION=2.1.0
CARGO_FUZZ_VERSION=0.13.2
CARGO_DENY_VERSION=0.20.2
S3S_FS_VERSION=0.14.1

step() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }

missing=()
for pkg in "${APT_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]})); then
  step "apt-get install ${missing[*]}"
  sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

node_major=$(node -p 'process.versions.node.split(".").map(Number).reduce((a,b,i)=>i<2?a*1000+b:a)')
if [ "$node_major" -lt 20019 ]; then
  echo "Node.js >= 20.19 is required (found $(node --version))" >&2
  exit 1
fi

# npm ci only when the lock file changed since the last install.
for dir in . ui; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    step "npm ci in $dir"
    npm --prefix "$dir" ci --no-audit --no-fund --loglevel=error
  fi
done

cargo_bin="${CARGO_HOME:-$HOME/.cargo}/bin"
if ! "$cargo_bin/tauri-driver" --help >/dev/null 2>&1; then
  step "cargo install tauri-driver $TAURI_DRIVER_VERSION"
  cargo install tauri-driver --version "$TAURI_DRIVER_VERSION" --locked
fi
# Short fuzz runs of the parsers of server answers and the sign-in callback (scripts/fuzz.sh).
if ! "$cargo_bin/cargo-fuzz" --version 2>/dev/null | grep -q "$CARGO_FUZZ_VERSION"; then
  step "cargo install cargo-fuzz $CARGO_FUZZ_VERSION"
  cargo install cargo-fuzz --version "$CARGO_FUZZ_VERSION" --locked
fi
# Licences, banned crates and sources of the dependency tree (deny.toml).
if ! "$cargo_bin/cargo-deny" --version 2>/dev/null | grep -q "$CARGO_DENY_VERSION"; then
  step "cargo install cargo-deny $CARGO_DENY_VERSION"
  cargo install cargo-deny --version "$CARGO_DENY_VERSION" --locked
fi
# The platform service's object storage in tests and the demo: a real S3 protocol server over a
# folder that checks SigV4, presigned URLs and their expiry (scripts/platform-services.sh).
if ! "$cargo_bin/s3s-fs" --version 2>/dev/null | grep -q "$S3S_FS_VERSION"; then
  step "cargo install s3s-fs $S3S_FS_VERSION"
  cargo install s3s-fs --version "$S3S_FS_VERSION" --features binary --locked
fi
