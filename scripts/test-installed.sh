#!/usr/bin/env bash
# The installed-app test: builds the app's release .deb and .rpm (what users get, signed for updates with
# a throwaway key made here, and the next version's .deb for the update scenario; the benchmark reuses
# them), installs the .deb with apt, then the scenarios of tests/desktop/installed.rs run against it, each
# with a sandbox of its own next to it (the package carries no test server): it signs in while the desktop
# opens the callback through the handler the package registered, and it updates itself to the next
# version. Then the package is removed and nothing of it may be left. Called by scripts/test.sh; needs
# root or sudo. The update scenario's files stay in $target/update-test for a rerun.
set -euo pipefail
cd "$(dirname "$0")/.."

target="${CARGO_TARGET_DIR:-$PWD/target}"
sudo=""
[ "$(id -u)" = 0 ] || sudo="sudo"

# Updates are signed: the packages are built with a throwaway key made here (the release key never
# leaves its maintainer), whose public half the installed app then checks updates with.
keys="$target/update-test"
mkdir -p "$keys"
# Kept from run to run on this machine, like the build cache: a new key would make a new build.
[ -s "$keys/update.key.pub" ] || ui/node_modules/.bin/tauri signer generate --ci -f -p "" -w "$keys/update.key" >/dev/null
export TAURI_SIGNING_PRIVATE_KEY="$keys/update.key" TAURI_SIGNING_PRIVATE_KEY_PASSWORD=""
signed="\"bundle\":{\"createUpdaterArtifacts\":true},\"plugins\":{\"updater\":{\"pubkey\":\"$(cat "$keys/update.key.pub")\"}}"

version=$(node -p 'require("./tauri.conf.json").version')
IFS=. read -r major minor patch <<<"$version"
next="$major.$minor.$((patch + 1))"
# First the next version, for the update scenario: the same code, the next patch version (its .deb only).
echo "== the next version's .deb ($next), signed"
ui/node_modules/.bin/tauri build --bundles deb --config "{$signed,\"version\":\"$next\"}" -- --no-default-features
next_deb="$keys/next.deb"
mv "$target"/release/bundle/deb/ATOM\ Marketplace_"${next}"_*.deb "$next_deb"
mv "$target"/release/bundle/deb/ATOM\ Marketplace_"${next}"_*.deb.sig "$next_deb.sig"
# Then this version's packages, last, so that the release build the benchmark reuses is this one (the
# front end is already built).
echo "== release bundles (.deb, .rpm), signed for updates"
ui/node_modules/.bin/tauri build --bundles deb,rpm --config "{$signed,\"build\":{\"beforeBuildCommand\":\"\"}}" -- --no-default-features
deb=$(ls "$target"/release/bundle/deb/ATOM\ Marketplace_"${version}"_*.deb)
rpm=$(ls -t "$target"/release/bundle/rpm/ATOM\ Marketplace-*.rpm | head -n 1)
echo "built: $deb ($(du -h "$deb" | cut -f1)), $rpm ($(du -h "$rpm" | cut -f1))"
[ -s "$deb.sig" ] || { echo "the .deb has no update signature ($deb.sig)" >&2; exit 1; }
package=$(dpkg-deb -f "$deb" Package)
# The app speaks TLS through the system's OpenSSL (and trusts the system's CA store).
dpkg-deb -f "$deb" Depends | grep -q libssl3 || { echo "the .deb does not depend on libssl3" >&2; exit 1; }

remove() {
  $sudo env DEBIAN_FRONTEND=noninteractive apt-get remove -y -qq "$package" >/dev/null
}
trap remove EXIT

echo "== install $package"
$sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "$deb" >/dev/null
binary=/usr/bin/atom-marketplace
[ -x "$binary" ] || { echo "the package installed no $binary" >&2; exit 1; }

echo "== sign in to the installed app, and update it"
ATOM_E2E=1 ATOM_INSTALLED_APP=1 ATOM_APP_BINARY="$binary" ATOM_PACKAGE="$package" \
  ATOM_UPDATE_KEY="$keys/update.key" ATOM_UPDATE_NEXT_DEB="$next_deb" ATOM_UPDATE_NEXT_VERSION="$next" \
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
