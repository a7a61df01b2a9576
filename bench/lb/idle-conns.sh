#!/usr/bin/env bash
# Memory per idle proxied connection: opens N idle client connections (distinct source IPs in
# 127.20.0.0/14) through stickyring and through HAProxy to the same NGINX backend and reports each
# balancer's resident memory (RSS) growth per connection; for stickyring also the live Java heap
# after a full GC. Writes bench/results/lb-idle-<date>.md. Loopback only; bounded by N and timeouts.
# stickyring runs with the launcher's LB JVM flags (./stickyring --print-lb-jvm-flags; LB_JVM overrides).
# WARM=1 (default) first opens and closes N connections through each balancer, so the figure is the
# steady-state cost of N more idle connections (a JVM's young generation and a fresh HAProxy's pools are
# touched by the first burst of connections whatever stays open); WARM=0 measures from a cold start.
# Both ways it also reports the growth from N/2 to N connections: the marginal cost per connection once
# one-off costs (JIT-compiled code, the young generation's first touch, pools' first growth) are paid.
#
# SNAP_DIR=dir (diagnosis, off by default) keeps stickyring's /proc/PID/smaps, status, GC.heap_info and, when
# LB_JVM has -XX:NativeMemoryTracking=summary, VM.native_memory summary at each stage (start, warm: after the
# warm-up batch closed, before, half, after) in dir, for bench/lb/smaps-diff.py. HAPROXY=0 skips HAProxy.
# WARM_GC=1 (with WARM=1; off by default) runs a full GC in stickyring while the warm-up batch is open, so its
# connections' objects reach the old generation, as those of connections held for a while do, before closing it.
# READ_TRIM=1 (off by default; JDK 17.0.9+) trims stickyring's native heap (jcmd System.trim_native_heap) right
# before each RSS reading, so a reading does not catch up to one trim interval of freed, untrimmed glibc memory.
#
# LB_FLAGS: extra lb flags for stickyring (e.g. --proxy-engine direct).
#
# Usage: [WARM=1] [JAR=path] [LB_JVM=...] [LB_FLAGS=...] [WARM_GC=1] [READ_TRIM=1] [SNAP_DIR=dir] [HAPROXY=0] bench/lb/idle-conns.sh [N (default 8000; each balancer needs 2N file descriptors)]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
N="${1:-8000}"
WORK="$(mktemp -d /tmp/stickyring-idle.XXXXXX)"; chmod 755 "$WORK"
OUT="$ROOT/bench/results/lb-idle-$(date -u +%Y-%m-%d-%H%M%S).md"  # seconds: runs can start in the same minute
command -v haproxy >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy >/dev/null
command -v nginx >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y nginx >/dev/null
JAR="${JAR:-$ROOT/dist/target/stickyring.jar}"
WARM="${WARM:-1}"
SNAP_DIR="${SNAP_DIR:-}"
HAPROXY="${HAPROXY:-1}"
WARM_GC="${WARM_GC:-0}"
READ_TRIM="${READ_TRIM:-0}"
LB_JVM="${LB_JVM:-$("$ROOT/stickyring" --print-lb-jvm-flags)}"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -pl dist -am package -DskipTests)
. "$ROOT/bench/lib/loopback.sh"
kill_on_exit
rss_kib() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
# settle PID: after a full GC, lets a periodic native trim run (SETTLE s), or with READ_TRIM=1 trims now
settle() { sleep "$SETTLE"; if [ "$READ_TRIM" = 1 ]; then jcmd "$1" System.trim_native_heap >/dev/null; fi; }
# Seconds between stickyring's full GC and each RSS reading: 1, or one native-heap trim interval
# plus 1 when the JVM flags trim periodically (-XX:TrimNativeHeapInterval=ms), so a trim has run.
trim_ms=$(printf '%s\n' "$LB_JVM" | sed -n 's/.*TrimNativeHeapInterval=\([0-9]*\).*/\1/p')
SETTLE=$(( ${trim_ms:-0} / 1000 + 1 ))
BPORT=$(free_port); SPORT=$(free_port); SADMIN=$(free_port); HPORT=$(free_port)

