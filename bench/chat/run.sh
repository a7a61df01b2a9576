#!/usr/bin/env bash
# Chat node benchmark: durable sends/s and ack latency with group commit vs one fsync per send,
# and memory per idle authenticated WebSocket. Results: bench/results/chat-<UTC date>.json (+ .md).
#
#   bench/chat/run.sh                  # defaults below
#   USERS=200 WINDOW=8 DURATION=30 IDLE=10000 bench/chat/run.sh
#   OUT_DIR=/tmp/chat-smoke DURATION=3 WARMUP=1 USERS=10 IDLE=100 RATE=50 bench/chat/run.sh  # smoke run
#
# Everything runs on loopback; each node is stopped at the end (trap), its database deleted.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
USERS="${USERS:-100}"          # senders (in direct-conversation pairs)
WINDOW="${WINDOW:-4}"          # outstanding sends per sender (closed loop)
BODY="${BODY:-100}"            # message body bytes
WARMUP="${WARMUP:-5}"          # seconds before measuring
DURATION="${DURATION:-20}"     # measured seconds per run
IDLE="${IDLE:-10000}"          # idle WebSockets for the memory run (0 = skip)
RATE="${RATE:-500}"            # total sends/s of the open-loop "moderate load" run (0 = skip)
source "$root/bench/chat/common.sh"
bench_setup chat
trap stop_all EXIT

ensure_jar

# start_node NAME EXTRA_ARGS... -> sets NODE_PID, NODE_PORT, NODE_ADMIN (metrics listener)
start_node() {
  local name="$1"; shift
  # Heap pre-touched, so RSS growth in the idle run is native memory, not heap pages first used.
  java -Xms1g -Xmx1g -XX:+UseParallelGC -XX:+AlwaysPreTouch -Dlogback.configurationFile="$root/bench/chat/logback.xml" -jar "$JAR" node --listen 127.0.0.1:0 --id "$name" \
    --store "sqlite:$tmp/$name.db" --rate 1000000 --rate-burst 1000000 \
    --drain-period 0s --max-connections 30000 "$@" >"$tmp/$name.log" 2>&1 &
  NODE_PID=$!
  pids+=("$NODE_PID")
  for _ in $(seq 1 300); do
    NODE_PORT="$(grep -o 'listening on 127.0.0.1:[0-9]*' "$tmp/$name.log" | head -1 | sed 's/.*://')" || true
    NODE_ADMIN="$(grep -o 'admin on 127.0.0.1:[0-9]*' "$tmp/$name.log" | head -1 | sed 's/.*://')" || true
    [ -n "${NODE_PORT:-}" ] && [ -n "${NODE_ADMIN:-}" ] && return 0
    sleep 0.1
  done
  echo "node $name did not start:" >&2; tail -20 "$tmp/$name.log" >&2; exit 1
}

stop_node() {
  kill "$NODE_PID" 2>/dev/null || true
  wait "$NODE_PID" 2>/dev/null || true
}

compile_load_client "$root/bench/chat/ChatBench.java"
bench() { java -Xmx1g -Dlogback.configurationFile="$root/bench/chat/logback.xml" -cp "$JAR:$tmp/classes" ChatBench "$@"; }

echo "== durable sends: group commit (--commit-max-batch 512)" >&2
start_node group --commit-max-batch 512
group_json="$(bench send --port "$NODE_PORT" --secret "$SECRET" --users "$USERS" --window "$WINDOW" --body "$BODY" --warmup "$WARMUP" --duration "$DURATION")"
batch_sum="$(curl -s "127.0.0.1:$NODE_ADMIN/metrics" | grep -E '^stickyring_chat_commit_batch_size_sum ' | awk '{print $2}')"
batch_count="$(curl -s "127.0.0.1:$NODE_ADMIN/metrics" | grep -E '^stickyring_chat_commit_batch_size_count ' | awk '{print $2}')"
stop_node
echo "$group_json" >&2

rate_json='null'
if [ "$RATE" -gt 0 ]; then
  echo "== moderate load: open loop at $RATE sends/s, ack and delivery latency (group commit)" >&2
  start_node rate --commit-max-batch 512
  rate_json="$(bench rate --port "$NODE_PORT" --admin-ports "$NODE_ADMIN" --secret "$SECRET" --users "$USERS" --rate "$RATE" --body "$BODY" --warmup "$WARMUP" --duration "$DURATION")"
  stop_node
  echo "$rate_json" >&2
fi

echo "== durable sends: one commit (fsync) per send (--commit-max-batch 1)" >&2
start_node single --commit-max-batch 1
single_json="$(bench send --port "$NODE_PORT" --secret "$SECRET" --users "$USERS" --window "$WINDOW" --body "$BODY" --warmup "$WARMUP" --duration "$DURATION")"
stop_node
echo "$single_json" >&2

