#!/usr/bin/env bash
# The core's queries are checked at compile time (`sqlx::query!`) against crates/core/.sqlx, the
# query data every build reads offline (no DATABASE_URL needed). This keeps that data fresh.
#
#   scripts/check-sqlx.sh schema DIR    make DIR/schema.db from crates/core/migrations (sqlite3)
#   scripts/check-sqlx.sh compare DIR   compare the query data a build wrote to DIR/described
#                                       with crates/core/.sqlx; fail naming what differs
#   scripts/check-sqlx.sh --fix         rewrite .sqlx after changing a query or a migration
#                                       (needs sqlx-cli: cargo install sqlx-cli --no-default-features
#                                       --features sqlite,rustls); commit it
#
# scripts/test-in-session.sh uses the first two around the Rust test build: with DATABASE_URL set
# to the scratch schema and SQLX_OFFLINE_DIR to DIR/described, every query! of the core's lib and
# tests is described live against the migrations and written out, at no extra compile cost.
set -euo pipefail
cd "$(dirname "$0")/.."

schema() {
  mkdir -p "$1/described"
  rm -f "$1/schema.db"
  # The table sqlx's migrator keeps (sqlx-sqlite 0.9 src/migrate.rs, `ensure_migrations_table`):
  # `database::status` reads it.
  sqlite3 -bail "$1/schema.db" "CREATE TABLE _sqlx_migrations (
    version BIGINT PRIMARY KEY,
    description TEXT NOT NULL,
    installed_on TIMESTAMP NOT NULL DEFAULT CURRENT_TIMESTAMP,
    success BOOLEAN NOT NULL,
    checksum BLOB NOT NULL,
    execution_time BIGINT NOT NULL
);"
  for migration in crates/core/migrations/*.sql; do
    sqlite3 -bail "$1/schema.db" <"$migration" || { echo "$migration: does not apply" >&2; exit 1; }
  done
}

case "${1:-}" in
  schema)
    [ -n "${2:-}" ] || { echo "usage: $0 schema DIR" >&2; exit 2; }
    schema "$2"
    ;;
  compare)
    described="${2:?usage: $0 compare DIR}/described"
    count=$(find "$described" -name 'query-*.json' | wc -l)
    # A build that reused the core's artifacts described nothing: that is no proof of freshness.
    [ "$count" -gt 0 ] || { echo "no query was described: was the core rebuilt with DATABASE_URL set?" >&2; exit 1; }
    if ! diff -r crates/core/.sqlx "$described" >"$2/diff.txt"; then
      sed -e "s#$described#the migrations#g" "$2/diff.txt" | head -40 >&2
      echo "crates/core/.sqlx is stale ($count queries described): run scripts/check-sqlx.sh --fix and commit it" >&2
      exit 1
    fi
    echo "crates/core/.sqlx matches the $count queries the core compiles"
    ;;
  --fix)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    schema "$scratch"
    export DATABASE_URL="sqlite://$scratch/schema.db"
    cd crates/core
    cargo sqlx prepare --no-dotenv -- --lib --tests
    ;;
  *)
    echo "usage: $0 schema DIR | compare DIR | --fix" >&2
    exit 2
    ;;
esac
