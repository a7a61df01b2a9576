#!/usr/bin/env bash
# Cluster benchmark: durable sends/s and delivery latency across 3 chat nodes sharing PostgreSQL +
# NATS (every delivery crosses nodes), next to one node on SQLite with the in-process bus (the
# single-node peer), same load client, same run. Results: bench/results/cluster-<UTC date>.json (+ .md).
#
#   bench/cluster/run.sh
#   USERS=120 WINDOW=4 DURATION=20 RATE=500 bench/cluster/run.sh
#   OUT_DIR=/tmp/cluster-smoke DURATION=3 WARMUP=1 USERS=12 RATE=50 bench/cluster/run.sh    # smoke run
#   PG=postgresql://postgres@127.0.0.1:5432/test NATS=nats://127.0.0.1:4222 bench/cluster/run.sh
#
# Uses the machine's PostgreSQL and NATS through a schema and a subject prefix unique to the run;
# the schema is dropped at the end (needs psql) and every node is stopped (trap).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
USERS="${USERS:-120}"          # users in direct-conversation pairs, spread over the nodes
WINDOW="${WINDOW:-4}"          # outstanding sends per user (closed loop)
BODY="${BODY:-100}"            # message body bytes
WARMUP="${WARMUP:-5}"          # seconds before measuring
DURATION="${DURATION:-15}"     # measured seconds per run
RATE="${RATE:-500}"            # total sends/s of the open-loop "moderate load" run (0 = skip)
PG="${PG:-postgresql://postgres@127.0.0.1:5432/test}"
NATS="${NATS:-nats://127.0.0.1:4222}"
source "$root/bench/chat/common.sh"
bench_setup cluster
schema="bench_$(date -u +%Y%m%d%H%M%S)_$$"
prefix="bench.c$$"
cleanup() {
  stop_all
  if command -v psql >/dev/null; then
    pg_url="${PG#postgresql://}"; pg_user="${pg_url%%@*}"; pg_rest="${pg_url#*@}"
    psql -q "postgresql://$pg_user@$pg_rest" -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true
  fi
}
trap cleanup EXIT

ensure_jar

# start_node NAME EXTRA_ARGS... -> appends the node's port to PORTS, its admin (metrics) port to ADMIN_PORTS
PORTS=""
ADMIN_PORTS=""
start_node() {
  local name="$1"; shift
  java -Xms512m -Xmx512m -XX:+UseParallelGC -Dlogback.configurationFile="$root/bench/cluster/logback.xml" -jar "$JAR" node \
    --listen 127.0.0.1:0 --id "$name" --rate 1000000 --rate-burst 1000000 \
    --drain-period 0s "$@" >"$tmp/$name.log" 2>&1 &
  pids+=("$!")
  local port="" admin=""
  for _ in $(seq 1 300); do
    port="$(grep -o 'listening on 127.0.0.1:[0-9]*' "$tmp/$name.log" | head -1 | sed 's/.*://')" || true
    admin="$(grep -o 'admin on 127.0.0.1:[0-9]*' "$tmp/$name.log" | head -1 | sed 's/.*://')" || true
    [ -n "$port" ] && [ -n "$admin" ] && break
    sleep 0.1
  done
  [ -n "$port" ] && [ -n "$admin" ] || { echo "node $name did not start:" >&2; tail -20 "$tmp/$name.log" >&2; exit 1; }
  PORTS="${PORTS:+$PORTS,}$port"
  ADMIN_PORTS="${ADMIN_PORTS:+$ADMIN_PORTS,}$admin"
}

stop_nodes() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && wait "$p" 2>/dev/null || true; done
  pids=()
  PORTS=""
  ADMIN_PORTS=""
}

compile_load_client "$root/bench/cluster/ClusterBench.java"
bench() { java -Xmx1g -Dlogback.configurationFile="$root/bench/cluster/logback.xml" -cp "$JAR:$tmp/classes" ClusterBench "$@"; }

