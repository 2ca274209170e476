#!/usr/bin/env bash
# The core's queries (SQLite) and the platform service's (Postgres) are checked at compile time
# (`sqlx::query!`) against crates/core/.sqlx and crates/platform/.sqlx, the query data every build
# reads offline (no database needed). This keeps that data fresh.
#
#   scripts/check-sqlx.sh schema DIR    make DIR/schema.db from crates/core/migrations (sqlite3) and,
#                                       with PLATFORM_TEST_DATABASE_URL set (platform-services.sh),
#                                       a database from crates/platform/migrations; prints its URL
#   scripts/check-sqlx.sh compare DIR   compare the query data a build wrote to DIR/described
#                                       with both .sqlx folders; fail naming what differs
#   scripts/check-sqlx.sh --fix         rewrite both after changing a query or a migration
#                                       (needs sqlx-cli: cargo install sqlx-cli --no-default-features
#                                       --features sqlite,postgres,rustls, and for the platform a
#                                       running scripts/platform-services.sh); commit them
#
# scripts/test-in-session.sh uses the first two around the Rust test build: with DATABASE_URL set
# to the scratch schema, PLATFORM_DATABASE_URL (the platform's sqlx.toml names that variable) to
# the scratch Postgres database and SQLX_OFFLINE_DIR to DIR/described, every query! of both crates'
# code and tests is described live against the migrations and written out, at no extra compile
# cost. Each written file names its database, which tells the two crates' queries apart.
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

# A fresh Postgres database with the platform's migrations applied; prints its URL.
platform_schema() {
  local base=${PLATFORM_TEST_DATABASE_URL:?start scripts/platform-services.sh first}
  local db="sqlx_schema_$$"
  psql -q -v ON_ERROR_STOP=1 "$base" -c "CREATE DATABASE $db" >&2
  local url="${base%/*}/$db"
  for migration in crates/platform/migrations/*.sql; do
    psql -q -v ON_ERROR_STOP=1 --single-transaction "$url" -f "$migration" >&2 \
      || { echo "$migration: does not apply" >&2; exit 1; }
  done
  echo "$url"
}

# compare_one DB_NAME COMMITTED DESCRIBED_ALL SCRATCH
compare_one() {
  local db=$1 committed=$2 all=$3 scratch=$4 mine="$4/only-$1" count
  mkdir -p "$mine"
  grep -l "\"db_name\": \"$db\"" "$all"/query-*.json 2>/dev/null | xargs -r cp -t "$mine"
  count=$(find "$mine" -name 'query-*.json' | wc -l)
  # A build that reused the crate's artifacts described nothing: that is no proof of freshness.
  [ "$count" -gt 0 ] || { echo "no $db query was described: was $committed's crate rebuilt with its database URL set?" >&2; exit 1; }
  if ! diff -r "$committed" "$mine" >"$scratch/diff-$db.txt"; then
    sed -e "s#$mine#the migrations#g" "$scratch/diff-$db.txt" | head -40 >&2
    echo "$committed is stale ($count queries described): run scripts/check-sqlx.sh --fix and commit it" >&2
    exit 1
  fi
  echo "$committed matches the $count queries its crate compiles"
}

case "${1:-}" in
  schema)
    [ -n "${2:-}" ] || { echo "usage: $0 schema DIR" >&2; exit 2; }
    schema "$2"
    if [ -d crates/platform/migrations ]; then platform_schema; fi
    ;;
  compare)
    dir="${2:?usage: $0 compare DIR}"
    compare_one SQLite crates/core/.sqlx "$dir/described" "$dir"
    if [ -d crates/platform/.sqlx ]; then
      compare_one PostgreSQL crates/platform/.sqlx "$dir/described" "$dir"
    fi
    ;;
  --fix)
    scratch="$(mktemp -d)"
    trap 'rm -rf "$scratch"' EXIT
    schema "$scratch"
    (cd crates/core && DATABASE_URL="sqlite://$scratch/schema.db" cargo sqlx prepare --no-dotenv -- --lib --tests)
    if [ -d crates/platform/migrations ]; then
      url=$(platform_schema)
      (cd crates/platform && PLATFORM_DATABASE_URL="$url" cargo sqlx prepare --no-dotenv -- --all-targets)
    fi
    ;;
  *)
    echo "usage: $0 schema DIR | compare DIR | --fix" >&2
    exit 2
    ;;
esac
