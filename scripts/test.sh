#!/usr/bin/env bash
# Sets everything up, then runs every test: Rust (core, fakes, CLI, shell), the UI's type check and
# unit tests, and the end-to-end tests in the real app window. Exits non-zero on any failure.
set -euo pipefail
cd "$(dirname "$0")/.."
./scripts/setup.sh
# One private D-Bus session with an unlocked gnome-keyring: the real keychain for the tests, and
# an isolated bus so a running copy of the app cannot answer the single-instance check.
exec dbus-run-session -- ./scripts/test-in-session.sh
