#!/usr/bin/env bash
# Load generator through the real stack: NODES chat-node processes (one SQLite file each, PROXY v2
# accepted), one LB in front (static members, PROXY v2), then `stickyring loadgen` with USERS
# WebSockets from USERS distinct 127.x.y.z source IPs. Results: bench/results/loadgen-<UTC stamp>.json
# (+ .md with the table and the exact commands).
#
#   bench/clients/loadgen.sh                         # 1000 users, 1000 sends/s, 60 s, 3 nodes
#   USERS=200 RATE=200 DURATION=10s bench/clients/loadgen.sh
#
# SHARED=1 (default): the nodes share one SQLite file with `--bus sqlite` (the embedded multi-node
# setup: cross-node delivery through the shared file), and conversation members land wherever the
# LB hashes their IPs. SHARED=0: one SQLite file per node with the in-process bus, where a message
# reaches only recipients on the node it was sent on; then COLOCATE=1 asks the LB's /lookup for
# source IPs that put each conversation's members on one node.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
NODES="${NODES:-3}"
USERS="${USERS:-1000}"
RATE="${RATE:-1000}"
SIZE="${SIZE:-128}"
SHAPE="${SHAPE:-direct}"
GROUP="${GROUP:-5}"
DURATION="${DURATION:-60s}"
KILL_AT="${KILL_AT:-}"          # seconds into the send phase to SIGKILL node n1 (empty = no kill)
WARMUP="${WARMUP:-10s}"        # latency not recorded for sends in the first WARMUP (all sends count for correctness)
SHARED="${SHARED:-1}"
if [ "$SHARED" = 1 ]; then COLOCATE="${COLOCATE:-0}"; else COLOCATE="${COLOCATE:-1}"; fi
SECRET="loadgen-secret-0123456789abcdef-0123456789"
export STICKYRING_SECRET="$SECRET"  # the nodes read it from the environment; the loadgen mints its users' tokens from $tmp/secret
JAR="$root/dist/target/stickyring.jar"
LOG="-Dlogback.configurationFile=$root/bench/chat/logback.xml"
tmp="$root/bench/results/tmp/loadgen-$$"
stamp="$(date -u +%Y%m%d-%H%M)"
out_json="$root/bench/results/loadgen-$stamp.json"
out_md="$root/bench/results/loadgen-$stamp.md"
mkdir -p "$tmp"
(umask 077 && printf '%s\n' "$SECRET" >"$tmp/secret")
pids=()
# shellcheck source=bench/chat/common.sh
. "$root/bench/chat/common.sh"   # stop_all (TERM, wait, KILL, rm $tmp), ensure_jar, wait_for
trap stop_all EXIT

ensure_jar


backends=()
for i in $(seq 1 "$NODES"); do
  if [ "$SHARED" = 1 ]; then store=(--store "sqlite:$tmp/shared.db" --bus sqlite); else store=(--store "sqlite:$tmp/n$i.db"); fi
  java -Xmx512m -XX:+UseParallelGC "$LOG" -jar "$JAR" node --listen 127.0.0.1:0 --id "n$i" "${store[@]}" \
    --accept-proxy-protocol --drain-period 0s --io-threads 1 >"$tmp/n$i.log" 2>&1 &
  pids+=("$!")
done
for i in $(seq 1 "$NODES"); do
  port="$(wait_for "$tmp/n$i.log" 'listening on 127\.0\.0\.1:[0-9]+' | sed 's/.*://')"
  backends+=(--backend "n$i=127.0.0.1:$port")
done
lb_cmd=(java -Xmx512m "$LOG" -jar "$JAR" lb --listen 127.0.0.1:0 --admin 127.0.0.1:0 --proxy-protocol v2 --io-threads 1 "${backends[@]}")
"${lb_cmd[@]}" >"$tmp/lb.log" 2>&1 &
pids+=("$!")
lb_port="$(wait_for "$tmp/lb.log" 'proxy on [^ ]*:[0-9]+' | sed 's/.*://')"
admin="$(wait_for "$tmp/lb.log" 'admin on http://[^ ]+' | sed 's/admin on //')"
echo "LB on 127.0.0.1:$lb_port (admin $admin) over ${backends[*]}" >&2

lg_cmd=(java -Xmx1g "$LOG" -jar "$JAR" loadgen --url "http://127.0.0.1:$lb_port" --users "$USERS" --rate "$RATE" --size "$SIZE"
  --shape "$SHAPE" --group-size "$GROUP" --duration "$DURATION" --warmup "$WARMUP" --progress 5s --json "$out_json"
  --secret-file "$tmp/secret")
[ "$COLOCATE" = 1 ] && lg_cmd+=(--colocate-admin "$admin")
if [ -n "$KILL_AT" ]; then
  # SIGKILL n1 KILL_AT seconds after the send phase starts: its users reconnect through the LB.
  ( while ! grep -q '^connected .* sending' "$tmp/progress.log" 2>/dev/null; do sleep 0.2; done
    sleep "$KILL_AT"; kill -9 "${pids[0]}" && echo "== killed n1 (pid ${pids[0]}) with SIGKILL at ${KILL_AT}s" >&2 ) &
fi
set +e
"${lg_cmd[@]}" 2> >(tee "$tmp/progress.log" >&2) | tee "$tmp/table.txt"
code=${PIPESTATUS[0]}
set -e
{
  echo "# stickyring loadgen, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, $(free -g | awk '/Mem:/{print $2}') GiB; loopback; all processes on one host."
  echo
  echo "Script: \`NODES=$NODES USERS=$USERS RATE=$RATE SIZE=$SIZE SHAPE=$SHAPE DURATION=$DURATION WARMUP=$WARMUP SHARED=$SHARED COLOCATE=$COLOCATE KILL_AT=$KILL_AT bench/clients/loadgen.sh\`"
  echo
  if [ "$SHARED" = 1 ]; then st="--store sqlite:shared.db --bus sqlite"; else st="--store sqlite:nI.db"; fi
  echo "Nodes: \`java -jar stickyring.jar node --listen 127.0.0.1:0 --id nI $st --accept-proxy-protocol --io-threads 1 ...\` x $NODES"
  echo
  echo "LB: \`${lb_cmd[*]}\`"
  echo
  echo "Loadgen: \`${lg_cmd[*]}\`"
  echo
  [ -n "$KILL_AT" ] && echo "Node n1 was killed with SIGKILL ${KILL_AT}s into the send phase." && echo
  echo '```'
  cat "$tmp/table.txt"
  echo '```'
  echo
  echo "Per-node LB view at the end:"
  echo '```'
  curl -s "$admin/members" || true
  echo
  echo '```'
} >"$out_md"
echo "results: $out_json $out_md (exit $code)" >&2
exit "$code"