cat > "$WORK/backend.conf" <<CONF
worker_processes 1;
worker_rlimit_nofile 20000;
pid $WORK/backend.pid;
error_log $WORK/backend-error.log warn;
events { worker_connections 19000; }
http {
  access_log off;
  client_header_timeout 600s;
  client_body_temp_path $WORK/tmp-body;
  proxy_temp_path $WORK/tmp-proxy;
  fastcgi_temp_path $WORK/tmp-fcgi;
  uwsgi_temp_path $WORK/tmp-uwsgi;
  scgi_temp_path $WORK/tmp-scgi;
  server { listen 127.0.0.1:$BPORT backlog=4096; location / { return 200 "ok\n"; } }
}
CONF
nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'

# shellcheck disable=SC2086
java $LB_JVM -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" -jar "$JAR" lb \
  --listen "127.0.0.1:$SPORT" --admin "127.0.0.1:$SADMIN" --backend "b1=127.0.0.1:$BPORT" \
  --io-threads 2 --close-log-sample 0 ${LB_FLAGS:-} > "$WORK/stickyring.log" 2>&1 &
SPID=$!; PIDS+=($SPID)
haproxy_tcp_conf "$WORK/haproxy.cfg" "127.0.0.1:$HPORT" "127.0.0.1:$BPORT" 2 9500 600s
haproxy -f "$WORK/haproxy.cfg" -db > "$WORK/haproxy.log" 2>&1 &
HPID=$!; PIDS+=($HPID)
wait_port "$BPORT"; wait_port "$SPORT"; wait_port "$HPORT"
sleep 2

# bench/lb/hold-conns.py client PORT N BASE: opens N connections from distinct 127.BASE.x.y addresses, prints
# "open N", holds them until stdin closes.

