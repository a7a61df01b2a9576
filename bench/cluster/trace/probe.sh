#!/usr/bin/env bash
# Latency trace of one cluster shape (docs/cluster.md, "Where a forwarded message's time goes"). Not
# part of the normal build: it needs a jar built from a checkout with trace.patch applied and
# Trace.java copied to chat-node/src/main/java/io/stickyring/chat/probe/, and the bench load
# client (bench/chat/LoadClient.java + bench/cluster/ClusterBench.java) compiled into CLASSES with a
# Trace.at("C.send"/"C.ack"/"C.msg", id) line where it writes a send and reads an ack or msg.
# Run under the bench lock; read the result with analyze.py OUTDIR [fraction of messages to skip].
#
#   JAR=/tmp/trace.jar ROOT=$PWD CLASSES=/tmp/classes SHAPE=2e1w RATE=500 WARM=3 DUR=8 \
#     flock /work/bench.lock bench/cluster/trace/probe.sh /tmp/trace-2e1w
#   python3 bench/cluster/trace/analyze.py /tmp/trace-2e1w 0.62
# Options: SHAPE=1all|3all|2e1w|2e2w, RATE (sends/s), WARM/DUR (s), USERS, CLOSED=S (a closed loop
# of S s first, as bench/cluster/run.sh does), NICE="nice -n -15".
set -euo pipefail
JAR="${JAR:?a jar built with trace.patch}"; out="$1"; mkdir -p "$out"; rm -f "$out"/*.trace
export STICKYRING_SECRET="bench-secret-0123456789abcdef-0123456789"
PG=postgresql://postgres@127.0.0.1:5432/test
schema="probe_$$"; prefix="probe.$$"
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done; sleep 0.5; for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null || true; done; psql -q $PG -c "DROP SCHEMA IF EXISTS $schema CASCADE" >/dev/null 2>&1 || true; }
trap cleanup EXIT
java -Xmx128m -jar "$JAR" zk --port 0 --data "$out/zk" >"$out/zk.log" 2>&1 & pids+=($!)
for _ in $(seq 300); do ZK="$(grep -o '^connect=.*' "$out/zk.log" | sed 's/^connect=//')" || true; [ -n "$ZK" ] && break; sleep 0.1; done
ports=""; admins=""
start() { local name="$1"; shift
  ${NICE:-} java ${NODE_OPTS:-} -Dstickyring.trace="$out/$name.trace" -Xms256m -Xmx384m -XX:+UseParallelGC -Dlogback.configurationFile=${ROOT:?checkout}/bench/cluster/logback.xml -jar "$JAR" node \
    --listen 127.0.0.1:0 --id "$name" --rate 1000000 --rate-burst 1000000 --drain-period 0s --dev-login \
    --store "$PG?schema=$schema&pool=6" --bus "nats://127.0.0.1:4222?prefix=$prefix" --zk "$ZK" --cluster "probe-$$" --zk-session-timeout 4s "$@" >"$out/$name.log" 2>&1 & pids+=($!)
  for _ in $(seq 600); do P="$(grep -o 'listening on 127.0.0.1:[0-9]*' "$out/$name.log" | head -1 | sed 's/.*://')" || true; A="$(grep -o 'admin on 127.0.0.1:[0-9]*' "$out/$name.log" | head -1 | sed 's/.*://')" || true; [ -n "$P" ] && [ -n "$A" ] && break; sleep 0.1; done
}
edge() { start "$@"; ports="${ports:+$ports,}$P"; admins="${admins:+$admins,}$A"; }
case "${SHAPE:-2e1w}" in
  1all) edge a1 ;;
  3all) edge a1; edge a2; edge a3 ;;
  2e1w) start w1 --role writer; edge e1 --role edge; edge e2 --role edge ;;
  2e2w) start w1 --role writer; start w2 --role writer; edge e1 --role edge; edge e2 --role edge ;;
esac
if [ -n "${CLOSED:-}" ]; then
  ${NICE:-} java -Xmx512m -Dlogback.configurationFile=${ROOT:?checkout}/bench/cluster/logback.xml -cp "$JAR:${CLASSES:?javac LoadClient.java + ClusterBench.java with the trace client edits}" ClusterBench send \
    --ports "$ports" --secret "$STICKYRING_SECRET" --users "${USERS:-120}" --window 4 --body 100 --warmup 2 --duration "$CLOSED" 2>/dev/null >"$out/closed.json"
fi
snap() { for p in "${pids[@]}"; do for t in /proc/$p/task/*; do echo "$p $(cat $t/comm | tr " " _) $(awk '{print $14+$15}' $t/stat)"; done; done; }
( sleep $(( ${WARM:-3} + 1 )); snap >"$out/cpu0.txt" ) &
${NICE:-} java -Xmx512m -Dstickyring.trace="$out/client.trace" -Dlogback.configurationFile=${ROOT:?checkout}/bench/cluster/logback.xml -cp "$JAR:${CLASSES:?javac LoadClient.java + ClusterBench.java with the trace client edits}" ClusterBench rate \
  --ports "$ports" --admin-ports "$admins" --secret "$STICKYRING_SECRET" --users "${USERS:-120}" --rate "${RATE:-500}" --body 100 --warmup "${WARM:-3}" --duration "${DUR:-8}" 2>"$out/client.err"
snap >"$out/cpu1.txt"
for n in $(ls $out/*.log); do :; done
echo "${pids[*]}" >"$out/pids.txt"; ps -o pid=,args= -p "$(echo ${pids[*]} | tr " " ,)" | awk '{for(i=1;i<=NF;i++) if($i=="--id") print $1, $(i+1)}' >"$out/names.txt"
sleep 0.5
