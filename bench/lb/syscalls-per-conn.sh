#!/usr/bin/env bash
# System calls per new connection, stickyring vs HAProxy (strace -c -f on the balancer while wrk opens
# one connection per request), plus perf's software counters (task-clock, context switches) per
# connection. Counts, not times, so machine load barely moves them (strace itself slows the balancer:
# read its rates as meaningless). Loopback only; every step is bounded by wrk -d.
#
# stickyring's system calls are counted on its data-path threads only (lb-io*, lb-accept*): the JVM's
# own threads (JIT compiler, GC, timers) are not the connection's cost, and after a short warm-up the
# C2 compiler alone made ~0.9 gettid calls per connection (session 9). The JIT warm-up runs WARMUP
# seconds (default 30: the new-connection path's compile time settles in about 30 s here).
#
# Usage: [WARMUP=30] [STICKYRING_JAR=path] [LB_FLAGS=...] bench/lb/syscalls-per-conn.sh   (prints; redirect to keep)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR="${STICKYRING_JAR:-$ROOT/dist/target/stickyring.jar}"
WORK="$(mktemp -d /tmp/stickyring-sys.XXXXXX)"; chmod 755 "$WORK"
for c in haproxy nginx wrk strace perf; do command -v $c >/dev/null || { echo "needs $c" >&2; exit 2; }; done
. "$ROOT/bench/lib/loopback.sh"
kill_on_exit
BPORT=$(free_port); SPORT=$(free_port); SADMIN=$(free_port); HPORT=$(free_port)
cat > "$WORK/backend.conf" <<CONF
worker_processes 1; pid $WORK/backend.pid; error_log $WORK/e.log warn; events { worker_connections 8000; }
http { access_log off; client_body_temp_path $WORK/t1; proxy_temp_path $WORK/t2; fastcgi_temp_path $WORK/t3; uwsgi_temp_path $WORK/t4; scgi_temp_path $WORK/t5;
  server { listen 127.0.0.1:$BPORT; location = /small { return 200 "ok\n"; } } }
CONF
nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'
haproxy_tcp_conf "$WORK/h.cfg" "127.0.0.1:$HPORT" "127.0.0.1:$BPORT"
haproxy -f "$WORK/h.cfg" -db > "$WORK/h.log" 2>&1 &
HPID=$!; PIDS+=($HPID)
# shellcheck disable=SC2046,SC2086
java $("$ROOT/stickyring" --print-lb-jvm-flags) -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" -jar "$JAR" lb \
  --listen "127.0.0.1:$SPORT" --admin "127.0.0.1:$SADMIN" --backend "b1=127.0.0.1:$BPORT" --io-threads 2 --close-log-sample 0 ${LB_FLAGS:-} \
  > "$WORK/lb.log" 2>&1 &
SPID=$!; PIDS+=($SPID)
wait_port "$BPORT"; wait_port "$HPORT"; wait_port "$SPORT"
wrk -t1 -c16 -d"${WARMUP:-30}s" -H 'Connection: close' "http://127.0.0.1:$SPORT/small" >/dev/null   # JIT warm-up
# stickyring's data-path threads, as strace -p arguments
lb_threads() { for t in /proc/"$1"/task/*; do case "$(cat "$t/comm")" in lb-io*|lb-accept*) printf -- '-p %s ' "${t##*/}";; esac; done; }
echo "# System calls and context switches per new connection ($(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg))"
echo "jar $(sha256sum "$JAR" | cut -c1-12) ${LB_FLAGS:-} (JIT warm-up ${WARMUP:-30} s; stickyring's calls counted on its lb-io/lb-accept threads)"
for t in stickyring haproxy; do
  if [ $t = stickyring ]; then pid=$SPID; port=$SPORT; else pid=$HPID; port=$HPORT; fi
  perf stat -e task-clock,context-switches -p "$pid" -o "$WORK/perf-$t.txt" -- sleep 4 &
  pp=$!
  n=$(wrk -t1 -c16 -d4s -H 'Connection: close' "http://127.0.0.1:$port/small" | awk '/requests in/ {print $1}')
  wait $pp || true
  echo; echo "## $t: perf stat over $n connections"
  awk -v n="$n" '/task-clock/ {gsub(",","",$1); printf "  task-clock ms per conn   %.4f\n", $1/n} /context-switches/ {gsub(",","",$1); printf "  context switches per conn %.2f\n", $1/n}' "$WORK/perf-$t.txt"
  if [ $t = stickyring ]; then targets=$(lb_threads "$pid"); else targets="-f -p $pid"; fi
  timeout 6 strace -c $targets -o "$WORK/strace-$t.txt" 2>/dev/null &
  st=$!; sleep 0.5
  n=$(wrk -t1 -c4 -d3s -H 'Connection: close' "http://127.0.0.1:$port/small" | awk '/requests in/ {print $1}')
  kill -INT $st 2>/dev/null || true; wait $st 2>/dev/null || true
  echo "## $t: system calls per connection (strace -c -f, $n connections)"
  awk -v n="$n" 'NR>2 && $4 ~ /^[0-9]+$/ && $NF!="total" {t+=$4/n; printf "  %-16s %6.2f\n", $NF, $4/n} END {printf "  %-16s %6.2f\n", "TOTAL", t}' "$WORK/strace-$t.txt" | sort -k2 -rn | head -20
done
