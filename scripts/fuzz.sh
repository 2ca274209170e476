#!/usr/bin/env bash
# A short run of every cargo-fuzz target (fuzz/fuzz_targets) on the committed corpus: the parsers
# of Replicate and platform answers, update manifests and the sign-in callback. Exits non-zero on
# any crash, panic, leak or hang; the input that did it is left in fuzz/artifacts/<target>/.
#
#   scripts/fuzz.sh [seconds-per-target]     (default 30)
#
# Inputs the run finds go to a temporary copy of the corpus, never into fuzz/corpus/. To grow the
# committed corpus, run a target by hand, then `cargo fuzz cmin <target> fuzz/corpus/<target> --
# -use_counters=0` (README "Fuzzing").
set -euo pipefail
cd "$(dirname "$0")/.."
seconds="${1:-30}"
[[ "$seconds" =~ ^[0-9]+$ ]] || { echo "usage: scripts/fuzz.sh [seconds-per-target]" >&2; exit 2; }

# Needs cargo-fuzz (scripts/setup.sh installs the pinned version).

# cargo-fuzz passes -Z flags (sanitizer, coverage); the stable toolchain accepts them with this.
export RUSTC_BOOTSTRAP=1
# Built with sanitizer and coverage flags: its own target dir, never the workspace's target/.
target_dir="$PWD/fuzz/target"

# fuzz/ is its own workspace with its own lock file: a dependency added to the core must be
# committed there too, or cargo would silently re-resolve it (and CI would fuzz something else).
if ! cargo metadata --locked --format-version 1 --manifest-path fuzz/Cargo.toml >/dev/null; then
  echo "fuzz/Cargo.lock is stale: run 'cargo update --manifest-path fuzz/Cargo.toml --workspace' and commit it" >&2
  exit 1
fi

start=$(date +%s)
cargo fuzz build --target-dir "$target_dir"
echo "fuzz build: $(($(date +%s) - start)) s"

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
for target in $(cargo fuzz list); do
  mkdir -p "$work/$target"
  if [ -d "fuzz/corpus/$target" ]; then
    cp -R "fuzz/corpus/$target/." "$work/$target/"
  fi
  options=(-max_total_time="$seconds" -timeout=10 -print_final_stats=1)
  if [ -f "fuzz/dict/$target.dict" ]; then
    options+=(-dict="fuzz/dict/$target.dict")
  fi
  printf '\n==> fuzz %s for %s s\n' "$target" "$seconds"
  cargo fuzz run --target-dir "$target_dir" "$target" "$work/$target" -- "${options[@]}"
done
echo "fuzz: every target ran ${seconds} s without a crash"
