#!/usr/bin/env bash
# Load-balancer benchmark: stickyring (epoll, and io_uring where the kernel has it) vs HAProxy vs
# NGINX vs a direct connection, same backend, one run, interleaved rounds.
#
# Measures, for each target, against one NGINX HTTP backend on loopback (the issue 14 harness):
#   bulk     : throughput of 4 keep-alive connections downloading a 4 MiB file (MiB/s)
#   rps      : request rate of 64 keep-alive connections fetching a tiny response (req/s),
#              with its p50/p99 latency under that load (us)
#   conn     : new-connection rate, 64 clients, one request per connection (conn/s)
# Every stickyring process is warmed first, until its JIT has settled (cycles of each step's traffic for
# WARMUP seconds until a cycle adds less than WARM_SETTLE s of compile time, at most WARM_CYCLES). Three rounds,
# each measuring every target back to back in a rotated order, so load drift hits all alike.
# Prints and writes bench/results/lb-<date>-<HHMM>.md: per-round values, the median of three rounds,
# and stickyring/HAProxy ratios per round with their median and spread (min-max).
#
# Installs haproxy, nginx, libnginx-mod-stream and wrk with apt-get if missing. Loopback only.
# Every load step is time-bounded (wrk -d): 3 rounds x 5 targets x 3 steps x SECONDS, plus warm-up.
# stickyring runs with the launcher's LB JVM flags (./stickyring --print-lb-jvm-flags).
#
# Usage: [URING=0] [WARMUP=5] [WARM_SETTLE=0.5] [WARM_CYCLES=8] [ROUNDS=3] [SKIP="nginx direct"] [HAPROXY_THREADS=2] [JAR=path] [B_JAR=path] [A_ARGS=..] [B_ARGS=..] bench/lb/run.sh [SECONDS_PER_STEP (default 8)]
# JAR: the stickyring build measured (default dist/target/stickyring.jar). B_JAR: a second build (e.g. main
# before a change), measured as target "stickyring-B" (epoll) in the same interleaved rounds.
set -euo pipefail

ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DUR="${1:-8}"
WARMUP="${WARMUP:-5}"
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

JAR_SET="${JAR:-}"
JAR="${JAR:-$ROOT/dist/target/stickyring.jar}"
if [ ! -f "$JAR" ]; then
  (cd "$ROOT" && mvn -B -q -pl dist -am package -DskipTests)
fi

. "$ROOT/bench/lib/loopback.sh"
BPORT=$(free_port); SPORT=$(free_port); SADMIN=$(free_port); HPORT=$(free_port); NPORT=$(free_port)


# --- backend: NGINX HTTP, one worker, tiny and 4 MiB responses
. "$(dirname "${BASH_SOURCE[0]}")/nginx-backend.sh"
nginx_backend_conf "$WORK" "127.0.0.1:$BPORT"
nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'
wait_port "$BPORT"

# --- stickyring: epoll, and io_uring when available (URING=0 leaves it out)
LB_JVM="$("$ROOT/stickyring" --print-lb-jvm-flags)"
start_lb() { # port admin transport [jar] [log name] [extra lb flags]
  # shellcheck disable=SC2086
  java $LB_JVM -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" -jar "${4:-$JAR}" lb \
    --listen "127.0.0.1:$1" --admin "127.0.0.1:$2" --backend "b1=127.0.0.1:$BPORT" --transport "$3" \
    $(case " ${6:-} " in (*" --io-threads "*) ;; (*) echo --io-threads 2;; esac) --close-log-sample 0 --max-connections 1000000 ${6:-} > "$WORK/stickyring-${5:-$3}.log" 2>&1 &
  PIDS+=($!)
}
declare -A LBPID
start_lb "$SPORT" "$SADMIN" epoll "$JAR" epoll "${A_ARGS:-}"; LBPID[stickyring]=$!
TARGETS=(direct stickyring haproxy nginx)
if [ -n "${B_JAR:-}" ]; then
  BJPORT=$(free_port); BJADMIN=$(free_port)
  start_lb "$BJPORT" "$BJADMIN" epoll "$B_JAR" B "${B_ARGS:-}"; LBPID[stickyring-B]=$!
  TARGETS+=(stickyring-B)
