#!/usr/bin/env bash
# The design's argument, measured: the same users, pairs and rate over
#   ws        one WebSocket per user (sends and pushes on one kept connection)
#   longpoll  POST /api/send + GET /api/poll?wait=20 (answered when a message exists)
#   poll      POST /api/send + GET /api/poll?wait=0 every POLL interval (the naive design)
# the HTTP modes with and without keep-alive (off = a new TCP connection per request), through the
# LB and directly to the node, at a quiet and a busy rate. One chat node (SQLite) and one LB
# (PROXY v2), real processes on loopback; every user from its own 127.x.y.z address.
#
#   bench/transports/run.sh                       # full matrix (about 10 minutes)
#   QUICK=1 bench/transports/run.sh               # fewer cells, short runs (smoke)
#   USERS=200 DURATION=20s RATES="5 200" POLLS="1s 5s" bench/transports/run.sh
#
# Per cell: TCP handshakes, HTTP requests and bytes on the wire per message sent (the load
# generator's own counters), share of empty polls, send latency (send -> ack) and receive latency
# (send -> recipient) p50/p99, node CPU per message (process_cpu_seconds_total of the node, before
# and after), node TCP accepts per message (the node's own counter) and the connections the LB holds
# mid-run (stickyring_lb_connections_active). Results: bench/results/transports-<stamp>.{json,md}
# and docs/img/transports.png (chart).
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
QUICK="${QUICK:-0}"
USERS="${USERS:-100}"
SIZE="${SIZE:-128}"
if [ "$QUICK" = 1 ]; then
  DURATION="${DURATION:-5s}"; RATES="${RATES:-20}"; POLLS="${POLLS:-1s}"; PATHS="${PATHS:-lb}"; WARMUP="${WARMUP:-1s}"
else
  DURATION="${DURATION:-15s}"; RATES="${RATES:-5 200}"; POLLS="${POLLS:-1s 5s}"; PATHS="${PATHS:-lb direct}"; WARMUP="${WARMUP:-3s}"
fi
SECRET_FILE=""
JAR="$root/dist/target/stickyring.jar"
LOG="-Dlogback.configurationFile=$root/bench/chat/logback.xml"
tmp="$root/bench/results/tmp/transports-$$"
stamp="$(date -u +%Y%m%d-%H%M)"
out_json="$root/bench/results/transports-$stamp.json"
out_md="$root/bench/results/transports-$stamp.md"
mkdir -p "$tmp"
pids=()
# shellcheck source=bench/chat/common.sh
. "$root/bench/chat/common.sh"   # stop_all (TERM, then KILL, then rm $tmp), ensure_jar, wait_for
trap stop_all EXIT
ensure_jar


# shellcheck source=bench/transports/node-args.sh
. "$root/bench/transports/node-args.sh"
java -Xmx1g -XX:+UseParallelGC "$LOG" -jar "$JAR" node --listen 127.0.0.1:0 --id n1 --store "sqlite:$tmp/n1.db" \
  "${NODE_ARGS[@]}" --accept-proxy-protocol --drain-period 0s --io-threads 1 --rate 100000 --rate-burst 100000 \
  >"$tmp/n1.log" 2>&1 &
pids+=("$!")
node_port="$(wait_for "$tmp/n1.log" 'listening on 127\.0\.0\.1:[0-9]+' | sed 's/.*://')"
node_metrics="$(node_metrics_url "$tmp/n1.log" "$node_port")"
java -Xmx512m "$LOG" -jar "$JAR" lb --listen 127.0.0.1:0 --admin 127.0.0.1:0 --proxy-protocol v2 --io-threads 1 \
  --backend "n1=127.0.0.1:$node_port" >"$tmp/lb.log" 2>&1 &
pids+=("$!")
lb_port="$(wait_for "$tmp/lb.log" 'proxy on [^ ]*:[0-9]+' | sed 's/.*://')"
admin="$(wait_for "$tmp/lb.log" 'admin on http://[^ ]+' | sed 's/admin on //; s:/$::')"
# A direct path: the node also accepts connections without a PROXY header (it detects one).
echo "node on 127.0.0.1:$node_port (metrics $node_metrics), LB on 127.0.0.1:$lb_port (admin $admin)" >&2

metric() { # URL NAME -> value (sum over label sets), 0 if absent
  curl -s "$1" | awk -v n="$2" '$1==n || index($1, n"{")==1 {s+=$NF} END {printf "%.6f\n", s+0}'
}

cells=()
for rate in $RATES; do
  cells+=("ws on 0 $rate" "longpoll on 0 $rate" "longpoll off 0 $rate")
  for p in $POLLS; do cells+=("poll on $p $rate" "poll off $p $rate"); done
