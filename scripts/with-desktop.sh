#!/usr/bin/env bash
# Runs a command inside a headless desktop session: an Xvfb display, one D-Bus session bus (so that
# single-instance forwarding works between processes), and an unlocked gnome-keyring (a real Secret
# Service). Everything the command starts shares that session.
#   scripts/with-desktop.sh COMMAND [ARGS...]
set -euo pipefail

if [ -z "${ATOM_DESKTOP_SESSION:-}" ]; then
  export ATOM_DESKTOP_SESSION=1
  exec dbus-run-session -- "$0" "$@"
fi

display=":$((100 + RANDOM % 400))"
Xvfb "$display" -screen 0 1280x800x24 -nolisten tcp >/dev/null 2>&1 &
xvfb=$!
keyring_pid=""
cleanup() {
  kill "$xvfb" 2>/dev/null || true
  [ -n "$keyring_pid" ] && kill "$keyring_pid" 2>/dev/null || true
}
trap cleanup EXIT
export DISPLAY="$display" NO_AT_BRIDGE=1
for _ in $(seq 100); do
  xdpyinfo -display "$display" >/dev/null 2>&1 && break
  sleep 0.1
done

# A non-empty password: with an empty one the daemon asks a prompter that cannot show.
keyring_env=$(printf '%s' "${ATOM_KEYRING_PASSWORD:-atom-desktop-tests}" |
  gnome-keyring-daemon --unlock --components=secrets 2>/dev/null || true)
eval "$(printf '%s\n' "$keyring_env" | sed -n 's/^\(GNOME_KEYRING_[A-Z_]*\)=\(.*\)$/export \1="\2"/p')"
keyring_pid=$(pgrep -n -u "$(id -u)" gnome-keyring-d || true)

"$@"
