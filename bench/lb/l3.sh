#!/usr/bin/env bash
# L3 benchmark: the kernel data plane (stickyring lb --dataplane nft) against the proxies and the
# kernel's own floor, in one namespace topology, one run.
#
#   client ns (wrk) --- LB ns "lbd" 10.230.1.1 | 10.231.1.1  --- backend ns 10.231.1.11 (NGINX, 1 worker, port 80)
#                   --- LB ns "lbn" 10.230.2.1 | 10.231.2.1  --- backend ns 10.231.2.11
#                   --- LB ns "lbl" 10.230.3.1 | 10.231.3.1  --- backend ns 10.231.3.11
#                   --- LB ns "lbs" 10.230.4.1 | 10.231.4.1  --- backend ns 10.231.4.11
#                   --- LB ns "lbp" 10.230.5.1 | 10.231.5.1  --- backend ns 10.231.5.11
#                   --- LB ns "lba" 10.230.6.1 | 10.231.6.1  --- backend ns 10.231.6.11
# (one veth pair per link; the backend routes each client subnet 10.230.i.0/24 back via LB ns i)
#
# Targets, each reached from the client namespace through its own LB namespace, so no target's
# rules or conntrack table are on another target's path:
#   direct     : lbd forwards to the backend (plain routing: no NAT, no nftables, no conntrack)
#   haproxy    : HAProxy in lbd, nbthread 2, balance source + hash-type consistent
#   proxy      : stickyring lb (proxy data plane) in lbd, --io-threads 2
#   nft        : stickyring lb --dataplane nft in lbn, default settings: VIP 10.232.2.1:80, 65,537 jhash
#                slots, --nft-counters=flows (one counter rule in a nat chain: per flow, not per packet)
#   nft-packets: the same in lbp with --nft-counters=packets (a forward chain on every packet): 10.232.5.1:80
#   nft-lean   : the same in lbl with --nft-counters=off: VIP 10.232.3.1:80
#   nft-static : lbs holds only a minimal hand-written rule set: one jhash DNAT rule over a 4-entry
#                inline map, no counters, no control plane (the floor of this kernel path): VIP 10.232.4.1:80
#   nft-static-acct: the same rule set in lba with conntrack accounting on (net.netfilter.nf_conntrack_acct=1:
#                per-flow packet/byte counts, the other way to count bytes): VIP 10.232.6.1:80
# The three stickyring nft LBs are scraped (GET /metrics) every 5 s during the run, as Prometheus
# would: their per-member numbers are read from the kernel only when scraped.
#
# CPU budget: every process of the run (wrk, NGINX, HAProxy, the stickyring JVMs, and the kernel's
# forwarding work done on their behalf) runs in one cpu cgroup with a quota of BENCH_CPUS cores
# (default 1, 10 ms period) and a high share (bench/lib/cpu-budget.sh: cgroup v1 or v2). On this shared 2-core machine a target's rate then
# reflects its CPU cost per operation, not how many runnable threads it puts against the other
# sessions' load (without the budget, a target with more threads got a larger slice of the contended
# CPUs: plain routing, whose forwarding runs in the two endpoints' threads, measured 0.16-0.44x
# HAProxy, which has two threads of its own; see docs/lb.md, L3 benchmark). BENCH_CPUS=0: no cgroup.
#
# Metrics per target: bulk MiB/s (wrk -t2 -c4, 4 MiB file), keep-alive req/s (wrk -t2 -c32), new
# conn/s (wrk -t2 -c16, Connection: close), p50/p99 us (wrk -t1 -c1). ROUNDS interleaved rounds
# (default 3) in rotated order; the table has medians, min..max spreads and per-round ratios;
# written to bench/results/l3-<date>-<HHMM>.md. Also reported: CPU seconds of the nft LB JVMs
# (the control plane) and of ksoftirqd (softirq work outside the budget) over the run.
#
# Needs root (ip netns, cgroups), nftables, conntrack, haproxy, nginx, wrk (installed with apt-get if
# missing). Every address is inside the namespaces this script creates; they are deleted on exit.
# conntrack's TIME_WAIT timeout is 10 s in the nft namespaces so the new-connection steps do not
# fill the table (docs/lb.md, "conntrack table"); everything else is default.
#
# Usage: [ROUNDS=3] [BENCH_CPUS=1] [TARGETS="nft nft-static ..."] bench/lb/l3.sh [SECONDS_PER_STEP (default 4)]
# Run it under `flock /work/bench.lock` on a shared machine.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DUR="${1:-4}"
ROUNDS="${ROUNDS:-3}"
BENCH_CPUS="${BENCH_CPUS:-1}"
WORK="$(mktemp -d /tmp/stickyring-l3-bench.XXXXXX)"
chmod 755 "$WORK"
DATE="$(date -u +%Y-%m-%d)"
OUT="$ROOT/bench/results/l3-$DATE-$(date -u +%H%M).md"
TAG="$$"
CL="srb-cl-$TAG"; BE="srb-be-$TAG"
LBNS=("srb-lbd-$TAG" "srb-lbn-$TAG" "srb-lbl-$TAG" "srb-lbs-$TAG" "srb-lbp-$TAG" "srb-lba-$TAG")
CG=""   # the budget cgroup (bench/lib/cpu-budget.sh), when BENCH_CPUS != 0
. "$ROOT/bench/lib/cpu-budget.sh"
PIDS=()

