#!/usr/bin/env bash
# Background work at scale (figures for the README's performance table): 10,000 predictions whose
# webhooks were lost, settled by the pollers of three replicas of the service (debug build) on a
# Postgres and an S3 server of their own; one replica killed a third of the way through. The test
# checks each is settled exactly once and none is lost; this prints its timings.
#
#   scripts/measure-platform-jobs.sh [count (10000)]
set -euo pipefail
cd "$(dirname "$0")/.."
export SQLX_OFFLINE=true FLUX_KREA_BACKLOG_JOBS="${1:-10000}"
cargo test -q -p flux-krea-platform --test it backlog -- --ignored --nocapture 2>&1 |
  grep -E '^backlog:|panicked|test result' || { echo "the backlog test failed" >&2; exit 1; }
