#!/usr/bin/env bash
# L3 benchmark: the kernel data plane (stickyring lb --dataplane nft) against the proxies and the
# kernel's own floor, in one namespace topology, one run.
#
#   client ns (wrk) 10.230.1.2 --- LB ns 10.230.1.1 | 10.231.1.1 (ip_forward) --- backend ns 10.231.1.11:80 (NGINX, 1 worker)
#
# Targets, all reached from the client namespace through the LB namespace:
#   direct     : the backend itself, plain forwarding through the LB namespace (no NAT)
#   haproxy    : HAProxy in the LB ns, nbthread 2, balance source + hash-type consistent
#   proxy      : stickyring lb (proxy data plane), --io-threads 2
#   nft        : stickyring lb --dataplane nft: VIP 10.232.1.1:80, 65,537 jhash slots, conntrack
#   nft-lean   : the same with --nft-counters=false (no per-packet counter rule): VIP 10.232.1.3:80
#   nft-static : a minimal hand-written rule set: the same jhash DNAT over a 4-entry inline map, no
#                per-member counters and no control plane (the floor of this kernel path)
# Metrics per target (wrk -t1 in the client ns): bulk MiB/s (4 conns, 4 MiB file), keep-alive req/s
# (32 conns), new conn/s (16 clients, Connection: close), p50/p99 us (1 conn). 3 interleaved rounds;
# the table has the median and the min..max spread; written to bench/results/l3-<date>-<HHMM>.md.
#
# Needs root (ip netns), nftables, conntrack, haproxy, nginx, wrk (installed with apt-get if missing).
# Every address is inside the namespaces this script creates; they are deleted on exit.
# conntrack's TIME_WAIT timeout is set to 10 s in the LB namespace so the new-connection steps do not
# fill the table (docs/lb.md, "conntrack table"); everything else is default.
#
# Usage: bench/lb/l3.sh [SECONDS_PER_STEP (default 4)]
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DUR="${1:-4}"
WORK="$(mktemp -d /tmp/stickyring-l3-bench.XXXXXX)"
chmod 755 "$WORK"
DATE="$(date -u +%Y-%m-%d)"
OUT="$ROOT/bench/results/l3-$DATE-$(date -u +%H%M).md"
TAG="$$"
CL="srb-cl-$TAG"; LB="srb-lb-$TAG"; BE="srb-be-$TAG"
PIDS=()

cleanup() {
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] && kill "$p" 2>/dev/null || true
  done
  [ -f "$WORK/backend.pid" ] && kill "$(cat "$WORK/backend.pid")" 2>/dev/null || true
  sleep 0.5
  for ns in "$CL" "$LB" "$BE"; do ip netns del "$ns" 2>/dev/null || true; done
}
trap cleanup EXIT

[ "$(id -u)" = 0 ] || { echo "bench/lb/l3.sh needs root (network namespaces)" >&2; exit 1; }
need=()
for t in nft:nftables conntrack:conntrack haproxy:haproxy nginx:nginx wrk:wrk; do
  command -v "${t%%:*}" >/dev/null || need+=("${t#*:}")
done
if [ "${#need[@]}" -gt 0 ]; then
  echo "installing: ${need[*]}"
  DEBIAN_FRONTEND=noninteractive apt-get install -y "${need[@]}" >/dev/null
fi

JAR="$ROOT/dist/target/stickyring.jar"
if [ ! -f "$JAR" ]; then
  (cd "$ROOT" && mvn -B -q -pl dist -am package -DskipTests)
fi

# --- topology
for ns in "$CL" "$LB" "$BE"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
ip link add srbc$TAG type veth peer name srbl$TAG
ip link set srbc$TAG netns "$CL"; ip link set srbl$TAG netns "$LB"
ip link add srba$TAG type veth peer name srbb$TAG
ip link set srba$TAG netns "$LB"; ip link set srbb$TAG netns "$BE"
ip -n "$CL" addr add 10.230.1.2/24 dev srbc$TAG; ip -n "$CL" link set srbc$TAG up
ip -n "$CL" route add default via 10.230.1.1
ip -n "$LB" addr add 10.230.1.1/24 dev srbl$TAG; ip -n "$LB" link set srbl$TAG up
ip -n "$LB" addr add 10.231.1.1/24 dev srba$TAG; ip -n "$LB" link set srba$TAG up
ip -n "$BE" addr add 10.231.1.11/24 dev srbb$TAG; ip -n "$BE" link set srbb$TAG up
ip -n "$BE" route add default via 10.231.1.1
ip netns exec "$LB" sysctl -qw net.ipv4.ip_forward=1
inlb() { ip netns exec "$LB" "$@"; }
incl() { ip netns exec "$CL" "$@"; }

wait_port() { # NS HOST PORT: wait up to 30 s for a listener
  for _ in $(seq 1 300); do
    ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2:$3 did not open in $1" >&2; return 1
}

