#!/usr/bin/env bash
# The installed-app test: builds the app's .deb and .rpm (a debug build, which is quick), installs the
# .deb with apt, signs in to the installed app on its embedded sandbox while the desktop opens the
# callback through the handler the package registered (tests/installed_app.rs), then removes the
# package and checks that nothing of it is left. Called by scripts/test.sh; needs root or sudo.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

echo "== debug bundles (.deb, .rpm)"
ui/node_modules/.bin/tauri build --debug --bundles deb,rpm
deb=$(ls -t "$target"/debug/bundle/deb/*.deb | head -n 1)
rpm=$(ls -t "$target"/debug/bundle/rpm/*.rpm | head -n 1)
echo "built: $deb ($(du -h "$deb" | cut -f1)), $rpm ($(du -h "$rpm" | cut -f1))"
package=$(dpkg-deb -f "$deb" Package)

remove() {
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$package" >/dev/null
}
trap remove EXIT

echo "== install $package"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
binary=/usr/bin/atom-marketplace
[ -x "$binary" ] || { echo "the package installed no $binary" >&2; exit 1; }

echo "== sign in to the installed app"
ATOM_E2E=1 ATOM_INSTALLED_APP=1 ATOM_APP_BINARY="$binary" \
  scripts/with-desktop.sh cargo test -p atom-marketplace --test installed_app --locked --features atom-marketplace/custom-protocol

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
