#!/usr/bin/env bash
# The Windows build, lints and tests. On Linux (scripts/test.sh, so CI) it cross-builds for
# x86_64-pc-windows-gnu with mingw and runs the test binaries as Windows programs under Wine
# (scripts/wine.sh); on Windows (the hosted job, in Git Bash) it runs the same steps natively.
#   scripts/test-windows.sh                lints, tests, and the app's .exe started: under Wine the one the
#                                          tests built (debug), natively a release build
#   scripts/test-windows.sh --release-exe  the release build under Wine too (profile release-check)
#   scripts/test-windows.sh --no-exe       lints and tests only
#   scripts/test-windows.sh --build-only   lints and builds the tests, runs nothing (test.sh starts it
#                                          beside the Linux tests, which mostly wait)
# Cross-built, it uses a build folder of its own ($CARGO_TARGET_DIR/windows), as scripts/lint-macos.sh
# does: Cargo locks a build folder while it builds, and the build can then go on beside another one.
# What cannot run is skipped by name below, each with its reason; docs/testing.md has the whole table.
set -euo pipefail
cd "$(dirname "$0")/.."

build_exe=1
release_exe=""
build_only=0
for arg in "$@"; do
  case "$arg" in
    --no-exe) build_exe=0 ;;
    --release-exe) release_exe=1 ;;
    --build-only) build_only=1 ;;
    *) echo "usage: scripts/test-windows.sh [--no-exe | --release-exe | --build-only]" >&2; exit 2 ;;
  esac
done

case "$(uname -s)" in
  MINGW* | MSYS* | CYGWIN*) native=1 ;;
  *) native=0 ;;
esac

target_args=()
if [ "$native" = 0 ]; then
  target=x86_64-pc-windows-gnu
  target_args=(--target "$target")
  runner_var="CARGO_TARGET_$(echo "$target" | tr 'a-z-' 'A-Z_')_RUNNER"
  export "$runner_var"="$PWD/scripts/wine.sh"
  export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$PWD/target}/windows"
  [ "$build_only" = 1 ] || scripts/wine.sh --prepare
  # No debug information in the Windows test binaries: it tripled the target folder (14 GB) and a
  # failing test's panic message and backtrace names are enough to start from.
  export CARGO_PROFILE_DEV_DEBUG=0
fi

# Skipped as Windows programs, by exact name: "where|test|why". `wine` entries are skipped under Wine
# only and run in the hosted Windows job; `windows` entries are skipped on every Windows.
skips=(
  "windows|a_proxy_that_asks_for_a_password_gets_it_from_the_proxy_address|tinyproxy, the proxy it goes through, is a Linux program"
  "windows|this_computer_is_never_reached_through_a_proxy|tinyproxy, the proxy it watches, is a Linux program"
  "wine|a_certificate_is_trusted_only_through_the_trust_store|Wine 8's certificate checks do not match a certificate's IP address (127.0.0.1), so the trusted case fails there; Windows' SChannel does"
  "wine|https_goes_through_the_proxy_unless_no_proxy_names_the_host|the same certificate check as the test above, through a proxy"
)
# The interop tests start a third-party OAuth server with Node.js: a Windows program under Wine
# cannot start Linux's Node.js; the hosted job has Windows' own.
for name in a_denial_at_the_server_is_a_cancelled_sign_in a_reused_refresh_token_ends_in_a_clean_sign_in_again \
  a_tampered_state_or_a_foreign_issuer_is_refused_before_any_token_request \
  an_rfc_6750_invalid_token_is_recovered_by_one_refresh_and_one_replay \
  refresh_rotates_five_racing_callers_make_one_request_and_a_second_session_restores \
  discovery_reads_the_servers_metadata_both_ways sign_out_revokes_at_the_server_or_says_it_could_not \
  sign_in_works_with_both_redirects_and_form_encoded_requests without_offline_access_the_session_ends_when_the_token_does \
  two_users_side_by_side_each_refresh_rotates_only_its_own_token \
  a_verified_id_token_names_each_user_and_one_from_other_keys_names_nobody \
  ten_second_tokens_are_renewed_before_they_expire_and_never_sent_expired \
  a_sign_in_started_with_a_server_known_without_an_issuer_is_not_completed_by_another; do
  skips+=("wine|$name|the third-party OAuth server runs on Node.js, which a Windows program under Wine cannot start")
