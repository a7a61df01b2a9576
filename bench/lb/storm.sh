#!/usr/bin/env bash
# Reconnect storms, stickyring vs HAProxy in the same run (issue 14). Loopback only.
#
# Each phase starts 4 members (bench/lb/storm.py member: greet with the member id, then hold), one
# balancer in front of them with TCP health checks every 1 s (fall 3, rise 2), and N idle clients from
# N distinct 127.40.x.y addresses (storm.py phase). Then:
#   failover: SIGKILL the member holding the most clients; each of its clients reconnects through the
#             balancer to another member. Measured: per-client time from the kill to the new greeting
#             (p50/p90/p99), time until all are back, and clients of other members disconnected (must be 0).
#   restart:  SIGKILL the balancer and start it again at once (a crash and a supervisor restart); all N
#             clients reconnect. The time includes the balancer's own start (a JVM for stickyring).
# Clients retry a failed attempt after 50 ms doubling to 1 s (jittered, seeded); the harness keeps at
# most 1000 connect attempts in flight (a Python asyncio client: its own speed bounds the figures, the
# same for both balancers). Phases run in rounds, alternating the balancer first.
#
# stickyring: --health-check tcp --health-interval 1s --health-fall 3 --health-rise 2, started by the launcher (its LB JVM
# flags and CDS archive). HAProxy: balance source, hash-type consistent, check inter 1s fall 3 rise 2,
# on-marked-down shutdown-sessions, retries 3, option redispatch (so a connect refused by the dead
# member goes to another one instead of failing until the check marks it down).
#
# Sizing: a balancer holds 2 descriptors per proxied connection, and this machine's hard open-file limit
# is `ulimit -Hn` (20,000 here), so N defaults to the largest multiple of 500 with 2N + 1000 under it
# (9,500 at 20,000); N=10000 is refused where it cannot fit.
#
# Usage: [N=9500] [ROUNDS=2] bench/lb/storm.sh      (writes bench/results/lb-storm-<date>-<HHMM>.md)
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
ROUNDS="${ROUNDS:-2}"
LIMIT=$(ulimit -Hn)
[ "$LIMIT" = unlimited ] && LIMIT=1048576
ulimit -n "$LIMIT"
MAXN=$(( (LIMIT - 1000) / 2 / 500 * 500 ))
N="${N:-$(( MAXN < 10000 ? MAXN : 10000 ))}"
if [ $(( 2 * N + 1000 )) -gt "$LIMIT" ]; then
  echo "N=$N clients need 2N+1000 = $(( 2 * N + 1000 )) descriptors in the balancer; ulimit -Hn is $LIMIT (N <= $MAXN)" >&2
  exit 2
fi
WORK="$(mktemp -d /tmp/stickyring-storm.XXXXXX)"; chmod 755 "$WORK"
STAMP="$(date -u +%Y-%m-%d-%H%M)"
OUT="$ROOT/bench/results/lb-storm-$STAMP.md"
JSONL="$ROOT/bench/results/lb-storm-$STAMP.jsonl"
MEMBER_PIDS=(); LB_PID=""
stop_phase() {
  [ -n "$LB_PID" ] && kill -9 -- "-$LB_PID" 2>/dev/null || true
  for p in "${MEMBER_PIDS[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  MEMBER_PIDS=(); LB_PID=""
}
trap stop_phase EXIT
command -v haproxy >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y haproxy >/dev/null
JAR="$ROOT/dist/target/stickyring.jar"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -pl dist -am package -DskipTests)
. "$ROOT/bench/lib/loopback.sh"