done
echo "[" >"$tmp/all.json"
first=1
ipbase=1
for path in $PATHS; do
  if [ "$path" = lb ]; then url="http://127.0.0.1:$lb_port"; else url="http://127.0.0.1:$node_port"; fi
  for cell in "${cells[@]}"; do
    read -r mode ka pi rate <<<"$cell"
    [ "$pi" = 0 ] && pi=1s
    ipbase=$((ipbase + 1)); [ "$ipbase" -gt 250 ] && ipbase=2
    cpu0="$(metric "$node_metrics" process_cpu_seconds_total)"
    acc0="$(metric "$node_metrics" stickyring_chat_tcp_accepted_total)"
    lg=(java -Xmx1g "$LOG" -jar "$JAR" loadgen --url "$url" --users "$USERS" --rate "$rate" --size "$SIZE"
      --duration "$DURATION" --warmup "$WARMUP" --progress 5s --ip-base "$ipbase" --threads 2
      --transport "$mode" --keepalive "$ka" --poll-interval "$pi" --json "$tmp/cell.json" "${LOADGEN_ARGS[@]}")
    echo "== $path $mode keepalive=$ka poll=$pi rate=$rate: ${lg[*]}" >&2
    # The most connections the LB held while the loadgen ran (sampled every second).
    echo 0 >"$tmp/lbconns"
    ( while :; do
        v="$(metric "$admin/metrics" stickyring_lb_connections_active)"
        awk -v v="$v" '{ if (v + 0 > $1 + 0) print v; else print $1 }' "$tmp/lbconns" >"$tmp/lbconns.n" && mv "$tmp/lbconns.n" "$tmp/lbconns"
        sleep 1
      done ) &
    sampler=$!
    "${lg[@]}" >"$tmp/cell.txt" 2>"$tmp/cell.err" || { echo "loadgen failed:" >&2; tail -30 "$tmp/cell.txt" "$tmp/cell.err" >&2; }
    kill "$sampler" 2>/dev/null; wait "$sampler" 2>/dev/null || true
    cpu1="$(metric "$node_metrics" process_cpu_seconds_total)"
    acc1="$(metric "$node_metrics" stickyring_chat_tcp_accepted_total)"
    lbconns="$(cat "$tmp/lbconns" 2>/dev/null || echo 0)"
    [ "$path" = direct ] && lbconns=null
    [ $first = 1 ] || echo "," >>"$tmp/all.json"
    first=0
    python3 - "$tmp/cell.json" "$path" "$mode" "$ka" "$pi" "$rate" "$cpu0" "$cpu1" "$acc0" "$acc1" "$lbconns" >>"$tmp/all.json" <<'PY'
import json, sys
f, path, mode, ka, pi, rate, cpu0, cpu1, acc0, acc1, lbc = sys.argv[1:]
r = json.load(open(f))
sent = max(1, r["sent"])
w = r["config"]["wire"]
print(json.dumps({
    "path": path, "transport": mode, "keepalive": ka == "on", "poll_interval": pi if mode == "poll" else None,
    "rate": float(rate), "sent": r["sent"], "correct": r["correct"], "lost": r["lost"], "duplicated": r["duplicated"],
    "handshakes_per_msg": w["tcp_connections"] / sent, "requests_per_msg": w["http_requests"] / sent,
    "bytes_per_msg": (w["bytes_out"] + w["bytes_in"]) / sent, "empty_poll_share": w["empty_poll_share"],
    "send_p50_ms": r["ack_latency_ms"]["p50"], "send_p99_ms": r["ack_latency_ms"]["p99"],
    "recv_p50_ms": r["e2e_latency_ms"]["p50"], "recv_p99_ms": r["e2e_latency_ms"]["p99"],
    "node_cpu_ms_per_msg": (float(cpu1) - float(cpu0)) * 1000 / sent,
    "node_accepts_per_msg": (float(acc1) - float(acc0)) / sent,
    "lb_connections": None if lbc == "null" else float(lbc),
}))
PY
    tail -4 "$tmp/cell.txt" >&2
  done
done
echo "]" >>"$tmp/all.json"
cp "$tmp/all.json" "$out_json"

python3 - "$out_json" "$USERS" "$DURATION" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" >"$out_md" <<'PY'
import json, sys
rows = json.load(open(sys.argv[1]))
users, duration, cores, load = sys.argv[2:]
print(f"# The design's argument, measured ({users} users in pairs, {duration} per cell, {cores} cores, load at end {load})\n")
print("| path | rate /s | transport | keep-alive | poll every | handshakes/msg | requests/msg | empty polls | bytes/msg | send p50/p99 ms | receive p50/p99 ms | node CPU ms/msg | node accepts/msg (whole run) | LB conns (max) | correct |")
print("|---|---:|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---|")
for r in rows:
    lbc = "-" if r["lb_connections"] is None else f'{r["lb_connections"]:.0f}'
    ka = "-" if r["transport"] == "ws" else ("on" if r["keepalive"] else "off")
    pe = r["poll_interval"] or "-"
    eps = "-" if r["transport"] == "ws" else f'{100 * r["empty_poll_share"]:.0f}%'
    print(f'| {r["path"]} | {r["rate"]:.0f} | {r["transport"]} | {ka} | {pe} | {r["handshakes_per_msg"]:.3f} | {r["requests_per_msg"]:.2f} | {eps} | {r["bytes_per_msg"]:.0f} | {r["send_p50_ms"]:.1f} / {r["send_p99_ms"]:.1f} | {r["recv_p50_ms"]:.1f} / {r["recv_p99_ms"]:.1f} | {r["node_cpu_ms_per_msg"]:.3f} | {r["node_accepts_per_msg"]:.3f} | {lbc} | {"yes" if r["correct"] else "NO"} |')
PY
python3 "$root/bench/transports/chart.py" "$out_json" "$tmp/chart.svg"
if command -v chromium >/dev/null 2>&1; then
  chromium --headless --no-sandbox --disable-gpu --disable-quic --no-first-run --disable-background-networking \
    --disable-component-update --disable-sync --user-data-dir="$tmp/chrome" --hide-scrollbars \
    --window-size=1180,580 --screenshot="$root/docs/img/transports.png" "file://$tmp/chart.svg" >/dev/null 2>&1 || true
fi
cat "$out_md"
echo "results: $out_json $out_md docs/img/transports.png" >&2
