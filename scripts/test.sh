#!/usr/bin/env bash
# Sets up what the tests need, then runs every check and test of the project: formatting, lints, the
# front end's type check and unit tests, and all Rust tests, the desktop ones (real Secret Service,
# deep links between two processes, WebDriver on the real app) inside a headless desktop session.
# This is the README's test command, and what CI runs (.ci/run).
#   scripts/test.sh           everything (what CI runs)
#   scripts/test.sh --quick   the inner loop: format, lints, type check, unit tests, and the core's and the
#                             sandbox's tests over loopback; no desktop session, packaging or benchmark
set -euo pipefail
cd "$(dirname "$0")/.."

quick=0
for arg in "$@"; do
  case "$arg" in
    --quick) quick=1 ;;
    *) echo "usage: scripts/test.sh [--quick]" >&2; exit 2 ;;
  esac
done

if [ "$quick" = 0 ]; then scripts/setup.sh; fi

# The short benchmark's release builds (the app's again, and the floor's) add about 7 minutes to a run
# on a cold build cache, a new machine's first, whose numbers a machine busy installing would also make
# noisy: it runs from the second run on (the app's release build is then cached), or with ATOM_BENCH=1.
target="${CARGO_TARGET_DIR:-$PWD/target}"
bench=0
if [ -x "$target/release/atom-marketplace" ] || [ "${ATOM_BENCH:-}" = 1 ]; then bench=1; fi

# Line tables only in the test builds: a failing test's backtrace still names files and lines, and the
# builds (the desktop test binary links all of Tauri and WebKit's bindings) are quicker on a cold cache.
export CARGO_PROFILE_DEV_DEBUG="${CARGO_PROFILE_DEV_DEBUG:-line-tables-only}"

echo "== format"
cargo fmt --all -- --check

echo "== front end: type check, unit tests, build"
npm --prefix ui run --silent check
npm --prefix ui run --silent test
npm --prefix ui run --silent build

echo "== lint"
cargo clippy --workspace --all-targets --locked -- -D warnings

echo "== the core and the desktop parts stay free of Tauri and webviews"
for crate in atom-core atom-desktop; do
  if cargo tree -p "$crate" -e normal --prefix none --locked --target all | awk '{print $1}' \
    | grep -qE '^(tauri|wry|webkit2gtk|tao)'; then
    echo "$crate depends on a Tauri or webview crate" >&2
    exit 1
  fi
done

echo "== the HTTP client reads Windows' and macOS' proxy settings (the system-proxy feature)"
# Not testable on Linux, where there are no such settings to read; without the feature a proxy set in
# Windows' or macOS' network settings would be ignored, and a company network's proxy with it.
if ! cargo tree -p atom-core -e features -i reqwest --locked --target all | grep -q '"system-proxy"'; then
  echo "reqwest is built without its system-proxy feature" >&2
  exit 1
fi

echo "== the hosted-CI workflow (actionlint)"
actionlint="$HOME/.cache/atom-marketplace/tools/bin/actionlint"
if [ -x "$actionlint" ] || [ "$quick" = 0 ]; then
  "$actionlint" -no-color .github/workflows/ci.yml
else
  echo "(actionlint is not installed: scripts/setup.sh installs it)"
fi

if [ "$quick" = 1 ]; then
  echo "== tests: unit, and the core and the sandbox over loopback (--quick)"
  cargo test --workspace --locked
  echo "(quick run: the desktop, interop, installed-package tests and the benchmark were not run)"
  exit 0
fi

echo "== tests: built first"
features=(--locked --features atom-marketplace/custom-protocol)
workspace_tests=(--workspace --exclude atom-marketplace --locked)
cargo test "${workspace_tests[@]}" --no-run
cargo test -p atom-marketplace --lib --test desktop "${features[@]}" --no-run

# macOS linted, then Windows linted and its tests built, beside the Linux tests: they mostly wait (on
# servers, tokens that expire, a window) once they are built, so these start then, each in its own build
# folder (Cargo locks the one it builds in) at the lowest priority, and the run waits for them after the
# Linux tests and the installed package's. Cold, each compiles every dependency once more for its system
# (7 and 11 minutes alone on this machine); started beside the tests' builds instead, the macOS lint
# slowed them by as much.
echo "== macOS lint, then Windows lint and test build: beside the tests (their output follows them)"
mkdir -p "$target"
macos_log="$target/lint-macos.log"
windows_log="$target/build-windows.log"
rm -f "$target/lint-macos.status" "$target/build-windows.status"
# A process group of its own (setsid), ended with the run if a test fails first.
setsid nice -n 19 bash -c '
  scripts/lint-macos.sh >"$1" 2>&1; echo $? >"$3/lint-macos.status"
  scripts/test-windows.sh --build-only >"$2" 2>&1; echo $? >"$3/build-windows.status"
' beside "$macos_log" "$windows_log" "$target" &
beside=$!
trap 'kill -- "-$beside" 2>/dev/null || true' EXIT

echo "== tests (in a headless desktop session)"
export ATOM_E2E=1
export ATOM_SCREENSHOTS="${ATOM_SCREENSHOTS:-$PWD/target/screenshots}"
# A scenario that gets stuck leaves every thread's stack of the app and WebKit next to its screenshot.
export ATOM_E2E_STACKS="${ATOM_E2E_STACKS:-1}"
# --include-ignored: the tests that need what a plain `cargo test` does not have are ignored there and
# run here: the interop tests against the third-party OAuth server (tests/interop, Node.js packages) and
# the desktop tests (this desktop session).
scripts/with-desktop.sh cargo test "${workspace_tests[@]}" -- --include-ignored
scripts/with-desktop.sh cargo test -p atom-marketplace --lib "${features[@]}" -- --include-ignored
# The desktop scenarios (tests/desktop), all but the installed package's, which test-installed.sh runs.
scripts/with-desktop.sh cargo test -p atom-marketplace --test desktop "${features[@]}" -- --include-ignored \
  --skip installed::

# The installed package's release builds next, while the Windows build may still go on beside them:
# their link-time optimisation runs on one core, and the Windows build takes the other.
echo "== the installed package: .deb and .rpm built, the .deb installed, signed in through its scheme, removed"
scripts/test-installed.sh

echo "== macOS: clippy for aarch64-apple-darwin (started beside the tests)"
wait "$beside" || true
trap - EXIT
if [ "$(cat "$target/lint-macos.status" 2>/dev/null)" != 0 ]; then
  cat "$macos_log"
  echo "the macOS lint failed (scripts/lint-macos.sh)" >&2
  exit 1
fi
grep -vE '^\s+(Compiling|Checking)' "$macos_log" || true

echo "== Windows: lints, the tests as Windows programs under Wine, the .exe started"
# Linted and built beside the Linux tests (what failed there fails again here, with its output).
tail -n 1 "$windows_log" 2>/dev/null || true
scripts/test-windows.sh

if [ "$bench" = 1 ]; then
  echo "== the desktop benchmark, short (release builds of the app and the floor; numbers, not pass/fail)"
  scripts/bench-app.sh --short --built
else
  echo "== the desktop benchmark: not on a cold build cache (it runs from the next run on; ATOM_BENCH=1 forces it)"
fi
