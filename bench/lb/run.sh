#!/usr/bin/env bash
# Load-balancer benchmark: stickyring vs HAProxy vs NGINX vs a direct connection, same backend, one run.
#
# Measures, for each target, against one NGINX HTTP backend on loopback:
#   bulk     : throughput of 4 long keep-alive connections downloading a 4 MiB file (MiB/s)
#   rps      : request rate of 32 keep-alive connections fetching a tiny response (req/s)
#   conn     : new-connection rate, 16 clients, one request per connection (conn/s)
#   p50/p99  : latency of one keep-alive connection doing back-to-back tiny requests (us);
#              "added" = target minus direct
# and writes a table with ratios (vs HAProxy and vs direct) to bench/results/lb-<date>-<HHMM>.md.
#
# Installs haproxy, nginx, libnginx-mod-stream and wrk with apt-get if missing. Loopback only.
# Every load step is time-bounded (wrk -d); 3 rounds x 4 targets x 4 steps x 4 s: about 4 minutes.
#
# Usage: bench/lb/run.sh [SECONDS_PER_STEP (default 4)]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DUR="${1:-4}"
WORK="$(mktemp -d /tmp/stickyring-lb-bench.XXXXXX)"
chmod 755 "$WORK"
DATE="$(date -u +%Y-%m-%d)"
OUT="$ROOT/bench/results/lb-$DATE-$(date -u +%H%M).md"
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  [ -f "$WORK/backend.pid" ] && kill "$(cat "$WORK/backend.pid")" 2>/dev/null || true
  [ -f "$WORK/nginx-lb.pid" ] && kill "$(cat "$WORK/nginx-lb.pid")" 2>/dev/null || true
  sleep 0.5
}
trap cleanup EXIT

need=()
command -v haproxy >/dev/null || need+=(haproxy)
command -v nginx >/dev/null || need+=(nginx)
[ -e /usr/lib/nginx/modules/ngx_stream_module.so ] || need+=(libnginx-mod-stream)
command -v wrk >/dev/null || need+=(wrk)
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null
fi

JAR="$ROOT/dist/target/stickyring.jar"
if [ ! -f "$JAR" ]; then
  (cd "$ROOT" && mvn -B -q -pl dist -am package -DskipTests)
fi

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }
BPORT=$(free_port); SPORT=$(free_port); SADMIN=$(free_port); HPORT=$(free_port); NPORT=$(free_port)

wait_port() { # wait up to 20 s for a listener
  for _ in $(seq 1 200); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && { exec 3>&- 3<&-; return 0; }
    sleep 0.1
  done
  echo "port $1 did not open" >&2; return 1
}

# --- backend: NGINX HTTP, one worker, tiny and 4 MiB responses
mkdir -p "$WORK/www"
head -c $((4 * 1024 * 1024)) /dev/zero > "$WORK/www/big"
chmod -R a+rX "$WORK/www"
cat > "$WORK/backend.conf" <<CONF
worker_processes 1;
pid $WORK/backend.pid;
error_log $WORK/backend-error.log warn;
events { worker_connections 8000; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path $WORK/tmp-body;
  proxy_temp_path $WORK/tmp-proxy;
  fastcgi_temp_path $WORK/tmp-fcgi;
  uwsgi_temp_path $WORK/tmp-uwsgi;
  scgi_temp_path $WORK/tmp-scgi;
  server {
    listen 127.0.0.1:$BPORT reuseport backlog=4096;
    location = /small { return 200 "ok\n"; }
    location = /big { root $WORK/www; }
  }
}
CONF
nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'
wait_port "$BPORT"

# --- stickyring
java -Xms256m -Xmx512m -XX:+UseParallelGC -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" -jar "$JAR" lb \
  --listen "127.0.0.1:$SPORT" --admin "127.0.0.1:$SADMIN" --backend "b1=127.0.0.1:$BPORT" \
  --io-threads 2 --accept-threads 2 --close-log-sample 0 --max-connections 1000000 > "$WORK/stickyring.log" 2>&1 &
PIDS+=($!)

# --- HAProxy: balance source, hash-type consistent, 2 threads
cat > "$WORK/haproxy.cfg" <<CONF
global
  nbthread 2
  maxconn 8000
defaults
  mode tcp
  timeout connect 2s
  timeout client 60s
  timeout server 60s
frontend fe
  bind 127.0.0.1:$HPORT
  default_backend be
backend be
  balance source
  hash-type consistent
  server b1 127.0.0.1:$BPORT
CONF
haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 &
PIDS+=($!)

# --- NGINX stream: hash \$remote_addr consistent, 2 workers
cat > "$WORK/nginx-lb.conf" <<CONF
load_module /usr/lib/nginx/modules/ngx_stream_module.so;
worker_processes 2;
pid $WORK/nginx-lb.pid;
error_log $WORK/nginx-lb-error.log warn;
events { worker_connections 8000; }
stream {
  upstream be { hash \$remote_addr consistent; server 127.0.0.1:$BPORT; }
  server { listen 127.0.0.1:$NPORT reuseport backlog=4096; proxy_pass be; }
}
CONF
nginx -c "$WORK/nginx-lb.conf" -p "$WORK" -g 'daemon on;'

wait_port "$SPORT"; wait_port "$HPORT"; wait_port "$NPORT"

# wrk helpers: print one number
rps()      { awk '/Requests\/sec/ {print $2}'; }
mibps()    { awk '/Transfer\/sec/ { v=$2; u=substr(v,length(v)-1); n=substr(v,1,length(v)-2);
                if (u=="GB") n*=1024; else if (u=="KB") n/=1024; else if (u=="MB") n=n; print n }'; }
