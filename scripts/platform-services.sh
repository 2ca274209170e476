#!/usr/bin/env bash
# The platform service's own dependencies on loopback, for its tests and the demo: a throwaway
# Postgres cluster and an S3 protocol server (s3s-fs, which checks SigV4 and refuses expired
# presigned URLs), both under one folder.
#
#   env="$(scripts/platform-services.sh start [DIR])" && eval "$env"   # prints `export …` lines
#   scripts/platform-services.sh stop DIR                  # or "$PLATFORM_SERVICES_DIR"
#   scripts/platform-services.sh restart-postgres DIR      # fault tests: the database goes away
#   scripts/platform-services.sh stop-s3 DIR               # fault tests: storage goes away…
#   scripts/platform-services.sh start-s3 DIR              # …and comes back (same port and keys)
#
# Exports PLATFORM_SERVICES_DIR, PLATFORM_TEST_DATABASE_URL (a superuser on an empty cluster: each
# test makes its own database) and PLATFORM_TEST_S3_{ENDPOINT,REGION,ACCESS_KEY_ID,SECRET_ACCESS_KEY}
# (each test makes its own bucket). Installed by scripts/setup.sh.
set -euo pipefail

pg_bin() {
  local dir
  for dir in /usr/lib/postgresql/*/bin; do [ -x "$dir/pg_ctl" ] && { echo "$dir"; return; }; done
  echo "PostgreSQL server binaries not found: run scripts/setup.sh" >&2
  exit 1
}

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}

# initdb refuses root, and CI runs as root: run Postgres as its own user there.
as_pg() {
  if [ "$(id -u)" -eq 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi
}

wait_for_port() {
  local port=$1 what=$2 log=$3
  for _ in $(seq 1 100); do
    if (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then return 0; fi
    sleep 0.1
  done
  echo "$what did not start listening on 127.0.0.1:$port; its log ($log):" >&2
  tail -n 20 "$log" >&2 || true
  exit 1
}

start_postgres() {
  local dir=$1 port=$2 bin
  bin=$(pg_bin)
  as_pg "$bin/pg_ctl" -D "$dir/pg" -l "$dir/pg.log" -w -s \
    -o "-c listen_addresses=127.0.0.1 -p $port -k $dir -c fsync=off -c max_connections=300" start >&2
}

# s3s-fs on the port and keys start() stored in DIR.
start_s3() {
  local dir=$1 port key secret
  port=$(cat "$dir/s3.port")
  { read -r key; read -r secret; } <"$dir/s3.keys"
  s3s-fs --host 127.0.0.1 --port "$port" --access-key "$key" --secret-key "$secret" "$dir/s3" \
    >>"$dir/s3.log" 2>&1 &
  echo $! >"$dir/s3.pid"
  wait_for_port "$port" s3s-fs "$dir/s3.log"
}

stop_s3() {
  local dir=$1 pid
  [ -f "$dir/s3.pid" ] || return 0
  pid=$(cat "$dir/s3.pid")
  kill "$pid" 2>/dev/null || true
  # Gone for real before returning: a fault test counts on the port refusing at once.
  while kill -0 "$pid" 2>/dev/null; do sleep 0.05; done
  rm -f "$dir/s3.pid"
}

start() {
  local dir=${1:-}
  [ -n "$dir" ] || dir=$(mktemp -d -t flux-krea-platform.XXXXXX)
  mkdir -p "$dir"
  dir=$(cd "$dir" && pwd)
  command -v s3s-fs >/dev/null || { echo "s3s-fs not found: run scripts/setup.sh" >&2; exit 1; }

  local pg_port s3_port bin key secret
  pg_port=$(free_port)
  s3_port=$(free_port)
  bin=$(pg_bin)
  if [ "$(id -u)" -eq 0 ]; then
    chown postgres: "$dir"
    runuser -u postgres -- test -w "$dir" \
      || { echo "$dir: the postgres user cannot reach it (a parent folder is private)" >&2; exit 1; }
  fi
  as_pg "$bin/initdb" -D "$dir/pg" -A trust -U platform --no-sync -E UTF8 >"$dir/initdb.log" 2>&1 \
    || { cat "$dir/initdb.log" >&2; exit 1; }
  echo "$pg_port" >"$dir/pg.port"
  start_postgres "$dir" "$pg_port"

  # Random per run: nothing outside this folder knows them.
  key=$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')
  secret=$(od -An -N24 -tx1 /dev/urandom | tr -d ' \n')
  mkdir -p "$dir/s3"
  echo "$s3_port" >"$dir/s3.port"
  # Kept for start-s3; readable by this user only.
  (umask 077 && printf '%s\n%s\n' "$key" "$secret" >"$dir/s3.keys")
  start_s3 "$dir"

  cat <<EOF
export PLATFORM_SERVICES_DIR='$dir'
export PLATFORM_TEST_DATABASE_URL='postgres://platform@127.0.0.1:$pg_port/postgres'
export PLATFORM_TEST_S3_ENDPOINT='http://127.0.0.1:$s3_port'
export PLATFORM_TEST_S3_REGION='us-east-1'
export PLATFORM_TEST_S3_ACCESS_KEY_ID='$key'
export PLATFORM_TEST_S3_SECRET_ACCESS_KEY='$secret'
EOF
}

stop() {
  local dir=${1:?usage: platform-services.sh stop DIR}
  [ -d "$dir" ] || return 0
  stop_s3 "$dir"
  if [ -f "$dir/pg/postmaster.pid" ]; then
    as_pg "$(pg_bin)/pg_ctl" -D "$dir/pg" -m fast -w -s stop >&2 || true
  fi
  rm -rf "$dir"
}

restart_postgres() {
  local dir=${1:?usage: platform-services.sh restart-postgres DIR}
  as_pg "$(pg_bin)/pg_ctl" -D "$dir/pg" -m immediate -w -s stop >&2 || true
  start_postgres "$dir" "$(cat "$dir/pg.port")"
}

case "${1:-}" in
  start) start "${2:-}" ;;
  stop) stop "${2:-${PLATFORM_SERVICES_DIR:-}}" ;;
  restart-postgres) restart_postgres "${2:-${PLATFORM_SERVICES_DIR:-}}" ;;
  stop-s3) stop_s3 "${2:?usage: platform-services.sh stop-s3 DIR}" ;;
  start-s3) start_s3 "${2:?usage: platform-services.sh start-s3 DIR}" ;;
  *) echo "usage: $0 start [DIR] | stop DIR | restart-postgres DIR | stop-s3 DIR | start-s3 DIR" >&2; exit 2 ;;
esac
