#!/usr/bin/env bash
# Installs what building, running and testing the app needs on a Debian/Ubuntu machine. Idempotent:
# what is already there is not fetched again.
#   scripts/setup.sh            build, run and test dependencies
#   scripts/setup.sh --bench    also the benchmark tools
set -euo pipefail
cd "$(dirname "$0")/.."

want_bench=0
for arg in "$@"; do
  case "$arg" in
    --bench) want_bench=1 ;;
    *) echo "setup.sh: unknown option $arg" >&2; exit 2 ;;
  esac
done

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup.sh: cargo is missing. Install Rust (https://rustup.rs), then run this again." >&2
  exit 1
fi
if command -v rustup >/dev/null 2>&1; then
  rustup component list --installed 2>/dev/null | grep -q '^rustfmt' || rustup component add rustfmt
  rustup component list --installed 2>/dev/null | grep -q '^clippy' || rustup component add clippy
fi

# Tauri's build dependencies, then what the desktop tests use: a virtual display, a D-Bus session,
# gnome-keyring (a real Secret Service), WebKit's WebDriver, and the desktop's URL handling.
packages=(
  build-essential pkg-config file curl libssl-dev
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  xvfb x11-utils dbus dbus-x11 gnome-keyring libsecret-tools webkit2gtk-driver
  xdg-utils desktop-file-utils libglib2.0-bin procps imagemagick librsvg2-bin gdb
)
[ "$want_bench" = 1 ] && packages+=(wrk)
command -v node >/dev/null 2>&1 || packages+=(nodejs npm)
missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  sudo=""
  [ "$(id -u)" -ne 0 ] && sudo="sudo"
  echo "setup.sh: installing ${missing[*]}"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

node_major=$(node -p 'process.versions.node.split(".")[0]')
if [ "$node_major" -lt 20 ]; then
  echo "setup.sh: Node.js 20 or newer is needed (found $(node --version))." >&2
  exit 1
fi

# The front end's packages (the Tauri CLI among them, prebuilt), and the third-party OAuth server the
# interop tests run (oidc-provider), each when its lock file changed.
for dir in ui tests/interop; do
  if [ ! -f "$dir/node_modules/.package-lock.json" ] || [ "$dir/package-lock.json" -nt "$dir/node_modules/.package-lock.json" ]; then
    npm ci --prefix "$dir" --no-audit --no-fund --loglevel=error
  fi
done

# WebDriver for Tauri apps (drives WebKitWebDriver).
if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked --quiet
fi
