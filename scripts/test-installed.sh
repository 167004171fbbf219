#!/usr/bin/env bash
# The installed-app test: builds the app's release .deb and .rpm (what users get; the benchmark reuses
# them), installs the .deb with apt, starts the standalone atom-sandbox next to it (the package carries
# no test server), signs in to the installed app while the desktop opens the callback through the
# handler the package registered (tests/desktop/installed.rs), then removes the package and checks that
# nothing of it is left. Called by scripts/test.sh; needs root or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

echo "== release bundles (.deb, .rpm)"
ui/node_modules/.bin/tauri build --bundles deb,rpm
deb=$(ls -t "$target"/release/bundle/deb/ATOM*.deb | head -n 1)
rpm=$(ls -t "$target"/release/bundle/rpm/ATOM*.rpm | head -n 1)
echo "built: $deb ($(du -h "$deb" | cut -f1)), $rpm ($(du -h "$rpm" | cut -f1))"
package=$(dpkg-deb -f "$deb" Package)
# The app speaks TLS through the system's OpenSSL (and trusts the system's CA store).
dpkg-deb -f "$deb" Depends | grep -q libssl3 || { echo "the .deb does not depend on libssl3" >&2; exit 1; }

sandbox_pid=""
remove() {
  [ -n "$sandbox_pid" ] && kill "$sandbox_pid" 2>/dev/null || true
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$package" >/dev/null
}
trap remove EXIT

echo "== install $package"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
binary=/usr/bin/atom-marketplace
[ -x "$binary" ] || { echo "the package installed no $binary" >&2; exit 1; }

echo "== the standalone sandbox, next to the installed app"
cargo build --locked -p atom-sandbox --bin atom-sandbox
sandbox_log=$(mktemp)
"$target/debug/atom-sandbox" --no-rate-limits >"$sandbox_log" 2>&1 &
sandbox_pid=$!
for _ in $(seq 100); do
  server=$(sed -n 's/^atom-sandbox listening on //p' "$sandbox_log")
  [ -n "$server" ] && break
  sleep 0.1
done
[ -n "$server" ] || { echo "the sandbox did not start" >&2; cat "$sandbox_log" >&2; exit 1; }
echo "sandbox at $server"

echo "== sign in to the installed app"
ATOM_E2E=1 ATOM_INSTALLED_APP=1 ATOM_APP_BINARY="$binary" ATOM_SERVER_URL="$server" \
  scripts/with-desktop.sh cargo test -p atom-marketplace --test desktop --locked --features atom-marketplace/custom-protocol -- --include-ignored installed::

echo "== remove $package"
trap - EXIT
remove
if dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed'; then
  echo "$package is still installed" >&2
  exit 1
fi
left=$(dpkg-deb -c "$deb" | awk '{print $NF}' | sed 's#^\.##' | grep -v '/$' | while read -r f; do [ -e "$f" ] && echo "$f"; done || true)
[ -z "$left" ] || { echo "files left behind: $left" >&2; exit 1; }
echo "removed cleanly"
