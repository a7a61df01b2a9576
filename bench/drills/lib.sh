#!/usr/bin/env bash
# Shared by the drill scripts: build the jar if needed, start `stickyring demo` (embedded ZooKeeper,
# N chat nodes on one SQLite file with --bus sqlite, the LB with PROXY v2) on free loopback ports,
# start the load generator, and stop every process on exit.
set -euo pipefail
root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$root"
JAR="$root/dist/target/stickyring.jar"
LOG="-Dlogback.configurationFile=$root/bench/chat/logback.xml"
tmp="$root/bench/results/tmp/drill-$$"
mkdir -p "$tmp" "$root/bench/results"
pids=()
failures=()
# shellcheck source=bench/chat/common.sh
. "$root/bench/chat/common.sh"   # stop_all (TERM, wait, KILL, rm $tmp), ensure_jar, wait_for
STOP_WAIT=200                    # a demo with several nodes drains for up to 20 s
trap stop_all EXIT

ensure_jar

start_demo() { # NODES
  java -Xmx512m "$LOG" -jar "$JAR" demo --nodes "$1" --port 0 --admin-port 0 --control-port 0 \
    --data "$tmp/data" --no-console </dev/null >"$tmp/demo.log" 2>&1 &
  pids+=("$!")
  wait_for "$tmp/demo.log" 'demo: ready' 1200 >/dev/null
  lb_port="$(wait_for "$tmp/demo.log" 'proxy on [^ ,]*:[0-9]+' | sed 's/.*://')"
  admin="$(wait_for "$tmp/demo.log" 'admin on http://[^ /]+' | sed 's/admin on //')"
  control="$(wait_for "$tmp/demo.log" 'control endpoint on http://[^ /]+' | sed 's/control endpoint on //')"
  zk="$(wait_for "$tmp/demo.log" 'serving at [^ ]+' | sed 's/serving at //')"
  echo "demo: LB 127.0.0.1:$lb_port admin $admin control $control zk $zk" >&2
}

start_loadgen() { # USERS RATE DURATION IP_BASE -> background; sets lg_pid, lg_json
  lg_json="$tmp/loadgen.json"
  lg_cmd=(java -Xmx1g "$LOG" -jar "$JAR" loadgen --url "http://127.0.0.1:$lb_port" --users "$1" --rate "$2"
    --size 128 --shape direct --duration "$3" --warmup 0s --progress 5s --ip-base "$4" --json "$lg_json")
  "${lg_cmd[@]}" >"$tmp/loadgen.out" 2>"$tmp/progress.log" &
  lg_pid=$!
  pids+=("$lg_pid")
  wait_for "$tmp/progress.log" '^connected .* sending' 1200 >/dev/null
  echo "loadgen: all $1 users connected, sending" >&2
}

wait_loadgen() { # -> lg_code
  set +e; wait "$lg_pid"; lg_code=$?; set -e
  cat "$tmp/loadgen.out" >&2
}

members_json() { curl -sf "$admin/members"; }
# Live LB connections per member from the load generator's WebSocket source IPs (127.<base>.x.y),
# leaving out the loadgen's own HTTP login connections, which come from 127.0.0.1.
ws_conns() { # IP_BASE -> {"n1":N,...}
  curl -sf "$admin/connections?format=json" | jq -c --arg p "127.$1." '[.connections[] | select(.client|startswith($p)) | .member] | group_by(.) | map({(.[0]): length}) | add // {}'
}
lg() { jq -r "$1" "$lg_json"; }

expect() { # DESCRIPTION CONDITION(as bash arithmetic/test string)
  if eval "$2"; then echo "PASS: $1" >&2; checks+=("| PASS | $1 |"); else echo "FAIL: $1" >&2; checks+=("| **FAIL** | $1 |"); failures+=("$1"); fi
}
checks=()

loadgen_table() {
  echo "| sent | acked | unacked | expected deliveries | delivered | lost | duplicated | out of order | reconnects | users disconnected | reconnect p50 / p99 / max ms |"
  echo "|---|---|---|---|---|---|---|---|---|---|---|"
  echo "| $(lg .sent) | $(lg .acked) | $(lg .unacked) | $(lg .expected_deliveries) | $(lg .delivered) | $(lg .lost) | $(lg .duplicated) | $(lg .out_of_order) | $(lg .reconnects) | $(lg .config.users_disconnected) | $(lg '.config.reconnect_ms.p50') / $(lg '.config.reconnect_ms.p99') / $(lg '.config.reconnect_ms.max') |"
}
