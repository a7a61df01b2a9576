#!/usr/bin/env bash
# Cluster benchmark: durable sends/s, ack and delivery latency of several cluster shapes on ONE
# PostgreSQL and ONE NATS, same load client, same run, plus where the writers' transaction time
# goes (pg_stat_activity sampled while the closed loop runs). Results:
# bench/results/cluster-<UTC date>.json (+ .md).
#
#   bench/cluster/run.sh                                   # every leg of LEGS
#   LEGS="1all 3all" DURATION=15 bench/cluster/run.sh      # a subset
#   OUT_DIR=/tmp/cluster-smoke DURATION=3 WARMUP=1 USERS=12 RATE=50 bench/cluster/run.sh    # smoke run
#   PG=postgresql://postgres@127.0.0.1:5432/test NATS=nats://127.0.0.1:4222 bench/cluster/run.sh
#
# Legs (LEGS, space separated, run in this order):
#   sqlite  1 node, SQLite + in-process bus (the embedded peer; not on the shared store)
#   1all    1 node --role all, PostgreSQL + NATS
#   3old    3 nodes without --zk: every node commits every conversation (the shape before writer ownership)
#   3all    3 nodes --role all, PostgreSQL + NATS (every delivery crosses nodes)
#   2e1w    2 edges + 1 writer (--role edge / --role writer), PostgreSQL + NATS + ZooKeeper
#   2e2w    2 edges + 2 writers
#   kill    2 edges + 2 writers at RATE sends/s, kill -9 of one writer mid-run (failover stall)
# Legs with ZOOKEEPER=1 (default when the node supports --role) register in a ZooKeeper this
# script starts (stickyring zk); a node without --zk is standalone.
#
# Uses the machine's PostgreSQL and NATS through a schema and a subject prefix unique to each leg;
# the schemas are dropped at the end (needs psql) and every process is stopped (trap).
#
# CPU budget per node (NODE_CPUS, default 0.25 cores; 0 = none): every chat-node JVM runs in a cpu
# cgroup of its own with a CFS quota of NODE_CPUS cores per 10 ms period (bench/lib/cpu-budget.sh;
# needs root), so each node has a fixed capacity, as on a machine of its own, and a shape with more
# nodes has more capacity. PostgreSQL, NATS, ZooKeeper and the load client stay outside the
# budgets. Without budgets, on a small shared machine all JVMs share the same cores and one node
# always wins (docs/cluster.md). NODE_ARGS: extra arguments for every node (e.g.
# NODE_ARGS="--forward-window 16").
set -euo pipefail
# The nodes read their HS256 secret from the environment (STICKYRING_SECRET, never argv; set by
# bench_setup); the load client mints its tokens with the same secret (--secret).
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
USERS="${USERS:-120}"          # users in direct-conversation pairs, spread over the (edge) nodes
WINDOW="${WINDOW:-4}"          # outstanding sends per user (closed loop)
BODY="${BODY:-100}"            # message body bytes
WARMUP="${WARMUP:-5}"          # seconds before measuring
DURATION="${DURATION:-15}"     # measured seconds per run
RATE="${RATE:-500}"            # total sends/s of the open-loop "moderate load" run (0 = skip)
PG="${PG:-postgresql://postgres@127.0.0.1:5432/test}"
NATS="${NATS:-nats://127.0.0.1:4222}"
LEGS="${LEGS:-1all 3old 3all 2e1w 2e2w kill}"
SAMPLE_MS="${SAMPLE_MS:-50}"   # pg_stat_activity sampling period during the closed loop
NODE_CPUS="${NODE_CPUS:-0.25}"  # cores per node process (cgroup CFS quota); 0 = no budget
NODE_ARGS="${NODE_ARGS:-}"     # extra arguments for every node
NODE_JVM="${NODE_JVM:-}"       # extra JVM options for every node (e.g. NODE_JVM="-Xlog:gc:file=/tmp/gc-%p.log")
# NODE_JIT: c1 (default) runs the nodes with -XX:TieredStopAtLevel=1 (the C1 compiler only), c2 with
# the JVM's default tiered compilation. Every node here has less than a core (a 0.25-core budget, or
# 2 shared cores for 3-4 JVMs plus PostgreSQL and NATS), and there C2's compilations took 40-85% of
# a node's CPU through the whole measured window and set the tail (docs/cluster.md, "Where the tail
# at 500 sends/s came from"). Every node also gets -XX:MetaspaceSize=64m: the default 21 MB high-water
# mark made each JVM run 1-2 full collections for class metadata (75-500 ms pauses) while serving.
NODE_JIT="${NODE_JIT:-c1}"
case "$NODE_JIT" in
  c1) node_jit=(-XX:TieredStopAtLevel=1) ;;
  c2) node_jit=() ;;
  *) echo "NODE_JIT ($NODE_JIT) must be c1 or c2" >&2; exit 2 ;;