run_pair() {  # label -> sets SEND_JSON, RATE_JSON (nodes already started, PORTS set)
  echo "== $1: closed loop, $USERS users, window $WINDOW" >&2
  SEND_JSON="$(bench send --ports "$PORTS" --secret "$SECRET" --users "$USERS" --window "$WINDOW" --body "$BODY" --warmup "$WARMUP" --duration "$DURATION")"
  echo "$SEND_JSON" >&2
  RATE_JSON='null'
  if [ "$RATE" -gt 0 ]; then
    echo "== $1: open loop at $RATE sends/s" >&2
    RATE_JSON="$(bench rate --ports "$PORTS" --admin-ports "$ADMIN_PORTS" --secret "$SECRET" --users "$USERS" --rate "$RATE" --body "$BODY" --warmup "$WARMUP" --duration "$DURATION")"
    echo "$RATE_JSON" >&2
  fi
}

start_node single --store "sqlite:$tmp/single.db" --bus local
run_pair "1 node, SQLite + in-process bus"
single_send="$SEND_JSON"; single_rate="$RATE_JSON"
stop_nodes

store="$PG?schema=$schema&pool=6"
bus="$NATS?prefix=$prefix"
for n in c1 c2 c3; do start_node "$n" --store "$store" --bus "$bus"; done
run_pair "3 nodes, PostgreSQL + NATS"
cluster_send="$SEND_JSON"; cluster_rate="$RATE_JSON"
commit_batch="$(for p in ${ADMIN_PORTS//,/ }; do curl -s "127.0.0.1:$p/metrics"; done | python3 -c "
import sys
s = c = 0.0
for line in sys.stdin:
    if line.startswith('stickyring_chat_commit_batch_size_sum '): s += float(line.split()[1])
    if line.startswith('stickyring_chat_commit_batch_size_count '): c += float(line.split()[1])
print(round(s / c, 1) if c else 'null')")"
stop_nodes

python3 - "$out_json" "$out_md" <<PY
import json, sys
ss = json.loads('''$single_send'''); sr = json.loads('''$single_rate''')
cs = json.loads('''$cluster_send'''); cr = json.loads('''$cluster_rate''')
res = {'date': '$stamp', 'command': 'USERS=$USERS WINDOW=$WINDOW BODY=$BODY WARMUP=$WARMUP DURATION=$DURATION RATE=$RATE bench/cluster/run.sh',
       'singleSqlite': {'send': ss, 'rate': sr}, 'cluster3PostgresNats': {'send': cs, 'rate': cr},
       'clusterAvgCommitBatch': $commit_batch,
       'throughputRatioClusterOverSingle': round(cs['sendsPerSecond'] / max(ss['sendsPerSecond'], 1), 2)}
json.dump(res, open(sys.argv[1], 'w'), indent=2)
md = [f"# cluster benchmark {res['date']} UTC", "", f"Command: \`{res['command']}\` (2-core machine shared with other work; "
      "every process of both setups on it: nodes, load client, PostgreSQL, NATS)", "",
      "| setup | durable sends/s | ack p50 ms | ack p99 ms | delivery p50 ms | delivery p99 ms | errors |", "|---|---|---|---|---|---|---|"]
for name, r in (('1 node, SQLite, in-process bus', ss), ('3 nodes, PostgreSQL + NATS (cross-node)', cs)):
    md.append(f"| {name}: closed loop | {r['sendsPerSecond']} | {r['p50Ms']} | {r['p99Ms']} | {r['deliveryP50Ms']} | {r['deliveryP99Ms']} | {r['errors']} |")
for name, r in (('1 node, SQLite, in-process bus', sr), ('3 nodes, PostgreSQL + NATS (cross-node)', cr)):
    if r:
        md.append(f"| {name}: open loop {r['targetPerSecond']}/s | {r['acksPerSecond']} | {r['ackP50Ms']} | {r['ackP99Ms']} | {r['deliveryP50Ms']} | {r['deliveryP99Ms']} | {r['errors']} |")
md += ["", f"Cluster / single throughput: {res['throughputRatioClusterOverSingle']}x; average PostgreSQL commit batch {res['clusterAvgCommitBatch']}."]
open(sys.argv[2], 'w').write('\n'.join(md) + '\n')
print('\n'.join(md))
PY
echo "results: $out_json" >&2