# --- backend: NGINX HTTP, one worker, tiny and 4 MiB responses (as bench/lb/run.sh)
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
    listen 10.231.1.11:80 reuseport backlog=4096;
    location = /small { return 200 "ok\n"; }
    location = /big { root $WORK/www; }
  }
}
CONF
ip netns exec "$BE" nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'
wait_port "$LB" 10.231.1.11 80

# --- HAProxy in the LB ns
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
  bind 10.230.1.1:8081
  default_backend be
backend be
  balance source
  hash-type consistent
  server b1 10.231.1.11:80
CONF
inlb haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 &
PIDS+=($!)

# --- stickyring, proxy data plane
JOPTS=(-Xms256m -Xmx512m -XX:+UseParallelGC -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml")
inlb java "${JOPTS[@]}" -jar "$JAR" lb --listen 10.230.1.1:8082 --admin 127.0.0.1:9092 --backend b1=10.231.1.11:80 \
  --io-threads 2 --accept-threads 2 --close-log-sample 0 --max-connections 1000000 > "$WORK/proxy.log" 2>&1 &
PIDS+=($!)

# --- stickyring, kernel data plane (the JVM only keeps the table; the kernel forwards)
inlb java "${JOPTS[@]}" -jar "$JAR" lb --dataplane nft --listen 10.232.1.1:80 --admin 127.0.0.1:9093 \
  --nft-table srbench --backend b1=10.231.1.11:80 > "$WORK/nft.log" 2>&1 &
PIDS+=($!)

inlb java "${JOPTS[@]}" -jar "$JAR" lb --dataplane nft --nft-counters=false --listen 10.232.1.3:80 --admin 127.0.0.1:9094 \
  --nft-table srbenchlean --backend b1=10.231.1.11:80 > "$WORK/nft-lean.log" 2>&1 &
PIDS+=($!)

# --- the floor: a minimal static rule set, same jhash DNAT, no counters, no control plane
inlb nft -f - <<'NFT'
table ip static {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 10.232.1.2 tcp dport 80 dnat ip to jhash ip saddr mod 4 seed 0x1 map { 0 : 10.231.1.11 . 80, 1 : 10.231.1.11 . 80, 2 : 10.231.1.11 . 80, 3 : 10.231.1.11 . 80 }
  }
}
NFT
incl ip route add 10.232.1.0/24 via 10.230.1.1 2>/dev/null || true
inlb sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=10

wait_port "$LB" 10.230.1.1 8081; wait_port "$LB" 10.230.1.1 8082
for f in nft nft-lean; do
  for _ in $(seq 1 300); do grep -q 'kernel data plane' "$WORK/$f.log" && break; sleep 0.1; done
  grep -q 'kernel data plane' "$WORK/$f.log" || { echo "$f did not start:"; cat "$WORK/$f.log"; exit 1; }
done

# wrk helpers: print one number (as bench/lb/run.sh)
rps()      { awk '/Requests\/sec/ {print $2}'; }
mibps()    { awk '/Transfer\/sec/ { v=$2; u=substr(v,length(v)-1); n=substr(v,1,length(v)-2);
                if (u=="GB") n*=1024; else if (u=="KB") n/=1024; else if (u=="MB") n=n; print n }'; }
pct()      { awk -v p="$1" '$1==p { v=$2; if (v ~ /us$/) n=substr(v,1,length(v)-2); else if (v ~ /ms$/) n=substr(v,1,length(v)-2)*1000; else if (v ~ /s$/) n=substr(v,1,length(v)-1)*1000000; print n }'; }

declare -A R
TARGETS=(direct haproxy proxy nft nft-lean nft-static)
url_of() { case "$1" in direct) echo "http://10.231.1.11:80";; haproxy) echo "http://10.230.1.1:8081";;
  proxy) echo "http://10.230.1.1:8082";; nft) echo "http://10.232.1.1:80";; nft-lean) echo "http://10.232.1.3:80";; nft-static) echo "http://10.232.1.2:80";; esac; }

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "warming up ..."
for t in "${TARGETS[@]}"; do
  u=$(url_of "$t")
  incl wrk -t1 -c16 -d2s "$u/small" >/dev/null
  incl wrk -t1 -c16 -d1s -H "Connection: close" "$u/small" >/dev/null
done

