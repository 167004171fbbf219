#!/usr/bin/env bash
# Runs a Windows program under Wine, as Cargo's runner for the x86_64-pc-windows-gnu target
# (CARGO_TARGET_X86_64_PC_WINDOWS_GNU_RUNNER): `cargo test --target x86_64-pc-windows-gnu` then runs the
# test binaries as Windows programs. The Wine prefix is the project's own, made on first use.
#   scripts/wine.sh PROGRAM.exe [ARGS...]
#   scripts/wine.sh --prepare          make the prefix (and the shim below) only
#
# Debian 12's Wine 8 lacks ProcessPrng, which every Rust program since 1.78 imports: the prefix gets a
# small stand-in DLL built from scripts/wine/bcryptprimitives.c (why, and when it can go: that file).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"

export WINEPREFIX="${ATOM_WINEPREFIX:-$HOME/.cache/atom-marketplace/wine}"
export WINEDEBUG="${WINEDEBUG:--all}"
# No Mono or Gecko: nothing here needs .NET or Wine's HTML engine, and their installers would ask.
export WINEDLLOVERRIDES="${WINEDLLOVERRIDES:-mscoree,mshtml=}"
# Wine's windows (none are wanted) go nowhere when there is no display.
unset DISPLAY WAYLAND_DISPLAY

prepare() {
  if [ ! -f "$WINEPREFIX/system.reg" ]; then
    mkdir -p "$WINEPREFIX"
    wineboot --init >/dev/null 2>&1
    wineserver --wait
  fi
  local shim="$WINEPREFIX/drive_c/windows/system32/bcryptprimitives.dll"
  local source="$here/wine/bcryptprimitives.c"
  if [ ! -f "$shim" ] || [ "$source" -nt "$shim" ]; then
    # Wine 9 and later have the function: the shim is for older Wine only.
    local major
    major=$(wine --version 2>/dev/null | sed -n 's/^wine-\([0-9]*\).*/\1/p')
    if [ -z "$major" ] || [ "$major" -lt 9 ]; then
      x86_64-w64-mingw32-gcc -shared -O2 -Wall -o "$shim.tmp" "$source" -ladvapi32
      mv "$shim.tmp" "$shim"
    fi
  fi
}

if [ "${1:-}" = "--prepare" ]; then
  prepare
  exit 0
fi
[ $# -ge 1 ] || { echo "usage: scripts/wine.sh PROGRAM.exe [ARGS...] | --prepare" >&2; exit 2; }

# One preparation at a time (cargo may start several test binaries).
exec 9>"${WINEPREFIX%/}.lock"
flock 9
prepare
flock -u 9

# DLLs the program was linked against that Cargo leaves beside the target folder's profile folder,
# not beside the test binary in deps/ (WebView2Loader.dll, for the app's crate).
# Wine's drive Z: is the Unix root.
windows_path() { local p="Z:$1"; printf '%s' "${p//\//\\}"; }
program_dir="$(cd "$(dirname "$1")" && pwd)"
export WINEPATH="$(windows_path "$program_dir");$(windows_path "$(dirname "$program_dir")")${WINEPATH:+;$WINEPATH}"
exec wine "$@"
