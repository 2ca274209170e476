#!/usr/bin/env bash
# The core's queries are checked at compile time (`sqlx::query!`) against crates/core/.sqlx, the
# query data every build reads offline (no DATABASE_URL needed). This checks that data is fresh:
# it builds a scratch database from crates/core/migrations, describes every query of the core's
# targets (lib, tests, benches) against it and compares with the committed files.
#
#   scripts/check-sqlx.sh         fail if .sqlx is stale (CI, scripts/test.sh)
#   scripts/check-sqlx.sh --fix   rewrite .sqlx after changing a query or a migration; commit it
#
# Needs sqlx-cli (scripts/setup.sh installs the pinned version).
set -euo pipefail
cd "$(dirname "$0")/.."

case "${1:-}" in
  "") fix=false ;;
  --fix) fix=true ;;
  *) echo "usage: $0 [--fix]" >&2; exit 2 ;;
esac

scratch="$(mktemp -d)"
trap 'rm -rf "$scratch"' EXIT
# Never a .env or an ambient DATABASE_URL: always the migrations, applied to an empty file.
export DATABASE_URL="sqlite://$scratch/schema.db"
cargo sqlx database create --no-dotenv
cargo sqlx migrate run --no-dotenv --source crates/core/migrations >/dev/null

cd crates/core
if $fix; then
  cargo sqlx prepare --no-dotenv -- --all-targets
  exit 0
fi
out="$scratch/prepare.out"
if ! cargo sqlx prepare --check --no-dotenv -- --all-targets 2>&1 | tee "$out"; then
  echo "crates/core/.sqlx is stale: run scripts/check-sqlx.sh --fix and commit crates/core/.sqlx" >&2
  exit 1
fi
# sqlx only warns about files no query uses any more; stale files are not kept.
if grep -q "potentially unused queries" "$out"; then
  echo "crates/core/.sqlx holds query data no query uses: run scripts/check-sqlx.sh --fix" >&2
  exit 1
fi
