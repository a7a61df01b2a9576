#!/usr/bin/env bash
# Time from launching `stickyring demo` (3 nodes, fresh data directory, jar already built) to its
# "demo: ready" line, ROUNDS times; writes bench/results/demo-start-<UTC time>.md with the load
# average before each round (the machine is shared). Usage: bench/demo/start-time.sh [ROUNDS]
set -euo pipefail
here="$(cd "$(dirname "$0")/../.." && pwd)"
jar="$here/dist/target/stickyring.jar"
rounds="${1:-3}"
[ -f "$jar" ] || { echo "start-time: $jar missing; run mvn -B -DskipTests package first" >&2; exit 1; }
out="$here/bench/results/demo-start-$(date -u +%Y%m%d-%H%M).md"
{
  echo "# demo start time, $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores"
  echo
  echo '`java -jar dist/target/stickyring.jar demo --port 0 --admin-port 0 --control-port 0 --data DIR --no-console`'
  echo
  echo "| round | ready after | load average (1 min) before |"
  echo "|---|---|---|"
} > "$out"
for i in $(seq 1 "$rounds"); do
  dir="$(mktemp -d)"
  load="$(cut -d' ' -f1 /proc/loadavg)"
  start=$(date +%s%N)
  java -jar "$jar" demo --port 0 --admin-port 0 --control-port 0 --data "$dir/data" --no-console > "$dir/out" 2>&1 &
  pid=$!
  ready=""
  for _ in $(seq 1 1200); do
    if grep -q '^demo: ready' "$dir/out"; then ready=$(( ($(date +%s%N) - start) / 1000000 )); break; fi
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid" 2>/dev/null || true
  if [ -n "$ready" ]; then
    printf '| %d | %d.%01d s | %s |\n' "$i" $((ready / 1000)) $(( (ready % 1000) / 100 )) "$load" >> "$out"
  else
    echo "| $i | not ready within 120 s (see $dir/out) | $load |" >> "$out"
  fi
  rm -rf "$dir"
done
cat "$out"