esac
THREADS="${THREADS:-}"         # THREADS=1: CPU of every node thread over the open loop's measured window (approx.: from
                               # WARMUP s after the load client starts to its end), by node and thread name, into
                               # OUT_DIR/cluster-<stamp>-<leg>-threads.txt (JIT compiler, GC, event loops, writer, ...)
JFR="${JFR:-}"                 # JFR=1: each node records a flight recording (settings=profile) into
                               # OUT_DIR/cluster-<stamp>-<leg>-<node>.jfr (read with `jfr print` / `jfr summary`)
source "$root/bench/chat/common.sh"
source "$root/bench/lib/cpu-budget.sh"
bench_setup cluster
names=()        # the current leg's node names, parallel to pids
budgets=()      # every node's cgroup (removed at exit)
node_cgs=()     # the current leg's nodes' cgroups
if [ "$NODE_CPUS" != 0 ]; then
  [ "$(id -u)" = 0 ] || { echo "NODE_CPUS=$NODE_CPUS needs root (cgroups); NODE_CPUS=0 runs without budgets" >&2; exit 1; }
  [ "$(cpu_budget_version)" != none ] || { echo "no cpu cgroup controller; NODE_CPUS=0 runs without budgets" >&2; exit 1; }
fi
pg_url="${PG#postgresql://}"; pg_user="${pg_url%%@*}"; pg_rest="${pg_url#*@}"
psql_url="postgresql://$pg_user@$pg_rest"
schemas=()
zk_pid=""
cleanup() {
  [ -n "$zk_pid" ] && kill "$zk_pid" 2>/dev/null || true
  stop_all
  for cg in "${budgets[@]:-}"; do [ -n "$cg" ] && cpu_budget_remove "$cg"; done
  if command -v psql >/dev/null; then
    for s in "${schemas[@]:-}"; do
      [ -n "$s" ] && psql -q "$psql_url" -c "DROP SCHEMA IF EXISTS $s CASCADE" >/dev/null 2>&1 || true
    done
  fi
}
trap cleanup EXIT

ensure_jar
command -v psql >/dev/null || { echo "psql is needed to sample pg_stat_activity" >&2; exit 1; }

# start_node NAME EXTRA_ARGS... -> the node's port in NODE_PORT, its admin (/metrics) port in
# NODE_ADMIN, its pid appended to pids
start_node() {
  local name="$1"; shift
  local jfr=()
  [ -n "$JFR" ] && jfr=("-XX:StartFlightRecording=filename=$OUT_DIR/cluster-$stamp-$leg-$name.jfr,settings=profile,dumponexit=true")
  local budget=()
  if [ "$NODE_CPUS" != 0 ]; then
    local cg; cg="$(cpu_budget_create "stickyring-cluster-$$-$leg_no-$name" "$NODE_CPUS" 10000)"
    budgets+=("$cg"); node_cgs+=("$cg"); budget=(cpu_budget_exec "$cg")
  fi
  # shellcheck disable=SC2086  # NODE_ARGS, NODE_JVM: words
  "${budget[@]}" java "${jfr[@]}" -Xms256m -Xmx384m -XX:+UseParallelGC -XX:MetaspaceSize=64m "${node_jit[@]}" $NODE_JVM -Dlogback.configurationFile="$root/bench/cluster/logback.xml" -jar "$JAR" node \
    --listen 127.0.0.1:0 --id "$name" --rate 1000000 --rate-burst 1000000 \
    --drain-period 0s --dev-login $NODE_ARGS "$@" >"$tmp/$name.log" 2>&1 &
  pids+=("$!"); names+=("$name")
  NODE_PORT=""; NODE_ADMIN=""
  for _ in $(seq 1 600); do
    NODE_PORT="$(grep -o 'listening on 127.0.0.1:[0-9]*' "$tmp/$name.log" | head -1 | sed 's/.*://')" || true
    NODE_ADMIN="$(grep -o 'admin on 127.0.0.1:[0-9]*' "$tmp/$name.log" | head -1 | sed 's/.*://')" || true
    [ -n "$NODE_PORT" ] && [ -n "$NODE_ADMIN" ] && break
    sleep 0.1
  done
  [ -n "$NODE_PORT" ] && [ -n "$NODE_ADMIN" ] || { echo "node $name did not start:" >&2; tail -20 "$tmp/$name.log" >&2; exit 1; }
}

