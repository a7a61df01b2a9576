#!/usr/bin/env bash
# CPU time each balancer spends per new connection and per keep-alive request: a measure that
# machine load barely disturbs (it counts the balancer process's own user+system CPU from
# /proc/PID/stat, divided by the requests wrk completed). stickyring vs HAProxy, same NGINX backend.
# Writes bench/results/lb-cpu-<date>-<HHMM>.md. Loopback only; every step is time-bounded.
#
# Usage: [CONNS=16] [WARMUP=5] [STICKYRING_JAR=path] [LB_FLAGS=...] [B_JAR=path] [B_FLAGS=...] bench/lb/cpu-per-op.sh [SECONDS_PER_STEP (default 4)]
# CONNS: wrk's concurrent clients for the new-connection step (run.sh uses 64); WARMUP: seconds of each
# warm-up step (the new-connection path's JIT compile time settles in about 30 s here).
# STICKYRING_JAR: the build measured (default dist/target/stickyring.jar); LB_FLAGS: extra lb flags for it.
# B_JAR / B_FLAGS: a second stickyring process ("stickyring-B", e.g. the jar before a change, or
# --transport io_uring), measured in the same rounds, interleaved; B_FLAGS alone reuses STICKYRING_JAR.
# B_JVM: other JVM options for B. LB JVM options come from LB_JVM (default: the launcher's LB flags, see ./stickyring).
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DUR="${1:-4}"
WORK="$(mktemp -d /tmp/stickyring-cpu.XXXXXX)"; chmod 755 "$WORK"
OUT="$ROOT/bench/results/lb-cpu-$(date -u +%Y-%m-%d-%H%M).md"
for c in haproxy nginx wrk; do command -v $c >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y $c >/dev/null; done
JAR="${STICKYRING_JAR:-$ROOT/dist/target/stickyring.jar}"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -pl dist -am package -DskipTests)
. "$ROOT/bench/lib/loopback.sh"
kill_on_exit
BPORT=$(free_port); SPORT=$(free_port); SADMIN=$(free_port); HPORT=$(free_port)
cat > "$WORK/backend.conf" <<CONF
worker_processes 1;
pid $WORK/backend.pid;
error_log $WORK/backend-error.log warn;
events { worker_connections 8000; }
http { access_log off; keepalive_requests 10000000;
  client_body_temp_path $WORK/t1; proxy_temp_path $WORK/t2; fastcgi_temp_path $WORK/t3; uwsgi_temp_path $WORK/t4; scgi_temp_path $WORK/t5;
  server { listen 127.0.0.1:$BPORT; location = /small { return 200 "ok\n"; } } }
CONF
nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'
haproxy_tcp_conf "$WORK/haproxy.cfg" "127.0.0.1:$HPORT" "127.0.0.1:$BPORT"
haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 &
HPID=$!; PIDS+=($HPID)
LB_JVM="${LB_JVM:-$("$ROOT/stickyring" --print-lb-jvm-flags 2>/dev/null || echo -Xms256m -Xmx512m -XX:+UseParallelGC)}"
start_lb() { # jvm-options jar port admin flags... -> pid
  local jvm=$1 jar=$2 port=$3 admin=$4; shift 4
  # shellcheck disable=SC2086
  java $jvm -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" -jar "$jar" lb \
    --listen "127.0.0.1:$port" --admin "127.0.0.1:$admin" --backend "b1=127.0.0.1:$BPORT" --io-threads 2 --close-log-sample 0 \
    "$@" > "$WORK/stickyring-$port.log" 2>&1 &
  echo $!
}
# shellcheck disable=SC2086
SPID=$(start_lb "$LB_JVM" "$JAR" "$SPORT" "$SADMIN" ${LB_FLAGS:-}); PIDS+=($SPID)
BPID=""
if [ -n "${B_JAR:-}${B_FLAGS:-}${B_JVM:-}" ]; then
  BJAR="${B_JAR:-$JAR}"; BLPORT=$(free_port); BADMIN=$(free_port)
  # shellcheck disable=SC2086
  BPID=$(start_lb "${B_JVM:-$LB_JVM}" "$BJAR" "$BLPORT" "$BADMIN" ${B_FLAGS:-}); PIDS+=($BPID)
