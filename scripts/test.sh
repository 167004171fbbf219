#!/usr/bin/env bash
# Sets up what the tests need, then runs every check and test of the project.
# This is the README's test command, and what CI runs (.ci/run).
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/setup.sh

echo "== format"
cargo fmt --all -- --check
echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== the core stays free of Tauri and webviews"
if cargo tree -p atom-core -e normal --prefix none --locked | awk '{print $1}' | grep -qE '^(tauri|wry|webkit2gtk|tao)'; then
  echo "atom-core depends on a Tauri or webview crate" >&2
  exit 1
fi
echo "== tests"
cargo test --workspace --locked