fi
if [ "${URING:-1}" != 0 ]; then
  UPORT=$(free_port); UADMIN=$(free_port)
  start_lb "$UPORT" "$UADMIN" io_uring; LBPID[stickyring-uring]=$!
  # io_uring is refused with the kernel's reason where it is unavailable: then this run goes without it
  for _ in $(seq 1 100); do
    grep -q 'proxy on' "$WORK/stickyring-io_uring.log" 2>/dev/null && break
    grep -qi 'io_uring.*not available\|error' "$WORK/stickyring-io_uring.log" 2>/dev/null && break
    sleep 0.2
  done
  if grep -q 'proxy on' "$WORK/stickyring-io_uring.log"; then
    TARGETS+=(stickyring-uring)
  else
    echo "io_uring left out: $(head -3 "$WORK/stickyring-io_uring.log")"
  fi
fi

# SKIP="nginx direct" leaves those targets out of the rounds (HAProxy is the reference and always runs)
for skip in ${SKIP:-}; do
  [ "$skip" = haproxy ] && { echo "SKIP cannot drop haproxy: every ratio is to it" >&2; exit 2; }
  kept=(); for t in "${TARGETS[@]}"; do [ "$t" = "$skip" ] || kept+=("$t"); done; TARGETS=("${kept[@]}")
done

# --- HAProxy: balance source, hash-type consistent, HAPROXY_THREADS threads (default 2)
haproxy_tcp_conf "$WORK/haproxy.cfg" "127.0.0.1:$HPORT" "127.0.0.1:$BPORT" "${HAPROXY_THREADS:-2}"
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
[ -n "${B_JAR:-}" ] && wait_port "$BJPORT"

# wrk helpers: print one number
rps()      { awk '/Requests\/sec/ {print $2}'; }
mibps()    { awk '/Transfer\/sec/ { v=$2; u=substr(v,length(v)-1); n=substr(v,1,length(v)-2);
                if (u=="GB") n*=1024; else if (u=="KB") n/=1024; else if (u=="MB") n=n; print n }'; }
pct()      { awk -v p="$1" '$1==p { v=$2; if (v ~ /us$/) n=substr(v,1,length(v)-2); else if (v ~ /ms$/) n=substr(v,1,length(v)-2)*1000; else if (v ~ /s$/) n=substr(v,1,length(v)-1)*1000000; print n }'; }

declare -A R
port_of() { case "$1" in direct) echo "$BPORT";; stickyring) echo "$SPORT";; stickyring-uring) echo "$UPORT";; stickyring-B) echo "$BJPORT";; haproxy) echo "$HPORT";; nginx) echo "$NPORT";; esac; }

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
# Warm = the JIT has settled: cycles of the three steps' traffic (WARMUP s each) until a cycle adds
# less than WARM_SETTLE s of JIT compile time (jstat), at most WARM_CYCLES cycles. One cycle is not
# enough: alternating workloads make C2 recompile for a few cycles (2026-12-03: 12, 5, 0.2 s of compile
# time in cycles 2-4), and a stickyring measured while C2 still compiles loses its CPU to it.
compile_s() { jstat -compiler "$1" 2>/dev/null | awk 'NR == 2 {print $4}'; }
declare -A WARMED
for t in "${TARGETS[@]}"; do
  case "$t" in stickyring*) ;; *) continue;; esac
  p=$(port_of "$t"); pid=${LBPID[$t]}
  prev=$(compile_s "$pid"); cycles=0
  while :; do
    cycles=$((cycles + 1))
    wrk -t1 -c64 -d"${WARMUP}s" "http://127.0.0.1:$p/small" >/dev/null
    wrk -t1 -c4 -d"${WARMUP}s" "http://127.0.0.1:$p/big" >/dev/null
    wrk -t1 -c64 -d"${WARMUP}s" -H "Connection: close" "http://127.0.0.1:$p/small" >/dev/null
    now=$(compile_s "$pid")
    added=$(awk -v a="${now:-0}" -v b="${prev:-0}" 'BEGIN {printf "%.2f", a - b}')
    echo "warming up $t: cycle $cycles, JIT compile time ${now:-?} s (+$added)"
    prev=$now
    if awk -v d="$added" -v s="${WARM_SETTLE:-0.5}" 'BEGIN {exit !(d < s)}' || [ "$cycles" -ge "${WARM_CYCLES:-8}" ]; then break; fi
  done
  WARMED[$t]="$cycles cycles, JIT compile time ${now:-?} s"