ROUNDS=3
N=${#TARGETS[@]}
for round in $(seq 1 $ROUNDS); do
  order=("${TARGETS[@]:$((round % N))}" "${TARGETS[@]:0:$((round % N))}")
  echo "== round $round/$ROUNDS (order: ${order[*]})"
  for t in "${order[@]}"; do
    u=$(url_of "$t")
    R[$t,bulk,$round]=$(incl wrk -t1 -c4 -d"${DUR}s" "$u/big" | mibps)
    R[$t,rps,$round]=$(incl wrk -t1 -c32 -d"${DUR}s" "$u/small" | rps)
    R[$t,conn,$round]=$(incl wrk -t1 -c16 -d"${DUR}s" -H 'Connection: close' "$u/small" | rps)
    lat=$(incl wrk -t1 -c1 -d"${DUR}s" --latency "$u/small")
    R[$t,p50,$round]=$(echo "$lat" | pct 50%)
    R[$t,p99,$round]=$(echo "$lat" | pct 99%)
    echo "   $t: bulk ${R[$t,bulk,$round]} MiB/s, rps ${R[$t,rps,$round]}, conn/s ${R[$t,conn,$round]}, p50 ${R[$t,p50,$round]} us, p99 ${R[$t,p99,$round]} us"
  done
done
median3() { printf '%s\n' "$@" | sort -g | sed -n 2p; }
spread3() { printf '%s\n' "$@" | sort -g | awk 'NR==1{a=$1} NR==3{b=$1} END{printf "%s..%s", a, b}'; }
for t in "${TARGETS[@]}"; do
  for m in bulk rps conn p50 p99; do
    R[$t,$m]=$(median3 "${R[$t,$m,1]}" "${R[$t,$m,2]}" "${R[$t,$m,3]}")
    R[$t,$m,spread]=$(spread3 "${R[$t,$m,1]}" "${R[$t,$m,2]}" "${R[$t,$m,3]}")
  done
done
ratio() { python3 -c "a=float('$1'); b=float('$2'); print(f'{a/b:.2f}' if b else 'n/a')"; }
# ratio range over rounds: min and max of per-round ratios
rratio() { python3 -c "
import sys
a=[float(x) for x in '$1'.split()]; b=[float(x) for x in '$2'.split()]
r=sorted(x/y for x,y in zip(a,b) if y)
print(f'{r[len(r)//2]:.2f} ({r[0]:.2f}..{r[-1]:.2f})')"; }
rounds() { echo "${R[$1,$2,1]} ${R[$1,$2,2]} ${R[$1,$2,3]}"; }

{
  echo "# L3 benchmark (kernel data plane), $DATE"
  echo
  echo "Command: \`bench/lb/l3.sh $DUR\` (each step ${DUR}s, 3 interleaved rounds, wrk -t1 in a client namespace, one NGINX"
  echo "HTTP backend with 1 worker in a backend namespace, every target reached through the LB namespace)."
  echo "Machine: $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1), nft $(nft --version | awk '{print $2}')."
  echo "HAProxy $(haproxy -v | head -1 | awk '{print $3}') nbthread 2; stickyring proxy --io-threads 2; stickyring nft 65,537 slots (nft-lean: --nft-counters=false);"
  echo "nft-static = one jhash DNAT rule over a 4-entry inline map. conntrack TIME_WAIT 10 s in the LB namespace."
  echo "Load average (1/5/15 min) at start: $LOAD_START; at end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared: noise)."
  echo
  echo "Median of 3 rounds (min..max):"
  echo
  echo "| target | bulk MiB/s (4 conns) | req/s keep-alive (32 conns) | new conn/s (16 clients) | p50 us (1 conn) | p99 us (1 conn) |"
  echo "|---|---|---|---|---|---|"
  for t in "${TARGETS[@]}"; do
    echo "| $t | ${R[$t,bulk]} (${R[$t,bulk,spread]}) | ${R[$t,rps]} (${R[$t,rps,spread]}) | ${R[$t,conn]} (${R[$t,conn,spread]}) | ${R[$t,p50]} (${R[$t,p50,spread]}) | ${R[$t,p99]} (${R[$t,p99,spread]}) |"
  done
  echo
  echo "Ratios, median of the per-round ratios (min..max); higher is better except p99 (lower is better):"
  echo
  echo "| metric | nft / HAProxy | nft / nft-static | nft-lean / nft-static | nft-lean / HAProxy | nft / direct | nft / proxy | HAProxy / direct |"
  echo "|---|---|---|---|---|---|---|---|"
  for m in bulk rps conn p99; do
    echo "| $m | $(rratio "$(rounds nft $m)" "$(rounds haproxy $m)") | $(rratio "$(rounds nft $m)" "$(rounds nft-static $m)") | $(rratio "$(rounds nft-lean $m)" "$(rounds nft-static $m)") | $(rratio "$(rounds nft-lean $m)" "$(rounds haproxy $m)") | $(rratio "$(rounds nft $m)" "$(rounds direct $m)") | $(rratio "$(rounds nft $m)" "$(rounds proxy $m)") | $(rratio "$(rounds haproxy $m)" "$(rounds direct $m)") |"
  done
} > "$OUT"
echo
cat "$OUT"
echo "written to $OUT"