done

skip_args=()
echo "== Windows: tests skipped here, and why"
for entry in "${skips[@]}"; do
  IFS='|' read -r where name why <<<"$entry"
  if [ "$where" = windows ] || [ "$native" = 0 ]; then
    skip_args+=(--skip "$name")
    echo "  $name: $why"
  fi
done

echo "== Windows: lint (clippy, -D warnings, every target of the workspace)"
cargo clippy "${target_args[@]}" --workspace --all-targets --locked -- -D warnings

if [ "$build_only" = 1 ]; then
  echo "== Windows: the tests built"
  cargo test "${target_args[@]}" --workspace --locked --no-run
  echo "(Windows, built: $((SECONDS / 60)) min $((SECONDS % 60)) s)"
  exit 0
fi

echo "== Windows: tests$([ "$native" = 0 ] && echo ' (as Windows programs, under Wine)')"
# The desktop scenarios (tests/desktop) are built for Linux only; the rest of the
# workspace's tests run, the ignored ones too, but for the skips above. One invocation, so that the
# dependencies are built once with one set of features.
cargo test "${target_args[@]}" --workspace --locked --no-fail-fast -- --include-ignored --exact "${skip_args[@]}"

# Natively (the hosted job) the release build is started; under Wine, the .exe the tests above built
# (the debug profile, without the embedded front end), unless --release-exe: the release build's cold
# compile took 5 minutes of CI's budget, and the optimised program is built by the hosted Windows job.
[ -n "$release_exe" ] || release_exe=$native
if [ "$build_exe" = 1 ] && [ "$release_exe" = 1 ]; then
  echo "== Windows: the app's release .exe (front end embedded)"
  [ -f ui/dist/index.html ] || npm --prefix ui run --silent build
  # The release settings without the packages' link-time optimisation (Cargo.toml, `release-check`):
  # what starts is the same program; the shipped, optimised one is built by the hosted Windows job.
  cargo build "${target_args[@]}" --profile release-check --locked --no-default-features --features custom-protocol --bin atom-marketplace
  exe="${CARGO_TARGET_DIR:-target}/${target:-}${target:+/}release-check/atom-marketplace.exe"
elif [ "$build_exe" = 1 ]; then
  echo "== Windows: the app's .exe, as the tests built it"
  exe="${CARGO_TARGET_DIR:-target}/${target:-}${target:+/}debug/atom-marketplace.exe"
fi
if [ "$build_exe" = 1 ]; then
  [ -f "$exe" ] || { echo "no $exe was built" >&2; exit 1; }
  echo "built $exe ($(du -h "$exe" | cut -f1))"
  if [ "$native" = 0 ]; then
    # Wine has no WebView2 runtime, so the app cannot make its window; that it gets there and says so
    # proves the .exe loads (every DLL it imports) and starts. A window is for the hosted job.
    echo "== Windows: the .exe starts under Wine and says what it lacks (WebView2)"
    said=$(timeout 120 scripts/wine.sh "$exe" 2>&1) && status=0 || status=$?
    if [ "$status" != 1 ] || ! grep -q "It needs the Microsoft Edge WebView2 Runtime" <<<"$said"; then
      echo "the .exe ended with $status, saying: $said" >&2
      exit 1
    fi
    echo "it ended with 1, saying: $(grep -m1 'could not open its window' <<<"$said")"
  fi
fi
echo "(Windows: $((SECONDS / 60)) min $((SECONDS % 60)) s)"