fi
wait_port "$BPORT"; wait_port "$HPORT"; wait_port "$SPORT"; [ -z "$BPID" ] || wait_port "$BLPORT"
TCK=$(getconf CLK_TCK)
# warm the JIT on both paths
for p in "$SPORT" ${BPID:+"$BLPORT"}; do
  wrk -t1 -c"${CONNS:-16}" -d"${WARMUP:-5}s" -H 'Connection: close' "http://127.0.0.1:$p/small" >/dev/null
  wrk -t1 -c32 -d"${WARMUP:-5}s" "http://127.0.0.1:$p/small" >/dev/null
done
step() { # pid port mode -> "user_us sys_us n"
  local a b n
  a=$(awk '{print $14, $15}' "/proc/$1/stat")
  if [ "$3" = conn ]; then n=$(wrk -t1 -c"${CONNS:-16}" -d"${DUR}s" -H 'Connection: close' "http://127.0.0.1:$2/small" | awk '/requests in/ {print $1}')
  else n=$(wrk -t1 -c32 -d"${DUR}s" "http://127.0.0.1:$2/small" | awk '/requests in/ {print $1}'); fi
  b=$(awk '{print $14, $15}' "/proc/$1/stat")
  echo "$a $b $n" | awk -v t="$TCK" '{printf "%.1f %.1f %d\n", ($3-$1)*1e6/t/$5, ($4-$2)*1e6/t/$5, $5}'
}
{
  echo "# CPU per operation, stickyring vs HAProxy, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Command: \`${CONNS:+CONNS=$CONNS }${WARMUP:+WARMUP=$WARMUP }${STICKYRING_JAR:+STICKYRING_JAR=$STICKYRING_JAR }${LB_FLAGS:+LB_FLAGS='$LB_FLAGS' }${B_JAR:+B_JAR=$B_JAR }${B_FLAGS:+B_FLAGS='$B_FLAGS' }${B_JVM:+B_JVM='$B_JVM' }bench/lb/cpu-per-op.sh $DUR\` (jar $(sha256sum "$JAR" | cut -c1-12)${BPID:+, B jar $(sha256sum "$BJAR" | cut -c1-12)}). LB JVM: \`$LB_JVM\`."
  echo "Balancer process CPU (user, system) from /proc/PID/stat divided by"
  echo "requests completed by wrk (-t1; new connections: -c${CONNS:-16} with Connection: close, one request per connection;"
  echo "keep-alive: -c32). One NGINX backend; stickyring --io-threads 2, HAProxy nbthread 2. Load average at start:"
  echo "$(cut -d' ' -f1-3 /proc/loadavg). Three rounds, interleaved."
  echo
  echo "| round | balancer | new conn: user us | new conn: sys us | new conn/s | keep-alive req: user us | keep-alive req: sys us |"
  echo "|---|---|---|---|---|---|---|"
  for r in 1 2 3; do
    read -r su ss sn < <(step "$SPID" "$SPORT" conn); read -r hu hs hn < <(step "$HPID" "$HPORT" conn)
    [ -z "$BPID" ] || read -r bu bs bn < <(step "$BPID" "$BLPORT" conn)
    read -r sku sks _ < <(step "$SPID" "$SPORT" ka); read -r hku hks _ < <(step "$HPID" "$HPORT" ka)
    [ -z "$BPID" ] || read -r bku bks _ < <(step "$BPID" "$BLPORT" ka)
    echo "| $r | stickyring | $su | $ss | $((sn / DUR)) | $sku | $sks |"
    echo "| $r | HAProxy | $hu | $hs | $((hn / DUR)) | $hku | $hks |"
    [ -z "$BPID" ] || echo "| $r | stickyring-B | $bu | $bs | $((bn / DUR)) | $bku | $bks |"
  done
  echo
  echo "Load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
} > "$OUT"
cat "$OUT"