pct()      { awk -v p="$1" '$1==p { v=$2; if (v ~ /us$/) n=substr(v,1,length(v)-2); else if (v ~ /ms$/) n=substr(v,1,length(v)-2)*1000; else if (v ~ /s$/) n=substr(v,1,length(v)-1)*1000000; print n }'; }

declare -A R
TARGETS=(direct stickyring haproxy nginx)
port_of() { case "$1" in direct) echo "$BPORT";; stickyring) echo "$SPORT";; haproxy) echo "$HPORT";; nginx) echo "$NPORT";; esac; }

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "warming up (JIT) ..."
wrk -t1 -c16 -d5s "http://127.0.0.1:$SPORT/small" >/dev/null
wrk -t1 -c4 -d3s "http://127.0.0.1:$SPORT/big" >/dev/null
wrk -t1 -c16 -d3s -H "Connection: close" "http://127.0.0.1:$SPORT/small" >/dev/null

# Three rounds; in each, every metric is measured for every target back to back, in a rotated order,
# so drift in machine load hits all targets alike. The table reports the median of the three rounds.
ROUNDS=3
for round in $(seq 1 $ROUNDS); do
  order=("${TARGETS[@]:$((round % 4))}" "${TARGETS[@]:0:$((round % 4))}")
  echo "== round $round/$ROUNDS (order: ${order[*]})"
  for t in "${order[@]}"; do
    p=$(port_of "$t")
    R[$t,bulk,$round]=$(wrk -t1 -c4 -d"${DUR}s" "http://127.0.0.1:$p/big" | mibps)
    R[$t,rps,$round]=$(wrk -t1 -c32 -d"${DUR}s" "http://127.0.0.1:$p/small" | rps)
    R[$t,conn,$round]=$(wrk -t1 -c16 -d"${DUR}s" -H 'Connection: close' "http://127.0.0.1:$p/small" | rps)
    lat=$(wrk -t1 -c1 -d"${DUR}s" --latency "http://127.0.0.1:$p/small")
    R[$t,p50,$round]=$(echo "$lat" | pct 50%)
    R[$t,p99,$round]=$(echo "$lat" | pct 99%)
    echo "   $t: bulk ${R[$t,bulk,$round]} MiB/s, rps ${R[$t,rps,$round]}, conn/s ${R[$t,conn,$round]}, p50 ${R[$t,p50,$round]} us, p99 ${R[$t,p99,$round]} us"
  done
done
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
for t in "${TARGETS[@]}"; do
  for m in bulk rps conn p50 p99; do
    R[$t,$m]=$(median3 "${R[$t,$m,1]}" "${R[$t,$m,2]}" "${R[$t,$m,3]}")
  done
done

ratio() { python3 -c "a=float('$1'); b=float('$2'); print(f'{a/b:.2f}' if b else 'n/a')"; }
added() { python3 -c "print(f'{float(\"$1\")-float(\"$2\"):.0f}')"; }

{
  echo "# LB benchmark, $DATE"
  echo
  echo "Command: \`bench/lb/run.sh $DUR\` (each step ${DUR}s, median of 3 interleaved rounds, wrk -t1, loopback, one NGINX HTTP backend with 1 worker)."
  echo "Machine: $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1). LBs: stickyring --io-threads 2,"
  echo "HAProxy $(haproxy -v | head -1 | awk '{print $3}') nbthread 2 (balance source, hash-type consistent),"
  echo "NGINX $(nginx -v 2>&1 | awk -F/ '{print $2}') stream, 2 workers (hash \$remote_addr consistent). Client, backend and LB share the cores."
  echo "Load average (1/5/15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) (other work on the machine inflates noise)."
  echo
  echo "| target | bulk MiB/s (4 conns) | req/s keep-alive (32 conns) | new conn/s (16 clients) | p50 us (1 conn) | p99 us (1 conn) | p50 added us | p99 added us |"
  echo "|---|---|---|---|---|---|---|---|"
  for t in "${TARGETS[@]}"; do
    echo "| $t | ${R[$t,bulk]} | ${R[$t,rps]} | ${R[$t,conn]} | ${R[$t,p50]} | ${R[$t,p99]} | $(added "${R[$t,p50]}" "${R[direct,p50]}") | $(added "${R[$t,p99]}" "${R[direct,p99]}") |"
  done
  echo
  echo "Per-round values are in the run's console output. Latency is a closed loop on one connection, so"
  echo "its p99 mostly measures scheduler noise on a shared 2-core machine; compare it across runs with care."
  echo
  echo "Ratios (higher is better for throughput and rates; for latency, lower added time is better):"
  echo
  echo "| metric | stickyring / HAProxy | stickyring / NGINX | stickyring / direct | HAProxy / direct |"
  echo "|---|---|---|---|---|"
  for m in bulk rps conn; do
    echo "| $m | $(ratio "${R[stickyring,$m]}" "${R[haproxy,$m]}") | $(ratio "${R[stickyring,$m]}" "${R[nginx,$m]}") | $(ratio "${R[stickyring,$m]}" "${R[direct,$m]}") | $(ratio "${R[haproxy,$m]}" "${R[direct,$m]}") |"
  done
  echo "| p99 latency | $(ratio "${R[stickyring,p99]}" "${R[haproxy,p99]}") | $(ratio "${R[stickyring,p99]}" "${R[nginx,p99]}") | $(ratio "${R[stickyring,p99]}" "${R[direct,p99]}") | $(ratio "${R[haproxy,p99]}" "${R[direct,p99]}") |"
} > "$OUT"
echo
cat "$OUT"
echo "written to $OUT"