cleanup() {
  # each PID is the subshell of `inns NS CMD &`; its child (ip netns exec -> CMD) is the process
  for p in "${PIDS[@]:-}"; do
    [ -n "$p" ] || continue
    pkill -P "$p" 2>/dev/null || true
    kill "$p" 2>/dev/null || true
  done
  [ -f "$WORK/backend.pid" ] && kill "$(cat "$WORK/backend.pid")" 2>/dev/null || true
  sleep 0.5
  for ns in "$CL" "$BE" "${LBNS[@]}"; do ip netns del "$ns" 2>/dev/null || true; done
  # move this shell (and anything left) back to the root group, then remove the budget group
  [ -n "$CG" ] && cpu_budget_remove "$CG"
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

# --- CPU budget: this shell and everything it starts from here on
BUDGET="none (BENCH_CPUS=0)"
if [ "$BENCH_CPUS" != 0 ]; then
  CG="$(cpu_budget_create "stickyring-l3-$TAG" "$BENCH_CPUS" 10000)" || { echo "(BENCH_CPUS=0 runs without a budget)" >&2; exit 1; }
  cpu_budget_enter "$CG" $$
  BUDGET="$BENCH_CPUS core(s): $(cpu_budget_describe "$CG")"
fi

# --- topology
for ns in "$CL" "$BE" "${LBNS[@]}"; do ip netns add "$ns"; ip -n "$ns" link set lo up; done
for i in $(seq 1 ${#LBNS[@]}); do
  L="${LBNS[$((i - 1))]}"
  ip link add srbc$i-$TAG type veth peer name srbl$i-$TAG
  ip link set srbc$i-$TAG netns "$CL"; ip link set srbl$i-$TAG netns "$L"
  ip link add srba$i-$TAG type veth peer name srbb$i-$TAG
  ip link set srba$i-$TAG netns "$L"; ip link set srbb$i-$TAG netns "$BE"
  ip -n "$CL" addr add 10.230.$i.2/24 dev srbc$i-$TAG; ip -n "$CL" link set srbc$i-$TAG up
  ip -n "$L" addr add 10.230.$i.1/24 dev srbl$i-$TAG; ip -n "$L" link set srbl$i-$TAG up
  ip -n "$L" addr add 10.231.$i.1/24 dev srba$i-$TAG; ip -n "$L" link set srba$i-$TAG up
  ip -n "$BE" addr add 10.231.$i.11/24 dev srbb$i-$TAG; ip -n "$BE" link set srbb$i-$TAG up
  ip -n "$BE" route add 10.230.$i.0/24 via 10.231.$i.1
  ip netns exec "$L" sysctl -qw net.ipv4.ip_forward=1
done
ip -n "$CL" route add 10.231.1.0/24 via 10.230.1.1       # direct
ip -n "$CL" route add 10.232.2.1/32 via 10.230.2.1       # nft VIP
ip -n "$CL" route add 10.232.3.1/32 via 10.230.3.1       # nft-lean VIP
ip -n "$CL" route add 10.232.4.1/32 via 10.230.4.1       # nft-static VIP
ip -n "$CL" route add 10.232.5.1/32 via 10.230.5.1       # nft-packets VIP
ip -n "$CL" route add 10.232.6.1/32 via 10.230.6.1       # nft-static-acct VIP
inns() { local ns="$1"; shift; ip netns exec "$ns" "$@"; }
incl() { ip netns exec "$CL" "$@"; }

wait_port() { # NS HOST PORT: wait up to 30 s for a listener
  for _ in $(seq 1 300); do
    ip netns exec "$1" bash -c "exec 3<>/dev/tcp/$2/$3" 2>/dev/null && return 0
    sleep 0.1
  done
  echo "$2:$3 did not open in $1" >&2; return 1
}

# --- backend: NGINX HTTP, one worker, tiny and 4 MiB responses (as bench/lb/run.sh), on every link
. "$(dirname "${BASH_SOURCE[0]}")/nginx-backend.sh"
nginx_backend_conf "$WORK" "80"
inns "$BE" nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'
for i in $(seq 1 ${#LBNS[@]}); do wait_port "${LBNS[$((i - 1))]}" 10.231.$i.11 80; done

LBD="${LBNS[0]}"
# --- HAProxy in lbd
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
inns "$LBD" haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 &
PIDS+=($!)

# --- stickyring, proxy data plane, in lbd
JOPTS=(-Xms256m -Xmx512m -XX:+UseParallelGC -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml")
inns "$LBD" java "${JOPTS[@]}" -jar "$JAR" lb --listen 10.230.1.1:8082 --admin 127.0.0.1:9092 --backend b1=10.231.1.11:80 \
  --io-threads 2 --close-log-sample 0 --max-connections 1000000 > "$WORK/proxy.log" 2>&1 &
PIDS+=($!)

# --- stickyring, kernel data plane (the JVM only keeps the table; the kernel forwards)
for i in 2 3 5; do
  inns "${LBNS[$((i - 1))]}" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=10 2>/dev/null || true
done
inns "${LBNS[1]}" java "${JOPTS[@]}" -jar "$JAR" lb --dataplane nft --listen 10.232.2.1:80 --admin 127.0.0.1:9093 \
  --nft-table srbench --backend b1=10.231.2.11:80 > "$WORK/nft.log" 2>&1 &
PIDS+=($!); NFT_PID=$!
inns "${LBNS[2]}" java "${JOPTS[@]}" -jar "$JAR" lb --dataplane nft --nft-counters=off --listen 10.232.3.1:80 --admin 127.0.0.1:9094 \
  --nft-table srbenchlean --backend b1=10.231.3.11:80 > "$WORK/nft-lean.log" 2>&1 &
PIDS+=($!); LEAN_PID=$!
inns "${LBNS[4]}" java "${JOPTS[@]}" -jar "$JAR" lb --dataplane nft --nft-counters=packets --listen 10.232.5.1:80 --admin 127.0.0.1:9095 \
  --nft-table srbenchpk --backend b1=10.231.5.11:80 > "$WORK/nft-packets.log" 2>&1 &
PIDS+=($!); PK_PID=$!

# --- the floor: a minimal static rule set, same jhash DNAT, no counters, no control plane
for i in 4 6; do
  inns "${LBNS[$((i - 1))]}" nft -f - <<NFT
table ip static {
  chain prerouting {
    type nat hook prerouting priority dstnat; policy accept;
    ip daddr 10.232.$i.1 tcp dport 80 dnat ip to jhash ip saddr mod 4 seed 0x1 map { 0 : 10.231.$i.11 . 80, 1 : 10.231.$i.11 . 80, 2 : 10.231.$i.11 . 80, 3 : 10.231.$i.11 . 80 }
  }
}
NFT
  inns "${LBNS[$((i - 1))]}" sysctl -qw net.netfilter.nf_conntrack_tcp_timeout_time_wait=10
done
# the accounting variant: per-flow packet/byte counters in conntrack, read per flow with conntrack -L
inns "${LBNS[5]}" sysctl -qw net.netfilter.nf_conntrack_acct=1

wait_port "$LBD" 10.230.1.1 8081; wait_port "$LBD" 10.230.1.1 8082
for f in nft nft-lean nft-packets; do
  for _ in $(seq 1 600); do grep -q 'kernel data plane' "$WORK/$f.log" && break; sleep 0.1; done
  grep -q 'kernel data plane' "$WORK/$f.log" || { echo "$f did not start:"; cat "$WORK/$f.log"; exit 1; }
done

# wrk helpers: print one number (as bench/lb/run.sh)
rps()      { awk '/Requests\/sec/ {print $2}'; }
mibps()    { awk '/Transfer\/sec/ { v=$2; u=substr(v,length(v)-1); n=substr(v,1,length(v)-2);
                if (u=="GB") n*=1024; else if (u=="KB") n/=1024; else if (u=="MB") n=n; print n }'; }
pct()      { awk -v p="$1" '$1==p { v=$2; if (v ~ /us$/) n=substr(v,1,length(v)-2); else if (v ~ /ms$/) n=substr(v,1,length(v)-2)*1000; else if (v ~ /s$/) n=substr(v,1,length(v)-1)*1000000; print n }'; }
# CPU seconds (user+system) of a process and its threads; of all ksoftirqd threads
cpu_of()   { awk '{print ($14 + $15) / 100}' "/proc/$1/stat" 2>/dev/null || echo 0; }
softirqd() { for p in $(pgrep -x 'ksoftirqd/[0-9]+' || true); do cpu_of "$p"; done | awk '{s+=$1} END {print s+0}'; }
jvm_of()   { pgrep -P "$1" java 2>/dev/null | head -1 || true; }   # ip netns exec's java child, if any

# scrape the nft LBs every 5 s, as a Prometheus would (their kernel reads happen only when scraped)
( while true; do
    for a in "${LBNS[1]}:9093" "${LBNS[2]}:9094" "${LBNS[4]}:9095"; do
      ip netns exec "${a%%:*}" curl -s -o /dev/null "http://127.0.0.1:${a##*:}/metrics" || true
    done
    sleep 5
  done ) &
PIDS+=($!)

declare -A R
read -r -a TARGETS <<< "${TARGETS:-direct haproxy proxy nft nft-packets nft-lean nft-static nft-static-acct}"
url_of() { case "$1" in direct) echo "http://10.231.1.11:80";; haproxy) echo "http://10.230.1.1:8081";;
  proxy) echo "http://10.230.1.1:8082";; nft) echo "http://10.232.2.1:80";; nft-lean) echo "http://10.232.3.1:80";;
  nft-static) echo "http://10.232.4.1:80";; nft-packets) echo "http://10.232.5.1:80";; nft-static-acct) echo "http://10.232.6.1:80";;
  *) echo "unknown target $1" >&2; exit 1;; esac; }

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
echo "warming up ... (budget: $BUDGET)"
for t in "${TARGETS[@]}"; do
  u=$(url_of "$t")
  w=2; [ "$t" = proxy ] && w=6   # the JVM proxy gets JIT warm-up
  incl wrk -t2 -c16 -d${w}s "$u/small" >/dev/null
  incl wrk -t2 -c16 -d${w}s -H "Connection: close" "$u/small" >/dev/null
  incl wrk -t2 -c4 -d1s "$u/big" >/dev/null
