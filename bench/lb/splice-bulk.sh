#!/usr/bin/env bash
# Bulk throughput and CPU of stickyring's normal relay (ByteBuf read + write) against Netty's epoll
# spliceTo (kernel pipe, zero copy; -Dstickyring.lb.splice-experiment=true), in one run, against the
# same NGINX backend serving a 4 MiB file over 4 keep-alive connections (wrk -t1 -c4). Three
# interleaved rounds. Reports MiB/s and the balancer's user+system CPU per MiB. Loopback only.
# Writes bench/results/lb-splice-<date>-<HHMM>.md.
#
# Usage: bench/lb/splice-bulk.sh [SECONDS_PER_STEP (default 4)]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DUR="${1:-4}"
WORK="$(mktemp -d /tmp/stickyring-splice.XXXXXX)"; chmod 755 "$WORK"
OUT="$ROOT/bench/results/lb-splice-$(date -u +%Y-%m-%d-%H%M).md"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/backend.pid" ] && kill "$(cat "$WORK/backend.pid")" 2>/dev/null || true
}
trap cleanup EXIT
JAR="${STICKYRING_JAR:-$ROOT/dist/target/stickyring.jar}"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -pl dist -am package -DskipTests)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
wait_port() { for _ in $(seq 1 200); do (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && { exec 3>&- 3<&-; return 0; }; sleep 0.1; done; echo "port $1 did not open" >&2; return 1; }
BPORT=$(free_port)
mkdir -p "$WORK/www"; head -c $((4 * 1024 * 1024)) /dev/zero > "$WORK/www/big"; chmod -R a+rX "$WORK/www"
cat > "$WORK/backend.conf" <<CONF
worker_processes 1;
pid $WORK/backend.pid;
error_log $WORK/backend-error.log warn;
events { worker_connections 8000; }
http { access_log off; keepalive_requests 10000000; sendfile on;
  client_body_temp_path $WORK/t1; proxy_temp_path $WORK/t2; fastcgi_temp_path $WORK/t3; uwsgi_temp_path $WORK/t4; scgi_temp_path $WORK/t5;
  server { listen 127.0.0.1:$BPORT; root $WORK/www; } }
CONF
nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'
declare -A PORT PID
for mode in copy splice; do
  PORT[$mode]=$(free_port); admin=$(free_port)
  flag=""; [ "$mode" = splice ] && flag="-Dstickyring.lb.splice-experiment=true"
  java -Xms256m -Xmx512m -XX:+UseParallelGC $flag -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" -jar "$JAR" lb \
    --listen "127.0.0.1:${PORT[$mode]}" --admin "127.0.0.1:$admin" --backend "b1=127.0.0.1:$BPORT" --io-threads 2 \
    --close-log-sample 0 > "$WORK/$mode.log" 2>&1 &
  PID[$mode]=$!; PIDS+=(${PID[$mode]})
done
wait_port "$BPORT"; wait_port "${PORT[copy]}"; wait_port "${PORT[splice]}"
TCK=$(getconf CLK_TCK)
for mode in copy splice; do wrk -t1 -c4 -d3s "http://127.0.0.1:${PORT[$mode]}/big" >/dev/null; done  # JIT warm-up
mibps() { awk '/Transfer\/sec/ { v=$2; u=substr(v,length(v)-1); n=substr(v,1,length(v)-2);
          if (u=="GB") n*=1024; else if (u=="KB") n/=1024; print n }'; }
{
  echo "# Bulk relay: copy (normal path) vs epoll spliceTo, $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Command: \`bench/lb/splice-bulk.sh $DUR\` (jar $(sha256sum "$JAR" | cut -c1-12)). wrk -t1 -c4 -d${DUR}s fetching a 4 MiB"
  echo "file from one NGINX backend through stickyring (--io-threads 2). CPU = balancer user+system"
  echo "from /proc/PID/stat per MiB relayed. Load average at start: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| round | mode | MiB/s | CPU ms per MiB (user + sys) |"
  echo "|---|---|---|---|"
  for r in 1 2 3; do
    for mode in copy splice; do
      a=$(awk '{print $14, $15}' "/proc/${PID[$mode]}/stat")
      m=$(wrk -t1 -c4 -d"${DUR}s" "http://127.0.0.1:${PORT[$mode]}/big" | mibps)
      b=$(awk '{print $14, $15}' "/proc/${PID[$mode]}/stat")
      cpu=$(echo "$a $b $m" | awk -v t="$TCK" -v d="$DUR" '{ mib=$5*d; if (mib>0) printf "%.3f + %.3f", ($3-$1)*1000/t/mib, ($4-$2)*1000/t/mib; else print "n/a" }')
      echo "| $r | $mode | $m | $cpu |"
    done
  done
} > "$OUT"
cat "$OUT"
