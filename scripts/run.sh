#!/usr/bin/env bash
# Sets up, builds and starts the app on its embedded sandbox (no ATOM account needed).
#   scripts/run.sh            the app, signed in to nothing, on the sandbox
# For development with hot reload instead: `npx --prefix ui tauri dev -- -- --sandbox`
# (or `cargo tauri dev -- -- --sandbox` where the Tauri CLI is installed).
set -euo pipefail
cd "$(dirname "$0")/.."
scripts/setup.sh
npm --prefix ui run --silent build
exec cargo run --locked --features custom-protocol -- --sandbox "$@"
