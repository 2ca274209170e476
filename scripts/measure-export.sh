#!/usr/bin/env bash
# Peak memory of the privacy export as the history grows: seeds a throwaway history with each
# count (default 10,000 and 100,000) and exports it with the CLI, printing seconds and max RSS.
# Memory that stays flat from one count to the next is what "the export streams" means.
#   scripts/measure-export.sh [count...]
set -euo pipefail
cd "$(dirname "$0")/.."
if [ -z "${FLUX_KREA_MEASURE_SESSION:-}" ]; then
  FLUX_KREA_MEASURE_SESSION=1 exec dbus-run-session -- "$0" "$@"
fi
[ -x /usr/bin/time ] || { echo "needs GNU time: apt-get install time" >&2; exit 1; }
cargo build -q -p flux-krea-cli
cli="${CARGO_TARGET_DIR:-target}/debug/flux-krea-cli"
# The CLI reaches the keychain for some settings: a throwaway, unlocked one.
eval "$(printf 'measure' | gnome-keyring-daemon --unlock --components=secrets)"
export GNOME_KEYRING_CONTROL
for count in "${@:-10000 100000}"; do
  for n in $count; do
    home="$(mktemp -d)"
    export XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" HOME="$home"
    "$cli" retention set --forever >/dev/null
    "$cli" seed --count "$n" >/dev/null 2>&1
    /usr/bin/time -f "export of $n items: %e s, max RSS %M KB" "$cli" privacy export --out "$home/out.zip" 2>&1 >/dev/null |
      grep '^export of'
    rm -rf "$home"
  done
done
