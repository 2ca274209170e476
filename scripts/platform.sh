#!/usr/bin/env bash
# The Flux Krea platform, for real, on this computer: Postgres and an S3 server
# (platform-services.sh), the upstream fakes (Google, GitHub, Stripe, Replicate: nothing real can be
# reached from here), N replicas of `flux-krea-platform serve` and nginx balancing them, all on
# loopback. Prints the lines the app reads, then serves until Ctrl-C:
#
#   FLUX_KREA_PLATFORM_URL=http://127.0.0.1:PORT
#   FLUX_KREA_PLATFORM_ANON_KEY=…
#   FLUX_KREA_PLATFORM_REPLICAS=http://127.0.0.1:P1,…     (each replica, for measurements)
#   FLUX_KREA_PLATFORM_RUN=DIR                             (logs, and upstreams.env: the fakes' URLs)
#
#   scripts/platform.sh [--replicas N] [--port P] [--release]   (N = 3, P = a free port;
#                                       --release: the `server` profile, optimised for speed)
#
# Each replica migrates at boot (sqlx's migrator takes an advisory lock) and runs background work;
# logs go to the run folder printed on stderr. scripts/demo.sh points the app at it.
set -euo pipefail
cd "$(dirname "$0")/.."

replicas=3
port=""
profile=debug
while [ $# -gt 0 ]; do
  case "$1" in
    --replicas) replicas=${2:?--replicas needs a number}; shift 2 ;;
    --port) port=${2:?--port needs a port}; shift 2 ;;
    --release) profile=server; shift ;;
    *) echo "usage: $0 [--replicas N] [--port P] [--release]" >&2; exit 2 ;;
  esac
done
[[ "$replicas" =~ ^[1-9][0-9]?$ ]] || { echo "--replicas: a number from 1 to 99, not '$replicas'" >&2; exit 2; }

free_port() {
  python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])'
}
wait_http() {
  for _ in $(seq 1 200); do
    curl -fsS -o /dev/null "$1" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2 did not answer at $1; see $3" >&2
  tail -n 20 "$3" >&2 || true
  exit 1
}

flags=(-q); [ "$profile" = debug ] || flags+=(--profile server)
cargo build "${flags[@]}" -p flux-krea-fakes --bin flux-krea-fakes -p flux-krea-platform --bin flux-krea-platform
bin="${CARGO_TARGET_DIR:-target}/$profile"
run="$(mktemp -d -t flux-krea-platform-run.XXXXXX)"
pids=()
services=""
cleanup() {
  for pid in "${pids[@]}"; do kill "$pid" 2>/dev/null || true; done
  [ ! -f "$run/nginx.pid" ] || kill "$(cat "$run/nginx.pid")" 2>/dev/null || true
  [ -z "$services" ] || ./scripts/platform-services.sh stop "$services"
  rm -rf "$run"
}
trap cleanup EXIT
trap 'exit 130' INT TERM HUP
echo "platform: run folder $run" >&2

# Its own folder, not under $run: Postgres runs as its own user when we are root, and $run is 0700.
services_env="$(./scripts/platform-services.sh start)"
eval "$services_env"
services="$PLATFORM_SERVICES_DIR"
db_url="${PLATFORM_TEST_DATABASE_URL%/*}/platform"
psql -q -v ON_ERROR_STOP=1 "$PLATFORM_TEST_DATABASE_URL" -c "CREATE DATABASE platform"
# s3s-fs keeps a bucket as a folder under its root.
mkdir -p "$services/s3/flux-krea-outputs"

[ -n "$port" ] || port=$(free_port)
public="http://127.0.0.1:$port"
"$bin/flux-krea-fakes" upstreams --webhook-url "$public/webhooks/stripe" \
  >"$run/upstreams.env" 2>"$run/upstreams.log" &
pids+=($!)
for _ in $(seq 1 100); do grep -q '^REPLICATE_WEBHOOK_SECRET=' "$run/upstreams.env" 2>/dev/null && break; sleep 0.1; done
grep -q '^REPLICATE_WEBHOOK_SECRET=' "$run/upstreams.env" || { cat "$run/upstreams.log" >&2; exit 1; }

anon_key="anon-$(od -An -N12 -tx1 /dev/urandom | tr -d ' \n')"
set -a
# shellcheck disable=SC1091
. "$run/upstreams.env"
DATABASE_URL="$db_url"
FLUX_KREA_PLATFORM_PUBLIC_URL="$public"
FLUX_KREA_PLATFORM_JWT_SECRET="$(od -An -N32 -tx1 /dev/urandom | tr -d ' \n')"
FLUX_KREA_PLATFORM_ANON_KEY="$anon_key"
S3_ENDPOINT="$PLATFORM_TEST_S3_ENDPOINT"
S3_BUCKET=flux-krea-outputs
S3_REGION="$PLATFORM_TEST_S3_REGION"
S3_ACCESS_KEY_ID="$PLATFORM_TEST_S3_ACCESS_KEY_ID"
S3_SECRET_ACCESS_KEY="$PLATFORM_TEST_S3_SECRET_ACCESS_KEY"
set +a

upstream_block=""
replica_urls=""
for i in $(seq 1 "$replicas"); do
  p=$(free_port)
  FLUX_KREA_PLATFORM_BIND="127.0.0.1:$p" "$bin/flux-krea-platform" serve \
    >"$run/replica-$i.log" 2>&1 &
  pids+=($!)
  upstream_block+="    server 127.0.0.1:$p max_fails=1 fail_timeout=2s;"$'\n'
  replica_urls+="${replica_urls:+,}http://127.0.0.1:$p"
  wait_http "http://127.0.0.1:$p/healthz" "replica $i" "$run/replica-$i.log"
done

mkdir -p "$run/nginx"
user_line=""
[ "$(id -u)" -ne 0 ] || user_line="user root;"
cat >"$run/nginx.conf" <<EOF
$user_line
worker_processes 1;
pid $run/nginx.pid;
error_log $run/nginx-error.log warn;
events { worker_connections 1024; }
http {
  access_log off;
  client_body_temp_path $run/nginx/body;
  proxy_temp_path $run/nginx/proxy;
  fastcgi_temp_path $run/nginx/fastcgi;
  uwsgi_temp_path $run/nginx/uwsgi;
  scgi_temp_path $run/nginx/scgi;
  client_max_body_size 16m;
  upstream platform {
$upstream_block    keepalive 64;
  }
  server {
    listen 127.0.0.1:$port;
    location / {
      proxy_pass http://platform;
      proxy_http_version 1.1;
      proxy_set_header Connection "";
      proxy_set_header Host \$http_host;
      proxy_set_header X-Forwarded-For \$remote_addr;
      # A replica that is down is skipped; a POST is never sent twice (nginx's default).
      proxy_next_upstream error timeout;
      proxy_read_timeout 120s;
    }
  }
}
EOF
nginx -p "$run/nginx" -c "$run/nginx.conf" -e "$run/nginx-error.log"
wait_http "$public/healthz" "nginx" "$run/nginx-error.log"

echo "FLUX_KREA_PLATFORM_URL=$public"
echo "FLUX_KREA_PLATFORM_ANON_KEY=$anon_key"
echo "FLUX_KREA_PLATFORM_REPLICAS=$replica_urls"
echo "FLUX_KREA_PLATFORM_RUN=$run"
echo "platform: $replicas replicas behind nginx at $public; Ctrl-C to stop" >&2
wait "${pids[0]}"