# snap NAME PID STAGE: with SNAP_DIR set and NAME stickyring, keeps its memory maps and JVM views of this stage
snap() {
  { [ -n "$SNAP_DIR" ] && [ "$1" = stickyring ]; } || return 0
  mkdir -p "$SNAP_DIR"
  cat "/proc/$2/smaps" > "$SNAP_DIR/$3.smaps"
  grep -E '^(Vm|Rss|Threads)' "/proc/$2/status" > "$SNAP_DIR/$3.status"
  jcmd "$2" GC.heap_info > "$SNAP_DIR/$3.heap" 2>&1 || true
  jcmd "$2" VM.native_memory summary > "$SNAP_DIR/$3.nmt" 2>&1 || true
}
# sum of "used" over the young and old generations, in KiB
heap_used() { jcmd "$1" GC.heap_info | awk '/(PSYoungGen|ParOldGen).*total/ {for(i=1;i<=NF;i++) if ($i=="used") {v=$(i+1); sub(/K,?$/,"",v); t+=v}} END {print t}'; }
# hold PORT N BASE: opens N connections from 127.BASE.x.y and returns once they are open; they stay
# open until the sleep process whose pid is left in HOLD_SLEEP is killed (python's stdin then ends).
hold() {
  local f; f="$(mktemp -u "$WORK/hold.XXXXXX")"; mkfifo "$f"
  sleep 100000 > "$f" & HOLD_SLEEP=$!; PIDS+=($HOLD_SLEEP)
  python3 "$ROOT/bench/lb/hold-conns.py" client "$1" "$2" "$3" < "$f" > "$f.out" &
  for _ in $(seq 1 3000); do grep -q '^open' "$f.out" 2>/dev/null && return 0; sleep 0.1; done
  echo "clients did not open in time" >&2; return 1
}
# name pid port -> writes "rss_before rss_half rss_after heap_before heap_after" to $WORK/name.result:
# RSS with no, N/2 and N idle connections (the second half from other source addresses)
measure() {
  local name=$1 pid=$2 port=$3 before half after hb=- ha=- s1 s2
  snap "$name" "$pid" start
  if [ "$WARM" = 1 ] && [ "$WARM_GC" = 1 ]; then # hold N connections, stickyring collects (full GC), close them
    hold "$port" "$N" 60; sleep 2
    if [ "$name" = stickyring ]; then jcmd "$pid" GC.run >/dev/null; fi
    kill "$HOLD_SLEEP"; sleep 2
    snap "$name" "$pid" warm
  elif [ "$WARM" = 1 ]; then # open and close N connections first (other source addresses)
    echo | python3 "$ROOT/bench/lb/hold-conns.py" client "$port" "$N" 60 >/dev/null
    sleep 2
    snap "$name" "$pid" warm
  fi
  if [ "$name" = stickyring ]; then jcmd "$pid" GC.run >/dev/null; settle "$pid"; hb=$(heap_used "$pid"); fi
  before=$(rss_kib "$pid")
  snap "$name" "$pid" before
  hold "$port" $((N / 2)) 20; s1=$HOLD_SLEEP
  sleep 2
  if [ "$name" = stickyring ]; then jcmd "$pid" GC.run >/dev/null; settle "$pid"; fi
  half=$(rss_kib "$pid")
  snap "$name" "$pid" half
  hold "$port" $((N - N / 2)) 24; s2=$HOLD_SLEEP
  sleep 2
  if [ "$name" = stickyring ]; then jcmd "$pid" GC.run >/dev/null; settle "$pid"; ha=$(heap_used "$pid"); fi
  after=$(rss_kib "$pid")
  snap "$name" "$pid" after
  kill "$s1" "$s2"
  echo "$before $half $after $hb $ha" > "$WORK/$name.result"
  echo "$name: RSS $before -> $half -> $after KiB; heap $hb -> $ha"
}
measure stickyring "$SPID" "$SPORT"
if [ "$HAPROXY" = 1 ]; then sleep 3; measure haproxy "$HPID" "$HPORT"; else echo "- - - - -" > "$WORK/haproxy.result"; fi
read -r s_before s_half s_after SB SA < "$WORK/stickyring.result"
read -r h_before h_half h_after _ _ < "$WORK/haproxy.result"
KNOBS=""  # the diagnosis knobs set, named in the file
[ "$WARM_GC" = 1 ] && KNOBS+=" WARM_GC=1"
[ "$READ_TRIM" = 1 ] && KNOBS+=" READ_TRIM=1"
[ "$HAPROXY" = 1 ] || KNOBS+=" HAPROXY=0"
[ -z "$SNAP_DIR" ] || KNOBS+=" SNAP_DIR=$SNAP_DIR"
[ -z "${LB_FLAGS:-}" ] || KNOBS+=" LB_FLAGS=\"$LB_FLAGS\""
per() { [ "$1" = - ] && { echo -; return; }; python3 -c "print(f'{(float(\"$2\")-float(\"$1\"))*1024/${3:-$N}:.0f}')"; }
{
  echo "# Idle connections through the balancer, $(date -u +%Y-%m-%d)"
  echo
  echo "Command: \`WARM=$WARM$KNOBS bench/lb/idle-conns.sh $N\` (jar $(sha256sum "$JAR" | cut -c1-12); load average $(cut -d' ' -f1-3 /proc/loadavg)): $N idle client connections from distinct 127.20.x.y addresses, each"
  echo "proxied to one NGINX backend (so every balancer holds $N client + $N backend sockets)."
  echo
  echo "| balancer | RSS before (KiB) | with $((N / 2)) (KiB) | with $N idle conns (KiB) | RSS bytes per connection, 0 to $N | bytes per connection, $((N / 2)) to $N |"
  echo "|---|---|---|---|---|---|"
  echo "| stickyring (JVM: $LB_JVM) | $s_before | $s_half | $s_after | $(per "$s_before" "$s_after") | $(per "$s_half" "$s_after" $((N - N / 2))) |"
  echo "| HAProxy $(haproxy -v | head -1 | awk '{print $3}') | $h_before | $h_half | $h_after | $(per "$h_before" "$h_after") | $(per "$h_half" "$h_after" $((N - N / 2))) |"
  echo
  echo "stickyring live Java heap after a full GC: $SB KiB before, $SA KiB with the connections, i.e."
  echo "$(per "$SB" "$SA") bytes of heap per proxied connection (jcmd GC.heap_info, young + old 'used')."
  echo "RSS also counts heap pages touched by short-lived objects between collections and native memory"
  echo "(Netty's pooled direct buffers, thread caches), so it overstates the live memory per connection."
} > "$OUT"
cat "$OUT"
