#!/usr/bin/env bash
# Where each balancer's CPU per new connection goes, stickyring next to HAProxy in the same run:
# `perf record -g` (kernel and user stacks, 4999 Hz) of each balancer's process while wrk opens one
# connection per request (Connection: close, -c16, 5 s) through it to one NGINX backend, ROUNDS times
# alternating. Prints per balancer and round: samples per connection in microseconds of CPU, split
# into user mode, each system call (by its kernel entry point), other kernel time (scheduling,
# interrupts), and stickyring's CPU by thread. Writes bench/results/lb-perf-<date>-<HHMM>.md.
# perf's own cost lowers both rates alike; read the microseconds per connection, not the rates.
# stickyring runs with the launcher's LB JVM flags, --io-threads 2 and any lb flags given, after an
# 8 s JIT warm-up. Loopback only; every load step is bounded by wrk -d.
#
# Usage: [ROUNDS=2] [JAR=path] bench/lb/perf-vs-haproxy.sh [lb flags...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR="${JAR:-$ROOT/dist/target/stickyring.jar}"
ROUNDS="${ROUNDS:-2}"
case "$ROUNDS" in (*[!0-9]*|""|0) echo "ROUNDS must be a positive integer, got: $ROUNDS" >&2; exit 2;; esac
for c in perf wrk nginx haproxy; do command -v "$c" >/dev/null || { echo "needs $c (apt-get install linux-perf wrk nginx haproxy)" >&2; exit 2; }; done
WORK="$(mktemp -d /tmp/stickyring-perf.XXXXXX)"; chmod 755 "$WORK"
OUT="$ROOT/bench/results/lb-perf-$(date -u +%Y-%m-%d-%H%M).md"
. "$ROOT/bench/lib/loopback.sh"
kill_on_exit
BPORT=$(free_port); SPORT=$(free_port); SADMIN=$(free_port); HPORT=$(free_port)
. "$ROOT/bench/lb/nginx-backend.sh"
nginx_backend_conf "$WORK" "127.0.0.1:$BPORT"
nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'
LB_JVM="$("$ROOT/stickyring" --print-lb-jvm-flags)"
# shellcheck disable=SC2086
java $LB_JVM -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" -jar "$JAR" lb \
  --listen "127.0.0.1:$SPORT" --admin "127.0.0.1:$SADMIN" --backend "b1=127.0.0.1:$BPORT" \
  --io-threads 2 --close-log-sample 0 "$@" > "$WORK/stickyring.log" 2>&1 &
SPID=$!; PIDS+=($SPID)
haproxy_tcp_conf "$WORK/haproxy.cfg" "127.0.0.1:$HPORT" "127.0.0.1:$BPORT"
haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 &
HPID=$!; PIDS+=($HPID)
wait_port "$BPORT"; wait_port "$SPORT"; wait_port "$HPORT"
wrk -t1 -c16 -d8s -H 'Connection: close' "http://127.0.0.1:$SPORT/small" >/dev/null   # JIT warm-up
wrk -t1 -c16 -d2s -H 'Connection: close' "http://127.0.0.1:$HPORT/small" >/dev/null
LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
: > "$WORK/report.txt"
for round in $(seq 1 "$ROUNDS"); do
  for t in stickyring haproxy; do
    if [ "$t" = stickyring ]; then pid=$SPID; port=$SPORT; else pid=$HPID; port=$HPORT; fi
    perf record -q -F 4999 -g -p "$pid" -o "$WORK/$t-$round.data" -- sleep 6 >/dev/null 2>&1 &
    PP=$!
    sleep 0.5
    n=$(wrk -t1 -c16 -d5s -H 'Connection: close' "http://127.0.0.1:$port/small" | awk '/requests in/ {print $1}')
    wait "$PP"
    perf script -i "$WORK/$t-$round.data" -F comm,ip,sym 2>/dev/null | python3 "$ROOT/bench/lb/perf-split.py" "$t" "$round" "$n" \
      "$(cut -d' ' -f1 /proc/loadavg)" >> "$WORK/report.txt"
  done
done
{
  echo "# CPU per new connection by where it goes: stickyring and HAProxy, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Command: \`ROUNDS=$ROUNDS${JAR:+ JAR=$JAR} bench/lb/perf-vs-haproxy.sh $*\` (perf record -g -F 4999 of each balancer during wrk -t1 -c16 -d5s, Connection: close, one NGINX backend)."
  echo "Machine: $(nproc) cores, $(uname -r). stickyring jar $(sha256sum "$JAR" | cut -c1-12), JVM \`$LB_JVM\`, --io-threads 2 $*; HAProxy $(haproxy -v | head -1 | awk '{print $3}') nbthread 2."
  echo "Load average at start: $LOAD_START. Figures are microseconds of CPU per connection (samples x 200 us / connections)."
  echo
  cat "$WORK/report.txt"
} > "$OUT"
cat "$OUT"
echo "written to $OUT"
