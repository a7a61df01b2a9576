#!/usr/bin/env bash
# JFR profile of stickyring's new-connection path: one NGINX backend, wrk opening one connection per
# request (Connection: close, -c16) for SECONDS after a warm-up. Prints the hottest Java frames (top
# of stack, and stickyring/netty frames anywhere on the stack) and every exception class thrown with
# its count per connection. Loopback only; bounded by wrk -d. Optional JAR (default dist/target/stickyring.jar)
# and extra lb flags after it.
#
# Usage: bench/lb/profile-conn.sh [SECONDS (default 8)] [JAR] [lb flags...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DUR="${1:-8}"; JAR="${2:-$ROOT/dist/target/stickyring.jar}"; shift $(( $# > 2 ? 2 : $# ))
WORK="$(mktemp -d /tmp/stickyring-prof.XXXXXX)"; chmod 755 "$WORK"
. "$ROOT/bench/lib/loopback.sh"
kill_on_exit
BPORT=$(free_port); SPORT=$(free_port); SADMIN=$(free_port)
cat > "$WORK/backend.conf" <<CONF
worker_processes 1;
pid $WORK/backend.pid;
error_log $WORK/backend-error.log warn;
events { worker_connections 8000; }
http { access_log off;
  client_body_temp_path $WORK/t1; proxy_temp_path $WORK/t2; fastcgi_temp_path $WORK/t3; uwsgi_temp_path $WORK/t4; scgi_temp_path $WORK/t5;
  server { listen 127.0.0.1:$BPORT; location = /small { return 200 "ok\n"; } } }
CONF
nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'
java -Xms256m -Xmx512m -XX:+UseParallelGC -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" \
  -XX:StartFlightRecording=settings=profile,filename="$WORK/rec.jfr",jdk.JavaExceptionThrow#enabled=true,jdk.ExecutionSample#period=1ms \
  -jar "$JAR" lb --listen "127.0.0.1:$SPORT" --admin "127.0.0.1:$SADMIN" --backend "b1=127.0.0.1:$BPORT" \
  --io-threads 2 --close-log-sample 0 "$@" > "$WORK/stickyring.log" 2>&1 &
SPID=$!; PIDS+=($SPID)
wait_port "$BPORT"; wait_port "$SPORT"
wrk -t1 -c16 -d5s -H 'Connection: close' "http://127.0.0.1:$SPORT/small" >/dev/null   # JIT warm-up
jcmd "$SPID" JFR.stop >/dev/null 2>&1 || true
jcmd "$SPID" JFR.start settings=profile name=p filename="$WORK/rec.jfr" jdk.JavaExceptionThrow#enabled=true >/dev/null
N=$(wrk -t1 -c16 -d"${DUR}s" -H 'Connection: close' "http://127.0.0.1:$SPORT/small" | awk '/requests in/ {print $1}')
jcmd "$SPID" JFR.dump name=p filename="$WORK/rec.jfr" >/dev/null
echo "connections: $N in ${DUR}s; load average $(cut -d' ' -f1-3 /proc/loadavg)"
jfr print --events jdk.JavaExceptionThrow "$WORK/rec.jfr" > "$WORK/exc.txt" || true
echo "## exceptions constructed (class: count, per connection)"
grep -o 'thrownClass = [^ ]*' "$WORK/exc.txt" | sort | uniq -c | sort -rn | head -15 \
  | awk -v n="$N" '{printf "%8d  %.2f  %s\n", $1, $1/n, $4}'
jfr print --events jdk.ExecutionSample --stack-depth 64 "$WORK/rec.jfr" > "$WORK/samples.txt"
echo "## top frames (self), of $(grep -c 'jdk.ExecutionSample' "$WORK/samples.txt") samples"
awk '/stackTrace = \[/ {getline; sub(/^[ \t]+/, ""); sub(/line:.*/, ""); print}' "$WORK/samples.txt" | sort | uniq -c | sort -rn | head -25
echo "## stickyring frames anywhere on the stack (inclusive)"
awk '/jdk.ExecutionSample/ {delete seen} /io\.stickyring/ {f=$0; sub(/^[ \t]+/, "", f); sub(/line:.*/, "", f); if (!(f in seen)) {seen[f]=1; print f}}' "$WORK/samples.txt" \
  | sort | uniq -c | sort -rn | head -20
echo "(recording kept in $WORK/rec.jfr)"