phase() { # target event
  local target=$1 event=$2 ports=() members="" backends="" servers="" cmd lport
  for i in 1 2 3 4; do
    ports+=("$(free_port)")
    python3 "$ROOT/bench/lb/storm.py" member --port "${ports[-1]}" --id "m$i" > "$WORK/member-m$i.log" 2>&1 &
    MEMBER_PIDS+=($!)
    members+="${members:+,}m$i=$!"
    backends+=" --backend m$i=127.0.0.1:${ports[-1]}"
    servers+="  server m$i 127.0.0.1:${ports[-1]}"$'\n'
  done
  for p in "${ports[@]}"; do wait_port "$p" 300; done
  lport=$(free_port)
  if [ "$target" = stickyring ]; then
    # Through the launcher, as an operator starts it: its LB JVM flags and its class-data-sharing
    # archive (written by the first start, before any client connects; STICKYRING_NO_CDS=1 turns it off).
    cmd="STICKYRING_NO_BUILD=1 STICKYRING_JAVA_OPTS=-Dlogback.configurationFile=$ROOT/bench/lb/logback-bench.xml exec $ROOT/stickyring lb --listen 127.0.0.1:$lport --admin 127.0.0.1:$(free_port)$backends --io-threads 2 --health-check tcp --health-interval 1s --health-fall 3 --health-rise 2 --close-log-sample 0"
  else
    cat > "$WORK/haproxy-$lport.cfg" <<CONF
global
  nbthread 2
  maxconn $(( N + 100 ))
defaults
  mode tcp
  timeout connect 2s
  timeout client 1h
  timeout server 1h
  retries 3
  option redispatch
frontend fe
  bind 127.0.0.1:$lport
  default_backend be
backend be
  balance source
  hash-type consistent
  default-server check inter 1s fall 3 rise 2 on-marked-down shutdown-sessions
$servers
CONF
    cmd="exec haproxy -f $WORK/haproxy-$lport.cfg -db"
  fi
  setsid bash -c "$cmd" >> "$WORK/$target.log" 2>&1 &
  LB_PID=$!
  if ! wait_port "$lport" 300; then
    echo "{\"target\": \"$target\", \"event\": \"$event\", \"error\": \"did not start: $(tail -1 "$WORK/$target.log" | tr -d '"')\"}" | tee -a "$JSONL"
    stop_phase; return 0
  fi
  sleep 2.5 # both balancers' first health checks (1 s interval, rise 2) have marked all members up
  python3 "$ROOT/bench/lb/storm.py" phase --target "$target" --event "$event" --n "$N" \
    --lb-cmd "$cmd" --lb-pid "$LB_PID" --lb-log "$WORK/$target.log" --lb-port "$lport" --members "$members" \
    | tee -a "$JSONL" || echo "{\"target\": \"$target\", \"event\": \"$event\", \"error\": \"phase failed, see $WORK\"}" | tee -a "$JSONL"
  stop_phase
}

LOAD_START="$(cut -d' ' -f1-3 /proc/loadavg)"
: > "$JSONL"
for round in $(seq 1 "$ROUNDS"); do
  if [ $((round % 2)) = 1 ]; then order=(stickyring haproxy); else order=(haproxy stickyring); fi
  for event in failover restart; do
    for t in "${order[@]}"; do
      echo "== round $round: $t $event (load $(cut -d' ' -f1 /proc/loadavg))"
      phase "$t" "$event"
    done
  done
done

python3 - "$JSONL" "$N" "$LOAD_START" "$(cut -d' ' -f1-3 /proc/loadavg)" "$LIMIT" > "$OUT" <<'PY'
import json, sys
rows = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
n, load0, load1, limit = sys.argv[2:6]
print(f"# Reconnect storms, stickyring vs HAProxy\n")
print(f"Command: `bench/lb/storm.sh` (N={n} idle clients from distinct 127.40.x.y addresses over 4 members; "
      f"ulimit -Hn {limit}, 2 descriptors per proxied connection). Load average at start: {load0}; at end: {load1}.\n")
print("Health checks on both: TCP every 1 s, fall 3, rise 2. Times are from the SIGKILL to the client's new greeting.\n")
print("| event | balancer | clients reconnecting | first back (s) | all back (s) | p50 (s) | p90 (s) | p99 (s) | failed attempts | others disconnected | clients before the kill, per member |")
print("|---|---|---|---|---|---|---|---|---|---|---|")
for r in rows:
    if "error" in r:
        print(f"| {r['event']} | {r['target']} | error: {r['error']} | | | | | | | | |")
        continue
    allb = r['all_back_s'] if r['complete'] else f"incomplete ({r['reconnected']} of {r['reconnecting']})"
    print(f"| {r['event']} | {r['target']} | {r['reconnecting']} | {r['first_back_s']} | {allb} | {r['p50_s']} | {r['p90_s']} | {r['p99_s']} | "
          f"{r['failed_attempts']} | {'' if r['others_disconnected'] is None else r['others_disconnected']} | "
          f"{' '.join(f'{k}:{v}' for k, v in sorted(r['per_member'].items()))} |")
PY
cat "$OUT"
echo "written to $OUT (raw: $JSONL)"