stop_nodes() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  pids=(); names=()
  for cg in "${node_cgs[@]:-}"; do [ -n "$cg" ] && cpu_budget_remove "$cg"; done
  node_cgs=()
}

# throttle_sum -> "<nr_periods> <nr_throttled>" summed over the current leg's node budgets
throttle_sum() {
  local cg
  # (if, not &&: with no budgets the loop's status would be 1 and fail the pipeline under pipefail)
  for cg in "${node_cgs[@]:-}"; do if [ -n "$cg" ]; then cpu_budget_stat "$cg"; fi; done | awk '{p += $2; n += $3} END {print p + 0, n + 0}'
}

# thread_ticks -> "<node> <thread name> <utime+stime ticks>" for every thread of the current leg's nodes
thread_ticks() {
  local i t
  for i in "${!pids[@]}"; do
    for t in /proc/"${pids[$i]}"/task/*; do
      [ -r "$t/stat" ] || continue
      # comm may hold spaces: the fields after it start behind the last ')'
      echo "${names[$i]} $(tr ' ' _ <"$t/comm") $(sed 's/.*) //' "$t/stat" | awk '{print $12 + $13}')"
    done
  done
}

# cpu_ticks PIDS... -> summed utime+stime (clock ticks) of those processes
cpu_ticks() {
  local t=0 p
  for p in "$@"; do
    [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
  done
  echo "$t"
}

start_zk() {
  [ -n "$zk_pid" ] && return
  java -Xmx128m -jar "$JAR" zk --port 0 --data "$tmp/zk" >"$tmp/zk.log" 2>&1 &
  zk_pid="$!"
  ZK=""
  for _ in $(seq 1 300); do
    ZK="$(grep -o '^connect=.*' "$tmp/zk.log" | head -1 | sed 's/^connect=//')" || true
    [ -n "$ZK" ] && break
    sleep 0.1
  done
  [ -n "$ZK" ] || { echo "zk did not start:" >&2; tail -20 "$tmp/zk.log" >&2; exit 1; }
}

compile_load_client "$root/bench/cluster/ClusterBench.java"
bench() { java -Xmx512m -Dlogback.configurationFile="$root/bench/cluster/logback.xml" -cp "$JAR:$tmp/classes" ClusterBench "$@"; }

# sample_start SCHEMA FILE / sample_stop: one psql session polls the writers' pg_stat_activity rows
sample_start() {
  local q="SELECT '#'; SELECT state || '|' || coalesce(wait_event_type, '') || '|' || coalesce(wait_event, '') FROM pg_stat_activity WHERE application_name = 'stickyring-chat-writer-$1'"
  touch "$tmp/sampling"
  ( while [ -f "$tmp/sampling" ]; do echo "$q;"; sleep "$(awk "BEGIN{print $SAMPLE_MS/1000}")"; done | psql -At -q "$psql_url" >"$2" 2>/dev/null ) &
  sampler_pid="$!"
}
sample_stop() {
  rm -f "$tmp/sampling"
  wait "$sampler_pid" 2>/dev/null || true
}

# metric_sum NAME ADMIN_PORTS -> sum of NAME over the nodes' /metrics (served on the admin listener)
metric_sum() {
  local name="$1" ports="$2" p
  for p in ${ports//,/ }; do curl -s "127.0.0.1:$p/metrics"; done | awk -v n="$name" '$1 == n {s += $2} END {printf "%.6f\n", s + 0}'
}

# run_leg KEY LABEL EDGE_PORTS EDGE_ADMIN_PORTS ALL_ADMIN_PORTS SCHEMA -> appends a JSON object to $tmp/legs.jsonl
run_leg() {
  local key="$1" label="$2" edges="$3" edge_admins="$4" all="$5" schema="$6"
  echo "== $label: closed loop, $USERS users, window $WINDOW" >&2
  local load0; load0="$(cut -d' ' -f1-3 /proc/loadavg)"
  local th0; th0="$(throttle_sum)"
  local c0; c0="$(cpu_ticks "${pids[@]}")"; local t0; t0="$(date +%s.%N)"
  [ -n "$schema" ] && sample_start "$schema" "$tmp/$key.samples"
  if [ -n "${PROFILE:-}" ]; then  # per-thread CPU of the nodes mid-run, kept in OUT_DIR
    ( sleep "$((WARMUP + DURATION / 2))"; top -H -b -n 1 -d 1 $(printf -- '-p %s ' "${pids[@]}") | head -40 >"$OUT_DIR/cluster-$stamp-$key-threads.txt" ) &
  fi
  local send; send="$(bench send --ports "$edges" --secret "$SECRET" --users "$USERS" --window "$WINDOW" --body "$BODY" --warmup "$WARMUP" --duration "$DURATION")"
  [ -n "$schema" ] && sample_stop
  local c1; c1="$(cpu_ticks "${pids[@]}")"; local t1; t1="$(date +%s.%N)"
  local th1; th1="$(throttle_sum)"
  echo "$send" >&2
  local csum ccount bsum bcount
  csum="$(metric_sum stickyring_chat_commit_latency_seconds_sum "$all")"
  ccount="$(metric_sum stickyring_chat_commit_latency_seconds_count "$all")"
  bsum="$(metric_sum stickyring_chat_commit_batch_size_sum "$all")"
  bcount="$(metric_sum stickyring_chat_commit_batch_size_count "$all")"
  local rate='null'
  if [ "$RATE" -gt 0 ]; then
    echo "== $label: open loop at $RATE sends/s" >&2
    local snap_pid=""
    [ -n "$THREADS" ] && { ( sleep "$WARMUP"; thread_ticks >"$tmp/$key.threads0" ) & snap_pid="$!"; }
    rate="$(bench rate --ports "$edges" --admin-ports "$edge_admins" --secret "$SECRET" --users "$USERS" --rate "$RATE" --body "$BODY" --warmup "$WARMUP" --duration "$DURATION")"
    echo "$rate" >&2
    if [ -n "$snap_pid" ]; then
      wait "$snap_pid" || true
      thread_ticks >"$tmp/$key.threads1"
      python3 - "$tmp/$key.threads0" "$tmp/$key.threads1" "$(getconf CLK_TCK)" >"$OUT_DIR/cluster-$stamp-$key-threads.txt" <<'PY'
import re, sys, collections
def load(f):
    d = collections.Counter()
    for line in open(f):
        node, thread, ticks = line.split()
        d[(node, re.sub(r'[-#]?\d+$', '', thread))] += int(ticks)
    return d
a, b, hz = load(sys.argv[1]), load(sys.argv[2]), float(sys.argv[3])
d = {k: v - a.get(k, 0) for k, v in b.items()}
print("# CPU ms per node thread (name without trailing numbers) over the open loop's measured window (approx.)")
for node in sorted({k[0] for k in d}):
    rows = sorted(((v, t) for (n, t), v in d.items() if n == node and v > 0), reverse=True)
    print(f"{node}: total {1000 * sum(v for v, _ in rows) / hz:.0f} ms; " + ", ".join(f"{t} {1000 * v / hz:.0f}" for v, t in rows[:12]))
PY
    fi
  fi
  local load1; load1="$(cut -d' ' -f1-3 /proc/loadavg)"
  python3 - "$key" "$label" "$send" "$rate" "$tmp/$key.samples" "$csum" "$ccount" "$bsum" "$bcount" \
      "$(( c1 - c0 ))" "$(awk "BEGIN{print $(getconf CLK_TCK) * ($t1 - $t0)}")" "$load0" "$load1" \
      "${#pids[@]}" "$NODE_CPUS" "$th0" "$th1" >>"$tmp/legs.jsonl" <<'PY'
import json, sys, os
key, label, send, rate, samples, csum, ccount, bsum, bcount, ticks, wall_ticks, load0, load1, nodes, node_cpus, th0, th1 = sys.argv[1:]
cls = {'lock': 0, 'wal': 0, 'server': 0, 'client': 0, 'other': 0}
n_idle = 0
if os.path.exists(samples):
    for line in open(samples):
        line = line.strip()
        if not line or line == '#':
            continue
        state, wtype, wev = (line.split('|') + ['', ''])[:3]
        if state == 'idle':
            n_idle += 1
        elif state.startswith('idle in transaction'):
            cls['client'] += 1
        elif state == 'active' and wtype == 'Lock':
            cls['lock'] += 1
        elif state == 'active' and ('WAL' in wev.upper() or wtype == 'IO'):
            cls['wal'] += 1
        elif state == 'active' and wtype == '':
            cls['server'] += 1
        else:
            cls['other'] += 1
in_txn = sum(cls.values())
share = {k: (round(100.0 * v / in_txn, 1) if in_txn else None) for k, v in cls.items()}
ccount, csum, bsum, bcount = float(ccount), float(csum), float(bsum), float(bcount)
s = json.loads(send)
out = {'key': key, 'label': label, 'send': s, 'rate': json.loads(rate),
       'txnSamples': in_txn, 'idleSamples': n_idle, 'txnTimeSharePct': share,
       'avgTxnMs': round(1000 * csum / ccount, 2) if ccount else None,
       'avgCommitBatch': round(bsum / bcount, 1) if bcount else None,
       'nodeCpuCores': round(int(ticks) / float(wall_ticks), 2),
       'loadBefore': load0, 'loadAfter': load1}
# node CPU per durable send: the nodes' CPU over the closed loop (warm-up included, at about the
# same rate) over its sends/s; the budget (cores per node) and the share of 10 ms periods in which
# a node's budget ran out (it was throttled: the budget, not the work offered, set its pace)
sps = s.get('sendsPerSecond') or 0
out['nodeCpuMsPerSend'] = round(1000.0 * out['nodeCpuCores'] / sps, 3) if sps else None
out['nodes'] = int(nodes)
out['nodeCpus'] = float(node_cpus)
p0, n0 = map(int, th0.split()); p1, n1 = map(int, th1.split())
out['throttledPct'] = round(100.0 * (n1 - n0) / (p1 - p0), 1) if p1 > p0 else None
print(json.dumps(out))
PY
}

# OWNERS=1 (default): nodes join a ZooKeeper cluster, so role-all nodes own conversations as
# writers and route appends to the owner; OWNERS= (empty) runs the pre-ownership shape (no --zk).
OWNERS="${OWNERS-1}"
[ -n "$OWNERS" ] && start_zk
: >"$tmp/legs.jsonl"
KILL_JSON=null
leg_no=0
for leg in $LEGS; do
  leg_no=$((leg_no + 1))
  schema="bench_$(date -u +%Y%m%d%H%M%S)_$$_$leg_no"
  schemas+=("$schema")
  store="$PG?schema=$schema&pool=6"
  bus="$NATS?prefix=bench.c$$.$leg_no"
  zk_args=()
  [ -n "$OWNERS" ] && zk_args=(--zk "$ZK" --cluster "bench-$$-$leg_no" --zk-session-timeout 4s)
  edges=""; edge_admins=""; all=""
  add() { edges="${edges:+$edges,}$NODE_PORT"; edge_admins="${edge_admins:+$edge_admins,}$NODE_ADMIN"; all="${all:+$all,}$NODE_ADMIN"; }
  case "$leg" in
    sqlite)
      start_node single --store "sqlite:$tmp/single.db" --bus local; add
      run_leg sqlite "1 node, SQLite + in-process bus" "$edges" "$edge_admins" "$all" "" ;;
    1all)
      start_node a1 --store "$store" --bus "$bus" "${zk_args[@]}"; add
      run_leg 1all "1 node (all), PostgreSQL + NATS" "$edges" "$edge_admins" "$all" "$schema" ;;
    3all)
      for n in a1 a2 a3; do start_node "$n" --store "$store" --bus "$bus" "${zk_args[@]}"; add; done
      run_leg 3all "3 nodes (all)${OWNERS:+, writer ownership}, PostgreSQL + NATS" "$edges" "$edge_admins" "$all" "$schema" ;;
    3old)
      for n in a1 a2 a3; do start_node "$n" --store "$store" --bus "$bus"; add; done
      run_leg 3old "3 nodes (all), no ownership (before), PostgreSQL + NATS" "$edges" "$edge_admins" "$all" "$schema" ;;
    2e1w|2e2w)
      [ -n "$OWNERS" ] || { echo "leg $leg needs OWNERS=1 (node --role)" >&2; exit 2; }
      for w in $(seq 1 "${leg:2:1}"); do start_node "w$w" --store "$store" --bus "$bus" "${zk_args[@]}" --role writer; all="${all:+$all,}$NODE_ADMIN"; done
      for e in e1 e2; do start_node "$e" --store "$store" --bus "$bus" "${zk_args[@]}" --role edge; add; done
      run_leg "$leg" "2 edges + ${leg:2:1} writer(s), PostgreSQL + NATS" "$edges" "$edge_admins" "$all" "$schema" ;;
    kill)
      # Failover: 2 edges + 2 writers at RATE sends/s; kill -9 of writer w1 half-way through the
      # measured window. Reports the worst ack latency (the stall) and the sends that failed.
      [ -n "$OWNERS" ] || { echo "leg kill needs OWNERS=1" >&2; exit 2; }
      start_node w1 --store "$store" --bus "$bus" "${zk_args[@]}" --role writer; w1_pid="${pids[-1]}"
      start_node w2 --store "$store" --bus "$bus" "${zk_args[@]}" --role writer
      for e in e1 e2; do start_node "$e" --store "$store" --bus "$bus" "${zk_args[@]}" --role edge; add; done
      echo "== failover: open loop at $RATE sends/s, kill -9 of writer w1 after $((WARMUP + DURATION / 2)) s" >&2
      bench rate --ports "$edges" --admin-ports "$edge_admins" --secret "$SECRET" --users "$USERS" --rate "$RATE" --body "$BODY" --warmup "$WARMUP" \
        --duration "$DURATION" >"$tmp/kill.json" 2>"$tmp/kill.err" &
      bench_pid="$!"
      sleep "$((WARMUP + DURATION / 2))"
      kill -9 "$w1_pid"
      wait "$bench_pid"
      cat "$tmp/kill.err" >&2
      python3 - "$tmp/kill.json" "$tmp/kill.err" >"$tmp/kill.summary.json" <<'PY'
import json, re, sys
r = json.loads(open(sys.argv[1]).read())
per = [int(m.group(1)) for m in re.finditer(r'^\s*\d+ s: (\d+) acks', open(sys.argv[2]).read(), re.M)]
steps = [b - a for a, b in zip([0] + per, per)]
print(json.dumps({'rate': r, 'acksPerSecondEachSecond': steps}))
PY
      KILL_JSON="$(cat "$tmp/kill.summary.json")" ;;
    *) echo "unknown leg '$leg' (expected sqlite, 1all, 3old, 3all, 2e1w, 2e2w, kill)" >&2; exit 2 ;;
  esac
  stop_nodes
done

echo "$KILL_JSON" >"$tmp/kill.final.json"
python3 - "$out_json" "$out_md" "$tmp/legs.jsonl" "$tmp/kill.final.json" <<PY
import json, sys
legs = [json.loads(l) for l in open(sys.argv[3]) if l.strip()]
kill = json.loads(open(sys.argv[4]).read())
res = {'date': '$stamp', 'command': 'NODE_CPUS=$NODE_CPUS NODE_JIT=$NODE_JIT NODE_JVM="$NODE_JVM" NODE_ARGS="$NODE_ARGS" LEGS="$LEGS" USERS=$USERS WINDOW=$WINDOW BODY=$BODY WARMUP=$WARMUP DURATION=$DURATION RATE=$RATE bench/cluster/run.sh',
       'jar': '$JAR', 'nodeCpus': $NODE_CPUS, 'nodeArgs': '$NODE_ARGS',
       'cores': $(nproc), 'legs': legs, 'failover': kill}
base = next((l for l in legs if l['key'] == '1all'), None)
for l in legs:
    l['ratioOver1all'] = round(l['send']['sendsPerSecond'] / base['send']['sendsPerSecond'], 2) if base and base['send']['sendsPerSecond'] else None
json.dump(res, open(sys.argv[1], 'w'), indent=2)
budget = (f"each node in its own cpu cgroup with {res['nodeCpus']} core(s) (CFS quota per 10 ms); PostgreSQL, NATS, ZooKeeper and the load client outside"
          if res['nodeCpus'] else "no CPU budgets: every process shares the machine's cores")
md = [f"# cluster benchmark {res['date']} UTC", "", f"Command: \`{res['command']}\` ({res['cores']}-core machine shared with other work; "
      f"{budget}; jar {res['jar']})", "",
      "| setup | durable sends/s | x 1all | ack p50 / p99 ms | delivery p50 / p99 ms | @{0}/s ack p50 / p99 ms | @{0}/s delivery p50 / p99 ms | @{0}/s delivery p99 from due / send lag p99 ms / client CPU cores | errors | avg txn ms | avg batch | txn time: lock / WAL / server / client % | node CPU cores | node CPU ms / send | throttled % of periods | load avg before -> after |".format('$RATE'),
      "|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|"]
for l in legs:
    s, r, sh = l['send'], l['rate'] or {}, l['txnTimeSharePct']
    shares = ' / '.join(str(sh[k]) for k in ('lock', 'wal', 'server', 'client')) if l['txnSamples'] else 'n/a'
    md.append(f"| {l['label']} | {s['sendsPerSecond']} | {l['ratioOver1all']} | {s['p50Ms']} / {s['p99Ms']} | {s['deliveryP50Ms']} / {s['deliveryP99Ms']} | "
              f"{r.get('ackP50Ms')} / {r.get('ackP99Ms')} | {r.get('deliveryP50Ms')} / {r.get('deliveryP99Ms')} | "
              f"{r.get('deliveryP99FromDueMs')} / {r.get('sendLagP99Ms')} / {r.get('clientCpuCores')} | {s['errors']}+{r.get('errors')} | "
              f"{l['avgTxnMs']} | {l['avgCommitBatch']} | {shares} | {l['nodeCpuCores']} | {l.get('nodeCpuMsPerSend')} | {l.get('throttledPct')} | {l['loadBefore']} -> {l['loadAfter']} |")
md += ["", "from due: the open loop's send k is due at start + k / rate; 'from due' counts from then (coordinated-omission correct), "
       "the other open-loop figures from when the client wrote the frame; send lag = due -> written.",
       "", "txn time: share of the writers' pg_stat_activity samples taken inside a transaction (every $SAMPLE_MS ms during the closed loop): "
       "lock = waiting on a Lock (another transaction's row lock), WAL = commit flush (IO/WAL waits), server = running in PostgreSQL, "
       "client = 'idle in transaction' (PostgreSQL waiting for the node's next statement: network + node JVM)."]
if kill:
    k = kill['rate']
    md += ["", f"Failover (2 edges + 2 writers, open loop {k['targetPerSecond']}/s, kill -9 of writer w1 mid-window): "
           f"ack p50 {k['ackP50Ms']} ms, p99 {k['ackP99Ms']} ms, worst ack {k.get('ackMaxMs')} ms, failed sends {k['errors']} "
           f"(store_unavailable: in flight at the dead writer, retryable with the same id); acks per second: {kill['acksPerSecondEachSecond']}"]
open(sys.argv[2], 'w').write('\n'.join(md) + '\n')
print('\n'.join(md))
PY
echo "results: $out_json" >&2