idle_json='null'
if [ "$IDLE" -gt 0 ]; then
  echo "== memory per idle WebSocket: $IDLE connections from 127.1.x.y" >&2
  start_node idle --ping-interval 10m --hello-timeout 60s
  heap_used() {  # bytes of heap in use right after a full GC
    jcmd "$NODE_PID" GC.run >/dev/null
    curl -s "127.0.0.1:$NODE_ADMIN/metrics" | grep '^jvm_memory_used_bytes{area="heap"}' | awk '{printf "%.0f", $2}'
  }
  rss() { awk '/VmRSS/ {print $2 * 1024}' "/proc/$NODE_PID/status"; }
  # Warm the node's code paths with a few connections first so JIT/class loading is not counted.
  fifo="$tmp/idle.fifo"; mkfifo "$fifo"
  bench idle --port "$NODE_PORT" --secret "$SECRET" --connections 200 --hold 600 <"$fifo" >"$tmp/warm.out" 2>"$tmp/warm.err" &
  wpid=$!; pids+=("$wpid"); exec 7>"$fifo"
  for _ in $(seq 1 600); do grep -q READY "$tmp/warm.out" && break; sleep 0.1; done
  exec 7>&-; wait "$wpid" || true
  sleep 1
  direct() { curl -s "127.0.0.1:$NODE_ADMIN/metrics" | grep '^stickyring_chat_netty_direct_memory_bytes ' | awk '{printf "%.0f", $2}'; }
  heap0="$(heap_used)"; rss0="$(rss)"; direct0="$(direct)"
  fifo2="$tmp/idle2.fifo"; mkfifo "$fifo2"
  bench idle --port "$NODE_PORT" --secret "$SECRET" --connections "$IDLE" --threads 2 --hold 600 <"$fifo2" >"$tmp/idle.out" 2>"$tmp/idle.err" &
  ipid=$!; pids+=("$ipid"); exec 8>"$fifo2"
  for _ in $(seq 1 1800); do grep -q READY "$tmp/idle.out" && break; sleep 0.1; done
  ready="$(grep READY "$tmp/idle.out" || echo 'READY 0')"
  sleep 2
  sessions="$(curl -s "127.0.0.1:$NODE_ADMIN/metrics" | grep '^stickyring_chat_sessions ' | awk '{printf "%.0f", $2}')"
  heap1="$(heap_used)"; rss1="$(rss)"; direct1="$(direct)"
  exec 8>&-; wait "$ipid" || true
  stop_node
  idle_json="$(python3 -c "
import json
n=int('$sessions'); h0=int('$heap0'); h1=int('$heap1'); r0=int('$rss0'); r1=int('$rss1'); d0=int('$direct0' or 0); d1=int('$direct1' or 0)
print(json.dumps({'connections': n, 'client': '$ready', 'heapBefore': h0, 'heapAfter': h1,
  'heapPerConnection': round((h1-h0)/max(n,1)), 'rssBefore': r0, 'rssAfter': r1,
  'rssPerConnection': round((r1-r0)/max(n,1)), 'nettyDirectBefore': d0, 'nettyDirectAfter': d1,
  'nettyDirectPerConnection': round((d1-d0)/max(n,1))}))")"
  echo "$idle_json" >&2
fi

python3 - "$out_json" "$out_md" <<EOF
import json, sys
g = json.loads('''$group_json'''); s = json.loads('''$single_json'''); idle = json.loads('''$idle_json'''); rate = json.loads('''$rate_json''')
bs, bc = '$batch_sum', '$batch_count'
avg_batch = round(float(bs) / float(bc), 1) if bs and bc and float(bc) > 0 else None
res = {'date': '$stamp', 'command': 'USERS=$USERS WINDOW=$WINDOW BODY=$BODY WARMUP=$WARMUP DURATION=$DURATION RATE=$RATE IDLE=$IDLE bench/chat/run.sh',
       'groupCommit': g, 'groupCommitAvgBatch': avg_batch, 'oneFsyncPerSend': s,
       'throughputRatio': round(g['sendsPerSecond'] / max(s['sendsPerSecond'], 1), 2), 'moderateLoad': rate, 'idle': idle}
json.dump(res, open(sys.argv[1], 'w'), indent=2)
md = [f"# chat node benchmark {res['date']} UTC", "", f"Command: \`{res['command']}\`", "",
      "| run | sends/s | p50 ack ms | p99 ack ms | p99.9 ack ms | errors |", "|---|---|---|---|---|---|"]
for name, r in (('group commit (max batch 512)', g), ('one fsync per send (max batch 1)', s)):
    md.append(f"| {name} | {r['sendsPerSecond']} | {r['p50Ms']} | {r['p99Ms']} | {r['p999Ms']} | {r['errors']} |")
md += ["", f"Group commit / single: {res['throughputRatio']}x throughput; average commit batch {avg_batch}."]
if rate:
    md += ["", f"Moderate load (open loop, {rate['targetPerSecond']} sends/s target, {rate['acksPerSecond']} acked/s): "
           f"ack p50 {rate['ackP50Ms']} ms, p99 {rate['ackP99Ms']} ms; delivery to the peer p50 {rate['deliveryP50Ms']} ms, "
           f"p99 {rate['deliveryP99Ms']} ms, p99.9 {rate['deliveryP999Ms']} ms. The node's own ack latency in the same window "
           f"(its histogram, bucket upper bounds): p50 <= {rate['nodeAckP50AtMostMs']} ms, p99 <= {rate['nodeAckP99AtMostMs']} ms, "
           f"p99.9 <= {rate['nodeAckP999AtMostMs']} ms."]
if idle:
    md += ["", f"Idle WebSockets: {idle['connections']} authenticated sessions; live heap after full GC "
           f"+{idle['heapPerConnection']} B/connection; process RSS (heap pre-touched) +{idle['rssPerConnection']} B/connection; "
           f"Netty direct memory +{idle['nettyDirectPerConnection']} B/connection."]
open(sys.argv[2], 'w').write('\n'.join(md) + '\n')
print('\n'.join(md))
EOF
echo "results: $out_json" >&2
