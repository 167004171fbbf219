#!/usr/bin/env bash
# macOS, linted here: clippy over every crate and target of the workspace for aarch64-apple-darwin, with
# `-D warnings`, so that a type error or a lint in `cfg(target_os = "macos")` code fails the run on Linux.
# zig (from the tools venv scripts/setup.sh fills) compiles the C some crates carry (ring, SQLite, objc2's
# exception helper) against Darwin's libc headers; there is no Apple SDK or framework here, so nothing is
# linked and no macOS test runs: the hosted workflow's macOS job builds, tests and bundles.
#   scripts/lint-macos.sh          the lint, in its own build folder ($CARGO_TARGET_DIR/lint-macos), so that
#                                  it can run beside another cargo build of the same folder
set -euo pipefail
cd "$(dirname "$0")/.."

tools="$HOME/.cache/atom-marketplace/tools"
if [ ! -x "$tools/bin/cargo-zigbuild" ]; then
  echo "lint-macos.sh: cargo-zigbuild is missing; scripts/setup.sh installs it" >&2
  exit 1
fi
target="${CARGO_TARGET_DIR:-$PWD/target}"
# The venv's python first: cargo-zigbuild finds zig as `python3 -m ziglang`.
export PATH="$tools/bin:$PATH"
export CARGO_TARGET_DIR="$target/lint-macos"
# No debug information: only the build scripts and proc macros are compiled to code here.
export CARGO_PROFILE_DEV_DEBUG=0
exec cargo-zigbuild clippy --locked --workspace --all-targets --target aarch64-apple-darwin -- -D warnings
