#!/usr/bin/env bash
# The desktop benchmark: the app against the Tauri floor (src-tauri/crates/floor-app: the same plugins,
# an empty page), both release builds, measured in one run and alternated; prints a table of medians
# and ratios and writes it to bench-results/desktop.md. What is measured: see
# src-tauri/crates/bench-desktop/src/main.rs.
#   scripts/bench-app.sh               5 runs, 10,000 skills
#   scripts/bench-app.sh --short       2 runs (what CI runs)
#   scripts/bench-app.sh --opt-levels  also the app built at opt-level 3, to compare with "s"
#   scripts/bench-app.sh --built       the app's release build and .deb as they are (CI: those of
#                                      scripts/test-installed.sh, which differ from a plain build only by
#                                      the update key's public half)
set -euo pipefail
cd "$(dirname "$0")/.."

runs=5
opt_levels=0
built=0
for arg in "$@"; do
  case "$arg" in
    --short) runs=2 ;;
    --opt-levels) opt_levels=1 ;;
    --built) built=1 ;;
    *) echo "usage: scripts/bench-app.sh [--short] [--opt-levels] [--built]" >&2; exit 2 ;;
  esac
done

scripts/setup.sh
target="${CARGO_TARGET_DIR:-$PWD/target}"
tauri="$PWD/ui/node_modules/.bin/tauri"

echo "== release bundles: the app and the floor"
# The packages' build: without the sandbox's code (`--no-default-features`), as test-installed.sh builds it.
[ "$built" = 1 ] || "$tauri" build --bundles deb -- --no-default-features
(cd src-tauri/crates/floor-app && "$tauri" build --bundles deb)
cargo build --release --locked -p atom-bench-desktop

newest() { ls -t "$@" 2>/dev/null | head -n 1; }
app_deb=$(newest "$target"/release/bundle/deb/ATOM\ Marketplace_*.deb)
floor_deb=$(newest "$target"/release/bundle/deb/ATOM\ Floor_*.deb)
args=(
  --floor "$target/release/atom-floor" --deb "floor=$floor_deb"
  --app "app=$target/release/atom-marketplace" --deb "app=$app_deb"
  --runs "$runs" --out bench-results/desktop.md
)
if [ "$opt_levels" = 1 ]; then
  echo "== the app at opt-level 3 (profile release-o3)"
  cargo build --profile release-o3 --locked --no-default-features --features custom-protocol --bin atom-marketplace
  args+=(--app "app-O3=$target/release-o3/atom-marketplace")
fi

mkdir -p bench-results
echo "== measuring ($runs runs)"
scripts/with-desktop.sh "$target/release/bench-desktop" "${args[@]}"
echo "(table written to bench-results/desktop.md)"
