#!/bin/sh
# with-keyring.sh COMMAND [ARG...]: runs COMMAND in a private D-Bus session with gnome-keyring's
# Secret Service unlocked, in a throw-away HOME, so keychain tests never touch a real keyring.
# Exits 77 (ctest: skipped) when dbus-run-session or gnome-keyring-daemon is missing.
set -eu
command -v dbus-run-session >/dev/null 2>&1 || { echo "dbus-run-session not installed" >&2; exit 77; }
command -v gnome-keyring-daemon >/dev/null 2>&1 || { echo "gnome-keyring-daemon not installed" >&2; exit 77; }
home=$(mktemp -d)
trap 'rm -rf "$home"' EXIT INT TERM
export HOME="$home" XDG_DATA_HOME="$home/data" XDG_CONFIG_HOME="$home/config" XDG_CACHE_HOME="$home/cache"
export XDG_RUNTIME_DIR="$home/run"
mkdir -p "$XDG_DATA_HOME" "$XDG_CONFIG_HOME" "$XDG_CACHE_HOME" "$XDG_RUNTIME_DIR"
chmod 700 "$XDG_RUNTIME_DIR"
# Inside the session: start the keyring, creating its login collection unlocked (an empty password
# would make it ask through a prompter, which needs a display), then the test.
dbus-run-session -- sh -c '
  printf "kyc-test-keyring" | gnome-keyring-daemon --unlock --components=secrets >/dev/null
  exec "$@"' with-keyring "$@"