done

# Three rounds; in each, every metric is measured for every target back to back, in a rotated order,
# so drift in machine load hits all targets alike. The table reports the median of the three rounds.
ROUNDS=${ROUNDS:-3}
case "$ROUNDS" in (*[!0-9]*|""|0) echo "ROUNDS must be a positive integer, got: $ROUNDS" >&2; exit 2;; esac
NT=${#TARGETS[@]}
for round in $(seq 1 $ROUNDS); do
  order=("${TARGETS[@]:$((round % NT))}" "${TARGETS[@]:0:$((round % NT))}")
  echo "== round $round/$ROUNDS (order: ${order[*]}; load $(cut -d' ' -f1 /proc/loadavg))"
  R[load,$round]=$(cut -d' ' -f1 /proc/loadavg)
  for t in "${order[@]}"; do
    p=$(port_of "$t")
    R[$t,bulk,$round]=$(wrk -t1 -c4 -d"${DUR}s" "http://127.0.0.1:$p/big" | mibps)
    out=$(wrk -t1 -c64 -d"${DUR}s" --latency "http://127.0.0.1:$p/small")
    R[$t,rps,$round]=$(echo "$out" | rps)
    R[$t,p50,$round]=$(echo "$out" | pct 50%)
    R[$t,p99,$round]=$(echo "$out" | pct 99%)
    R[$t,conn,$round]=$(wrk -t1 -c64 -d"${DUR}s" -H 'Connection: close' "http://127.0.0.1:$p/small" | rps)
    echo "   $t: bulk ${R[$t,bulk,$round]} MiB/s, rps ${R[$t,rps,$round]} (p50 ${R[$t,p50,$round]} us, p99 ${R[$t,p99,$round]} us), conn/s ${R[$t,conn,$round]}"
  done
done
median() { printf '%s\n' "$@" | python3 -c "import sys, statistics; print(statistics.median(float(x) for x in sys.stdin))"; }
METRICS=(bulk rps conn p50 p99)
for t in "${TARGETS[@]}"; do
  for m in "${METRICS[@]}"; do
    vals=(); for round in $(seq 1 $ROUNDS); do vals+=("${R[$t,$m,$round]}"); done
    R[$t,$m]=$(median "${vals[@]}")
  done
done
ratio() { python3 -c "a=float('$1'); b=float('$2'); print(f'{a/b:.2f}' if b else 'n/a')"; }
# per-round ratios of target a to target b for metric m: "median [min-max] (r1, r2, r3)"
spread() {
  python3 - "$@" <<'PY'
import sys
v = [float(a) / float(b) if float(b) else float('nan') for a, b in zip(sys.argv[1::2], sys.argv[2::2])]
import statistics
s = sorted(v)
print(f"{statistics.median(v):.2f} [{s[0]:.2f}-{s[-1]:.2f}] ({', '.join(f'{x:.2f}' for x in v)})")
PY
}
rr() { local a=(); for round in $(seq 1 $ROUNDS); do a+=("${R[$1,$3,$round]}" "${R[$2,$3,$round]}"); done; spread "${a[@]}"; }

{
  echo "# LB benchmark, $DATE"
  echo
  echo "Command: \`${URING:+URING=$URING }${JAR_SET:+JAR=$JAR }${B_JAR:+B_JAR=$B_JAR }${A_ARGS:+A_ARGS=\"$A_ARGS\" }${B_ARGS:+B_ARGS=\"$B_ARGS\" }${ROUNDS:+ROUNDS=$ROUNDS }${SKIP:+SKIP=\"$SKIP\" }${HAPROXY_THREADS:+HAPROXY_THREADS=$HAPROXY_THREADS }bench/lb/run.sh $DUR\` (each step ${DUR}s; each stickyring warmed first by cycles of the three steps, ${WARMUP}s each, until a cycle added less than ${WARM_SETTLE:-0.5} s of JIT compile time, at most ${WARM_CYCLES:-8}: $(for t in "${!WARMED[@]}"; do printf '%s %s; ' "$t" "${WARMED[$t]}"; done) $ROUNDS interleaved rounds; wrk -t1, loopback, one NGINX HTTP backend with 1 worker)."
  echo "Machine: $(nproc) cores, $(uname -r), $(java -version 2>&1 | head -1). stickyring --io-threads 2, JVM \`$LB_JVM\`,"
  echo "jar $(sha256sum "$JAR" | cut -c1-12)${B_JAR:+ (stickyring-B: $(sha256sum "$B_JAR" | cut -c1-12))}; HAProxy $(haproxy -v | head -1 | awk '{print $3}') nbthread ${HAPROXY_THREADS:-2} (balance source, hash-type consistent);"
  echo "NGINX $(nginx -v 2>&1 | awk -F/ '{print $2}') stream, 2 workers (hash \$remote_addr consistent). Client, backend and LBs share the cores."
  echo "Load average (1/5/15 min) at start: $LOAD_START; per round (1 min): $(for round in $(seq 1 $ROUNDS); do printf '%s ' "${R[load,$round]}"; done); at end: $(cut -d' ' -f1-3 /proc/loadavg)."
  echo
  echo "## Per round"
  echo
  echo "| round | target | bulk MiB/s (4 conns) | req/s keep-alive (64 conns) | p50 us | p99 us | new conn/s (64 clients) |"
  echo "|---|---|---|---|---|---|---|"
  for round in $(seq 1 $ROUNDS); do
    for t in "${TARGETS[@]}"; do
      echo "| $round | $t | ${R[$t,bulk,$round]} | ${R[$t,rps,$round]} | ${R[$t,p50,$round]} | ${R[$t,p99,$round]} | ${R[$t,conn,$round]} |"
    done
  done
  echo
  echo "## Median of $ROUNDS rounds"
  echo
  echo "| target | bulk MiB/s | req/s keep-alive | p50 us | p99 us | new conn/s |"
  echo "|---|---|---|---|---|---|"
  for t in "${TARGETS[@]}"; do
    echo "| $t | ${R[$t,bulk]} | ${R[$t,rps]} | ${R[$t,p50]} | ${R[$t,p99]} | ${R[$t,conn]} |"
  done
  echo
  echo "## Ratios to HAProxy: median of the $ROUNDS per-round ratios [min-max] (rounds 1..$ROUNDS)"
  echo
  echo "Throughput and rates: higher is better (goal >= 1.00). p99 latency: lower is better (goal <= 1.00)."
  echo
  echo "| target / HAProxy | keep-alive req/s | new conn/s | bulk MiB/s | p99 latency (keep-alive load) |"
  echo "|---|---|---|---|---|"
  for t in "${TARGETS[@]}"; do
    [ "$t" = haproxy ] && continue
    echo "| $t | $(rr "$t" haproxy rps) | $(rr "$t" haproxy conn) | $(rr "$t" haproxy bulk) | $(rr "$t" haproxy p99) |"
  done
} > "$OUT"
echo
cat "$OUT"
echo "written to $OUT"
