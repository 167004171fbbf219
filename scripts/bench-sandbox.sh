#!/usr/bin/env bash
# Sandbox throughput and memory: GET /skills?limit=50 on loopback with rate limits off, 10,000 skills.
#   scripts/bench-sandbox.sh [SECONDS]     (default 10)
# Prints a table; docs/benchmarks.md keeps the latest one.
set -euo pipefail
cd "$(dirname "$0")/.."
duration="${1:-10}"
scripts/setup.sh --bench

cargo build --release -p atom-sandbox --locked
bin="${CARGO_TARGET_DIR:-target}/release/atom-sandbox"
log=$(mktemp)
"$bin" --no-rate-limits --skills 10000 >"$log" 2>&1 &
pid=$!
trap 'kill "$pid" 2>/dev/null || true; rm -f "$log"' EXIT
for _ in $(seq 50); do
  grep -q 'listening on' "$log" && break
  sleep 0.1
done
base=$(sed -n 's/^atom-sandbox listening on //p' "$log")
[ -n "$base" ] || { echo "the sandbox did not start:"; cat "$log"; exit 1; }
url="$base/api/public/v1/marketplace/skills?limit=50"

rss_idle=$(awk '/VmRSS/ {print $2}' "/proc/$pid/status")
curl -fsS "$url" >/dev/null
# One wrk thread: the machine has two cores and the server needs the other.
out=$(wrk -t1 -c32 -d"${duration}s" --latency "$url")
rss_peak=$(awk '/VmHWM/ {print $2}' "/proc/$pid/status")

rps=$(echo "$out" | awk '/Requests\/sec/ {print $2}')
p50=$(echo "$out" | awk '$1 == "50%" {print $2}')
p99=$(echo "$out" | awk '$1 == "99%" {print $2}')
errors=$(echo "$out" | awk '/Non-2xx|Socket errors/ {print}' | tr '\n' ' ')
total=$(echo "$out" | awk '/requests in/ {print $1}')

echo
echo "| measure (10,000 skills, GET /skills?limit=50, wrk -t1 -c32 -d${duration}s) | value | target |"
echo "|---|---|---|"
echo "| requests/s | $rps | >= 10,000 |"
echo "| latency p50 | $p50 | |"
echo "| latency p99 | $p99 | |"
echo "| requests | $total | |"
echo "| errors | ${errors:-0} | 0 |"
echo "| RSS after start | $((rss_idle / 1024)) MB | < 100 MB |"
echo "| peak RSS under load | $((rss_peak / 1024)) MB | < 100 MB |"
echo "| machine | $(nproc) cores, $(uname -m) | |"
