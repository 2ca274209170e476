#!/usr/bin/env bash
# Sets everything up, then runs every test: Rust (core, fakes, CLI, shell), the UI's type check and
# unit tests, and the end-to-end tests in the real app window. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# One private D-Bus session with an unlocked gnome-keyring: the real keychain for the tests, and
# an isolated bus so a running copy of the app cannot answer the single-instance check.
# The keyring lives in a throwaway XDG_DATA_HOME, set before the bus starts so that the bus starts
# the keyring from there too: if gnome-keyring-daemon dies mid-run (it crashed once in a CI run,
# a glib trap), the next keychain call restarts it on the same store, unlocked, instead of the
# system's locked one (docs/building.md: "The keychain in a D-Bus session").
FLUX_KREA_TEST_DATA_HOME="$(mktemp -d)"
export FLUX_KREA_TEST_DATA_HOME XDG_DATA_HOME="$FLUX_KREA_TEST_DATA_HOME"
mkdir -p "$XDG_DATA_HOME/dbus-1/services"
printf '#!/bin/sh\nprintf test-keyring | exec gnome-keyring-daemon --foreground --unlock --components=secrets\n' \
  >"$XDG_DATA_HOME/keyring-daemon.sh"
chmod +x "$XDG_DATA_HOME/keyring-daemon.sh"
printf '[D-BUS Service]\nName=org.freedesktop.secrets\nExec=%s/keyring-daemon.sh\n' "$XDG_DATA_HOME" \
  >"$XDG_DATA_HOME/dbus-1/services/org.freedesktop.secrets.service"
exec dbus-run-session -- ./scripts/test-in-session.sh