done

NFT_JVM=$(jvm_of "$NFT_PID"); NFT_JVM=${NFT_JVM:-$NFT_PID}
LEAN_JVM=$(jvm_of "$LEAN_PID"); LEAN_JVM=${LEAN_JVM:-$LEAN_PID}
PK_JVM=$(jvm_of "$PK_PID"); PK_JVM=${PK_JVM:-$PK_PID}
CP0_NFT=$(cpu_of "$NFT_JVM"); CP0_LEAN=$(cpu_of "$LEAN_JVM"); CP0_PK=$(cpu_of "$PK_JVM"); SI0=$(softirqd); T0=$(date +%s)
N=${#TARGETS[@]}
ROUND_LOAD=()
for round in $(seq 1 "$ROUNDS"); do
  order=("${TARGETS[@]:$((round % N))}" "${TARGETS[@]:0:$((round % N))}")
  ROUND_LOAD+=("$(cut -d' ' -f1 /proc/loadavg)")
  echo "== round $round/$ROUNDS (order: ${order[*]}; load ${ROUND_LOAD[-1]})"
  for t in "${order[@]}"; do
    u=$(url_of "$t")
    R[$t,bulk,$round]=$(incl wrk -t2 -c4 -d"${DUR}s" "$u/big" | mibps)
    R[$t,rps,$round]=$(incl wrk -t2 -c32 -d"${DUR}s" "$u/small" | rps)
    R[$t,conn,$round]=$(incl wrk -t2 -c16 -d"${DUR}s" -H 'Connection: close' "$u/small" | rps)
    lat=$(incl wrk -t1 -c1 -d"${DUR}s" --latency "$u/small")
    R[$t,p50,$round]=$(echo "$lat" | pct 50%)
    R[$t,p99,$round]=$(echo "$lat" | pct 99%)
    echo "   $t: bulk ${R[$t,bulk,$round]} MiB/s, rps ${R[$t,rps,$round]}, conn/s ${R[$t,conn,$round]}, p50 ${R[$t,p50,$round]} us, p99 ${R[$t,p99,$round]} us"
  done
done
T1=$(date +%s)
CP_NFT=$(python3 -c "print(f'{$(cpu_of "$NFT_JVM") - $CP0_NFT:.1f}')")
CP_LEAN=$(python3 -c "print(f'{$(cpu_of "$LEAN_JVM") - $CP0_LEAN:.1f}')")
CP_PK=$(python3 -c "print(f'{$(cpu_of "$PK_JVM") - $CP0_PK:.1f}')")
SI=$(python3 -c "print(f'{$(softirqd) - $SI0:.1f}')")
NFT_FLOWS=$(inns "${LBNS[1]}" conntrack -C 2>/dev/null || echo "?")

stat_of() { # median and min..max of the given numbers
  python3 -c "
import sys
v=sorted(float(x) for x in sys.argv[1:])
m=v[len(v)//2] if len(v)%2 else (v[len(v)//2-1]+v[len(v)//2])/2
print(f'{m:g} ({v[0]:g}..{v[-1]:g})')" "$@"; }
rounds() { local out=(); for r in $(seq 1 "$ROUNDS"); do out+=("${R[$1,$2,$r]:-}"); done; echo "${out[*]}"; }
# ratio over rounds: median and min..max of the per-round ratios
rratio() { python3 -c "
a=[float(x) for x in '$1'.split()]; b=[float(x) for x in '$2'.split()]
r=sorted(x/y for x,y in zip(a,b) if y)
if not r: print('-'); raise SystemExit
m=r[len(r)//2] if len(r)%2 else (r[len(r)//2-1]+r[len(r)//2])/2
print(f'{m:.2f} ({r[0]:.2f}..{r[-1]:.2f})')"; }

{
  echo "# L3 benchmark (kernel data plane), $DATE"
  echo
  echo "Command: \`ROUNDS=$ROUNDS BENCH_CPUS=$BENCH_CPUS bench/lb/l3.sh $DUR\` (each step ${DUR}s, $ROUNDS interleaved rounds; wrk in a client"
  echo "namespace, one NGINX HTTP backend with 1 worker in a backend namespace; every target through its own LB namespace)."
  echo "Machine: $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1), nft $(nft --version | awk '{print $2}')."
  echo "HAProxy $(haproxy -v | head -1 | awk '{print $3}') nbthread 2; stickyring proxy --io-threads 2; stickyring nft 65,537 slots, default --nft-counters=flows"
  echo "(nft-packets: --nft-counters=packets; nft-lean: --nft-counters=off); the three nft LBs scraped every 5 s."
  echo "nft-static = one jhash DNAT rule over a 4-entry inline map, alone in its namespace; nft-static-acct = the same with"
  echo "net.netfilter.nf_conntrack_acct=1. conntrack TIME_WAIT 10 s in the nft namespaces."
  echo "CPU budget for everything the run starts: $BUDGET."
  echo "Load average (1/5/15 min) at start: $LOAD_START; per round (1 min): ${ROUND_LOAD[*]}; at end: $(cut -d' ' -f1-3 /proc/loadavg) (the machine is shared)."
  echo "Over the $((T1 - T0)) s of measuring: nft LB JVM (control plane) ${CP_NFT} CPU s, nft-packets JVM ${CP_PK} CPU s, nft-lean JVM ${CP_LEAN} CPU s, ksoftirqd ${SI} CPU s;"
  echo "flows tracked in the nft namespace at the end: $NFT_FLOWS."
  echo
  echo "Median of $ROUNDS rounds (min..max):"
  echo
  echo "| target | bulk MiB/s (4 conns) | req/s keep-alive (32 conns) | new conn/s (16 clients) | p50 us (1 conn) | p99 us (1 conn) |"
  echo "|---|---|---|---|---|---|"
  for t in "${TARGETS[@]}"; do
    echo "| $t | $(stat_of $(rounds $t bulk)) | $(stat_of $(rounds $t rps)) | $(stat_of $(rounds $t conn)) | $(stat_of $(rounds $t p50)) | $(stat_of $(rounds $t p99)) |"
  done
  echo
  echo "Ratios, median of the per-round ratios (min..max); higher is better except p99 (lower is better):"
  echo
  PAIRS=(nft/haproxy nft/nft-static nft-packets/nft-static nft-lean/nft-static nft-static-acct/nft-static nft-static/haproxy nft/direct nft/proxy haproxy/direct)
  hdr="| metric"; sep="|---"
  for p in "${PAIRS[@]}"; do hdr="$hdr | ${p%%/*} / ${p##*/}"; sep="$sep|---"; done
  echo "$hdr |"; echo "$sep|"
  for m in bulk rps conn p99; do
    row="| $m"
    for p in "${PAIRS[@]}"; do row="$row | $(rratio "$(rounds "${p%%/*}" $m)" "$(rounds "${p##*/}" $m)")"; done
    echo "$row |"
  done
} > "$OUT"
echo
cat "$OUT"
echo "written to $OUT"
