#!/usr/bin/env bash
# What reading the kernel costs the nft-mode LB as tracked flows grow: the per-member numbers of
# /metrics (stickyring_lb_nft_member_flows needs one conntrack listing of the VIP's flows).
#
# One network namespace: `stickyring lb --dataplane nft` (VIP 10.98.0.1:80, 4 members on a veth whose
# far end answers nothing: static neighbour entries, so each SYN leaves and its flow stays SYN_SENT
# for 120 s), health checks off. For each N (default 10000 100000): flush conntrack, send N SYNs from
# N source addresses through the nat output hook (a raw socket in the namespace), then scrape
# /metrics until the LB's per-member flows add up to N. Reported per N: the LB's read (wall time from
# stickyring_lb_nft_flow_poll_seconds; CPU of the JVM and its waited-for children, i.e. nft and
# conntrack, from /proc/PID/stat), the wait before the next read (max(2 s, 20 x wall)), and, for
# reference, one bare `conntrack -L` of the same flows (/usr/bin/time) and `conntrack -C`.
#
# Needs root, nftables, conntrack, python3, curl. Writes bench/results/l3-flows-<date>-<HHMM>.md.
# Usage: bench/lb/l3-flows.sh [N ...]; run it under `flock /work/bench.lock` on a shared machine.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
if [ "$#" -gt 0 ]; then SIZES=("$@"); else SIZES=(10000 100000); fi
[ "$(id -u)" = 0 ] || { echo "bench/lb/l3-flows.sh needs root (network namespaces)" >&2; exit 1; }
JAR="$ROOT/dist/target/stickyring.jar"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -pl dist -am package -DskipTests)
WORK="$(mktemp -d /tmp/stickyring-l3-flows.XXXXXX)"
NS="srflows-$$"
OUT="$ROOT/bench/results/l3-flows-$(date -u +%Y-%m-%d-%H%M).md"
LB_PID=""
cleanup() {
  [ -n "$LB_PID" ] && { pkill -P "$LB_PID" 2>/dev/null || true; kill "$LB_PID" 2>/dev/null || true; }
  sleep 0.3
  ip netns del "$NS" 2>/dev/null || true
}
trap cleanup EXIT

inns() { ip netns exec "$NS" "$@"; }
ip netns add "$NS"
inns ip link set lo up
inns ip link add f0 type veth peer name f1
inns ip link set f0 up; inns ip link set f1 up
inns ip addr add 10.97.0.1/24 dev f0
inns ip route add 10.98.0.0/24 dev f0
for i in 11 12 13 14; do inns ip neigh replace 10.97.0.$i lladdr 02:00:00:00:00:$i dev f0 nud permanent; done
inns sysctl -qw net.netfilter.nf_conntrack_max=1048576 2>/dev/null || true

cat > "$WORK/syns.py" <<'PY'
import socket, struct, sys
def csum(b):
    if len(b) % 2: b += b'\0'
    s = sum(struct.unpack('!%dH' % (len(b) // 2), b)); s = (s >> 16) + (s & 0xffff); s += s >> 16
    return (~s) & 0xffff
dst = socket.inet_aton('10.98.0.1'); n = int(sys.argv[1])
s = socket.socket(socket.AF_INET, socket.SOCK_RAW, socket.IPPROTO_RAW)
for i in range(n):
    src = socket.inet_aton('10.%d.%d.%d' % (100 + i // 62500, (i // 250) % 250, 1 + i % 250))
    tcp = struct.pack('!HHLLBBHHH', 40000, 80, 1, 0, 5 << 4, 0x02, 65535, 0, 0)
    c = csum(src + dst + struct.pack('!BBH', 0, 6, len(tcp)) + tcp)
    tcp = tcp[:16] + struct.pack('!H', c) + tcp[18:]
    s.sendto(struct.pack('!BBHHHBBH4s4s', 0x45, 0, 40, 0, 0, 64, 6, 0, src, dst) + tcp, ('10.98.0.1', 0))
PY

inns java -Xms256m -Xmx512m -XX:+UseParallelGC -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" -jar "$JAR" lb \
  --dataplane nft --listen 10.98.0.1:80 --admin 127.0.0.1:9190 --health-check none --nft-table srflows \
  --backend b1=10.97.0.11:7000 --backend b2=10.97.0.12:7000 --backend b3=10.97.0.13:7000 --backend b4=10.97.0.14:7000 \
  > "$WORK/lb.log" 2>&1 &
LB_PID=$!
for _ in $(seq 1 600); do grep -q 'kernel data plane' "$WORK/lb.log" && break; sleep 0.1; done
grep -q 'kernel data plane' "$WORK/lb.log" || { cat "$WORK/lb.log"; exit 1; }
JVM=$(pgrep -P "$LB_PID" java | head -1 || true); JVM=${JVM:-$LB_PID}
# utime + stime + cutime + cstime: the JVM and the nft/conntrack children it waited for
cpu() { awk '{printf "%.2f\n", ($14 + $15 + $16 + $17) / 100}' "/proc/$JVM/stat"; }
metrics() { inns curl -s http://127.0.0.1:9190/metrics; }
tracked() { metrics | awk '/^stickyring_lb_nft_member_flows\{/ {s += $2} END {print s + 0}'; }
pollsec() { metrics | awk '/^stickyring_lb_nft_flow_poll_seconds / {print $2}'; }

rows=()
for n in "${SIZES[@]}"; do
  inns conntrack -F >/dev/null 2>&1 || true
  inns python3 "$WORK/syns.py" "$n"
  have=$(inns conntrack -C)
  # wait out the rate limit of the previous size's read, then one scrape starts one read
  sleep 2
  for _ in $(seq 1 60); do p0=$(pollsec); [ -n "$p0" ] && break; sleep 0.5; done
  c0=$(cpu); t0=$(date +%s.%N)
  got=0
  for _ in $(seq 1 600); do
    got=$(tracked)
    python3 -c "import sys; sys.exit(0 if $got >= 0.99 * $have else 1)" && break
    sleep 0.2
  done
  c1=$(cpu); t1=$(date +%s.%N)
  wall=$(pollsec)
  /usr/bin/time -o "$WORK/time" -f "%e %U %S" ip netns exec "$NS" conntrack -L -p tcp --orig-dst 10.98.0.1 --dport 80 >/dev/null 2>&1
  bare=$(tail -1 "$WORK/time")
  rows+=("| $n | $have | $got | $wall | $(python3 -c "print(f'{$c1 - $c0:.2f}')") | $(python3 -c "print(f'{max(2.0, 20 * $wall):.1f}')") | $(echo "$bare" | awk '{printf "%s s wall, %.2f CPU s", $1, $2 + $3}') |")
  echo "${rows[-1]}"
done

{
  echo "# nft mode: the cost of reading per-member flows from the kernel, $(date -u +%Y-%m-%d)"
  echo
  echo "Command: \`bench/lb/l3-flows.sh ${SIZES[*]}\` (one namespace; flows are SYN_SENT entries DNATed to 4 members through the"
  echo "nat output hook; the LB scraped until its per-member flows add up to the table's)."
  echo "Machine: $(nproc) cores, $(uname -r), conntrack $(conntrack --version | awk '{print $2}'); load average at end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "| flows | conntrack -C | LB's per-member sum | LB read wall s (flow_poll_seconds) | JVM + children CPU s over the read | next read no sooner than (s) | bare conntrack -L |"
  echo "|---|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
} > "$OUT"
cat "$OUT"
echo "written to $OUT"
