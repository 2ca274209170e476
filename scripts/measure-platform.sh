#!/usr/bin/env bash
# Measures the platform service on loopback (figures for the README's performance table):
#   1. GET /api/v1/me and /api/v1/credits, 64 concurrent clients, one replica (direct): p50/p99, req/s
#   2. the same through nginx with one replica and with three: throughput ratio
#   3. create latency: POST …/predictions through the platform against the Replicate fake's own
#      create time, sequentially, p50/p99 of each and the difference
#
#   scripts/measure-platform.sh [seconds per wrk run (10)] [creates (200)]
#
# Loopback only; every run is bounded in time and count. Needs wrk (apt), installed if missing.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-10}
creates=${2:-200}

command -v wrk >/dev/null || {
  sudo=""; [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get install -y -qq --no-install-recommends wrk >/dev/null
}
cargo build -q --profile server -p flux-krea-platform --bin flux-krea-platform -p flux-krea-fakes --bin flux-krea-fakes
work="$(mktemp -d)"
platform_pid=""
stop_platform() {
  [ -z "$platform_pid" ] || { kill -TERM "$platform_pid" 2>/dev/null || true; wait "$platform_pid" 2>/dev/null || true; }
  platform_pid=""
}
trap 'stop_platform; rm -rf "$work"' EXIT

# start_platform N: scripts/platform.sh on the release build; sets URL, ANON, REPLICAS, RUN.
start_platform() {
  : >"$work/platform.out"
  FLUX_KREA_PLATFORM_SIGNUP_CREDITS=1000000 RUST_LOG=warn \
    ./scripts/platform.sh --release --replicas "$1" >"$work/platform.out" 2>"$work/platform.err" &
  platform_pid=$!
  for _ in $(seq 1 600); do grep -q '^FLUX_KREA_PLATFORM_RUN=' "$work/platform.out" && break; sleep 0.2; done
  grep -q '^FLUX_KREA_PLATFORM_RUN=' "$work/platform.out" || { cat "$work/platform.err" >&2; exit 1; }
  val() { sed -n "s/^$1=//p" "$work/platform.out"; }
  URL=$(val FLUX_KREA_PLATFORM_URL); ANON=$(val FLUX_KREA_PLATFORM_ANON_KEY)
  REPLICAS=$(val FLUX_KREA_PLATFORM_REPLICAS); RUN=$(val FLUX_KREA_PLATFORM_RUN)
}

# A session for one user, through the broker as the app does it (PKCE), the browser played by curl.
sign_in() {
  local verifier challenge loc code
  verifier=$(python3 -c 'import secrets; print(secrets.token_urlsafe(48))')
  challenge=$(python3 -c 'import base64, hashlib, sys; print(base64.urlsafe_b64encode(hashlib.sha256(sys.argv[1].encode()).digest()).rstrip(b"=").decode())' "$verifier")
  loc=$(curl -fsS -o /dev/null -w '%{redirect_url}' \
    "$URL/auth/v1/authorize?provider=google&redirect_to=http%3A%2F%2F127.0.0.1%3A9%2Fcallback&code_challenge=$challenge&code_challenge_method=s256")
  loc=$(curl -fsS -o /dev/null -w '%{redirect_url}' "$loc")   # the provider, back to the broker
  loc=$(curl -fsS -o /dev/null -w '%{redirect_url}' "$loc")   # the broker, on to the app
  code=$(python3 -c 'import sys, urllib.parse as u; print(u.parse_qs(u.urlparse(sys.argv[1]).query)["code"][0])' "$loc")
  curl -fsS -X POST "$URL/auth/v1/token?grant_type=pkce" -H "apikey: $ANON" -H 'content-type: application/json' \
    -d "{\"auth_code\":\"$code\",\"code_verifier\":\"$verifier\"}" |
    python3 -c 'import json, sys; print(json.load(sys.stdin)["access_token"])'
}

# wrk_run URL: "p50 p99 req/s errors"
wrk_run() {
  wrk -t2 -c64 -d"${secs}s" --latency -H "Authorization: Bearer $TOKEN" "$1" >"$work/wrk.txt"
  python3 - "$work/wrk.txt" <<'EOF'
import re, sys
text = open(sys.argv[1]).read()
def ms(label):
    m = re.search(r"^\s*%s%%\s+([\d.]+)(us|ms|s)" % label, text, re.M)
    v, unit = float(m.group(1)), m.group(2)
    return v / 1000 if unit == "us" else v * 1000 if unit == "s" else v
rps = float(re.search(r"Requests/sec:\s+([\d.]+)", text).group(1))
m = re.search(r"Non-2xx or 3xx responses: (\d+)", text)
errors = int(m.group(1)) if m else 0
m = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
if m:
    errors += sum(int(x) for x in m.groups())
print(f"{ms('50'):.2f} {ms('99'):.2f} {rps:.0f} {errors}")
EOF
}

# percentiles FILE: "p50 p99" of one number (seconds) a line, in ms
percentiles() {
  python3 -c 'import sys; v = sorted(float(l) * 1000 for l in open(sys.argv[1]) if l.strip()); p = lambda q: v[min(len(v) - 1, int(q * len(v)))]; print(f"{p(0.5):.2f} {p(0.99):.2f}")' "$1"
}

echo "== one replica, direct (64 clients, ${secs}s each)"
start_platform 1
TOKEN=$(sign_in)
direct=${REPLICAS%%,*}
read -r me50 me99 me_rps me_err <<<"$(wrk_run "$direct/api/v1/me")"
read -r cr50 cr99 cr_rps cr_err <<<"$(wrk_run "$direct/api/v1/credits")"
echo "GET /me       p50 ${me50} ms  p99 ${me99} ms  ${me_rps} req/s  errors ${me_err}"
echo "GET /credits  p50 ${cr50} ms  p99 ${cr99} ms  ${cr_rps} req/s  errors ${cr_err}"
read -r lb1_50 lb1_99 lb1_rps lb1_err <<<"$(wrk_run "$URL/api/v1/credits")"
echo "through nginx, 1 replica: /credits p99 ${lb1_99} ms, ${lb1_rps} req/s, errors ${lb1_err}"

echo "== create: through the platform vs the Replicate fake alone (${creates} sequential creates each)"
set -a
# shellcheck disable=SC1091
. "$RUN/upstreams.env"
set +a
body='{"input":{"prompt":"a measured lighthouse","num_outputs":1}}'
: >"$work/platform-creates"; : >"$work/replicate-creates"
for i in $(seq 1 "$creates"); do
  curl -fsS -o /dev/null -w '%{time_total}\n' -X POST "$URL/api/v1/models/black-forest-labs/flux-schnell/predictions" \
    -H "Authorization: Bearer $TOKEN" -H 'content-type: application/json' -H "Idempotency-Key: measure-$$-$i" \
    -d "$body" >>"$work/platform-creates"
  curl -fsS -o /dev/null -w '%{time_total}\n' -X POST "$REPLICATE_API_URL/models/black-forest-labs/flux-schnell/predictions" \
    -H "Authorization: Bearer $REPLICATE_API_TOKEN" -H 'content-type: application/json' \
    -d "$body" >>"$work/replicate-creates"
done
read -r pc50 pc99 <<<"$(percentiles "$work/platform-creates")"
read -r rc50 rc99 <<<"$(percentiles "$work/replicate-creates")"
echo "create through the platform  p50 ${pc50} ms  p99 ${pc99} ms"
echo "create on the fake alone     p50 ${rc50} ms  p99 ${rc99} ms"
python3 -c "print(f'added by the platform: p50 {float(\"$pc50\") - float(\"$rc50\"):.2f} ms, p99 {float(\"$pc99\") - float(\"$rc99\"):.2f} ms')"
stop_platform

echo "== three replicas through nginx"
start_platform 3
TOKEN=$(sign_in)
read -r lb3_50 lb3_99 lb3_rps lb3_err <<<"$(wrk_run "$URL/api/v1/credits")"
echo "through nginx, 3 replicas: /credits p99 ${lb3_99} ms, ${lb3_rps} req/s, errors ${lb3_err}"
python3 -c "print(f'3 replicas / 1 replica throughput: {$lb3_rps / $lb1_rps:.2f}x on $(nproc) cores (wrk shares them)')"
stop_platform
