#!/usr/bin/env bash
# Plays the user's web browser in end-to-end tests. The app opens the sign-in page with xdg-open, which
# runs $BROWSER; this script then does what a person and the OS would do:
#   FAKE_BROWSER_DECISION=approve|deny  press that button on the sandbox's consent page (default approve)
#   FAKE_BROWSER_DECISION=ignore        do nothing (the user closed the tab)
#   FAKE_BROWSER_DECISION=approve:sam   approve as that user of the sandbox (its consent page's choice)
#   FAKE_BROWSER_DECISION_FILE=FILE     read the decision from FILE (tests change it between steps)
#   FAKE_BROWSER_LOG=FILE               append each opened URL to FILE, and when it started and when it
#                                       handed the redirect back ("started MS", "handed MS": the epoch
#                                       in ms; the benchmark splits a sign-in's time with them)
# It follows the server's redirects with a cookie jar, as a browser does (a third-party server signs the
# user in and asks for consent over several pages), and presses the sandbox's consent button when the
# sandbox shows one. A custom-scheme redirect back to the app is handed to the desktop (`gio open`),
# which starts the app's registered handler: a second app process that single-instance forwards to the
# first. A loopback redirect is followed, as a browser does.
set -euo pipefail
url="${1:?usage: fake-browser.sh URL}"
[ -n "${FAKE_BROWSER_LOG:-}" ] && printf 'started %s\n%s\n' "$(date +%s%3N)" "$url" >>"$FAKE_BROWSER_LOG"
case "$url" in
  http://* | https://*) ;;
  *) echo "fake-browser: not a web page: $url" >&2; exit 1 ;;
esac
decision="${FAKE_BROWSER_DECISION:-approve}"
if [ -n "${FAKE_BROWSER_DECISION_FILE:-}" ] && [ -s "$FAKE_BROWSER_DECISION_FILE" ]; then
  decision=$(tr -d '[:space:]' <"$FAKE_BROWSER_DECISION_FILE")
fi
user=""
case "$decision" in
  *:*) user="${decision#*:}"; decision="${decision%%:*}" ;;
esac
[ "$decision" = ignore ] && exit 0

page_file=$(mktemp)
jar=$(mktemp)
trap 'rm -f "$page_file" "$jar"' EXIT
next="$url"
location=""
for _ in $(seq 10); do
  location=$(curl -fsS -b "$jar" -c "$jar" -o "$page_file" -w '%{redirect_url}' "$next")
  if [ -z "$location" ]; then
    # The sandbox's consent page: press its button.
    ticket=$(sed -n 's/.*name="ticket" value="\([^"]*\)".*/\1/p' "$page_file" | head -n 1)
    [ -n "$ticket" ] || { echo "fake-browser: no consent form at $next" >&2; exit 1; }
    origin=$(printf '%s' "$next" | sed -E 's#^(https?://[^/]+).*#\1#')
    location=$(curl -sS -b "$jar" -c "$jar" -o /dev/null -w '%{redirect_url}' --data-urlencode "ticket=$ticket" \
      --data-urlencode "decision=$decision" ${user:+--data-urlencode "user=$user"} "$origin/oauth/authorize")
  fi
  case "$location" in
    http://127.0.0.1:*/oauth/callback*) break ;;
    http://* | https://*) next="$location" ;;
    *) break ;;
  esac
done
[ -n "$location" ] || { echo "fake-browser: the server did not send the browser back" >&2; exit 1; }
[ -n "${FAKE_BROWSER_LOG:-}" ] && printf 'redirect %s\nhanded %s\n' "$location" "$(date +%s%3N)" >>"$FAKE_BROWSER_LOG"

case "$location" in
  http://127.0.0.1:*) curl -sS -o /dev/null "$location" ;;
  *) gio open "$location" ;;
esac
