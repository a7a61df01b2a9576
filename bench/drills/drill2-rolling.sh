#!/usr/bin/env bash
# Drill 2, rolling restart: `stickyring demo --nodes 4`, USERS WebSocket clients through the LB
# sending RATE msg/s; from START_AFTER seconds into the send phase, for n1..n4 in turn: read each
# member's live WebSockets from the LB, drain and stop the node (`POST /nodes/ID/kill`, SIGTERM:
# DRAINING in ZooKeeper for the demo's 2 s drain period, then 1012 + retry hint to its clients,
# deregister, exit), start it again (`POST /nodes/ID/start`), wait until the LB lists it ACTIVE and
# all USERS WebSockets are live again.
# Expect: each step moves exactly the draining node's clients (reconnects out of node K = its
# WebSockets before its step; total reconnects = the sum), nobody else disconnects, 0 lost,
# 0 duplicated, 0 out of order, 0 unacked.
# Result: bench/results/drill2-<UTC stamp>.md; exit 1 if an expectation fails.
#   bench/drills/drill2-rolling.sh         # USERS=1000 RATE=500 DURATION=75s START_AFTER=8
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
USERS="${USERS:-1000}"; RATE="${RATE:-500}"; DURATION="${DURATION:-75s}"; START_AFTER="${START_AFTER:-8}"
stamp="$(date -u +%Y%m%d-%H%M)"; out="$root/bench/results/drill2-$stamp.md"
start_demo 4
start_loadgen "$USERS" "$RATE" "$DURATION" 1
sleep "$START_AFTER"
declare -A on_before
rows=()
t0=$(date +%s.%N)
for id in n1 n2 n3 n4; do
  snap="$(ws_conns 1)"
  on_before[$id]="$(jq --arg m "$id" '.[$m] // 0' <<<"$snap")"
  s=$(date +%s.%N)
  curl -sf -X POST "$control/nodes/$id/kill" >/dev/null
  for _ in $(seq 1 300); do [ "$(curl -sf "$control/status" | jq -r --arg m "$id" '.nodes[] | select(.id==$m) | .running')" = false ] && break; sleep 0.1; done
  stopped=$(date +%s.%N)
  curl -sf -X POST "$control/nodes/$id/start" >/dev/null
  for _ in $(seq 1 600); do [ "$(members_json | jq -r --arg m "$id" '[.members[] | select(.id==$m and .state=="ACTIVE")] | length')" = 1 ] && break; sleep 0.1; done
  back=$(date +%s.%N)
  # the next step starts only when every user is connected again, so each snapshot is complete
  for _ in $(seq 1 300); do [ "$(ws_conns 1 | jq '[.[]] | add // 0')" -ge "$USERS" ] && break; sleep 0.1; done
  settled=$(date +%s.%N)
  rows+=("| $id | ${on_before[$id]} | $snap | $(printf %.1f "$(echo "$stopped - $s" | bc)") | $(printf %.1f "$(echo "$back - $stopped" | bc)") | $(printf %.1f "$(echo "$settled - $stopped" | bc)") |")
  echo "restarted $id: had ${on_before[$id]} WebSockets ($snap)" >&2
done
ws_end_restarts="$(ws_conns 1)"
wait_loadgen
sum=0; for id in n1 n2 n3 n4; do sum=$((sum + on_before[$id])); done
expect "total reconnects ($(lg .reconnects)) = sum of each node's WebSockets before its own restart ($sum)" '[ "$(lg .reconnects)" -eq "$sum" ]'
for id in n1 n2 n3 n4; do
  mv="$(jq --arg m "$id" '[.config.moves | to_entries[] | select(.key|startswith($m+"->")) | .value] | add // 0' "$lg_json")"
  to_self="$(jq --arg m "$id" '.config.moves[$m+"->"+$m] // 0' "$lg_json")"
  expect "clients moved out of $id ($mv, of which $to_self reconnected to the restarted $id itself) = its WebSockets before its restart (${on_before[$id]})" '[ "$mv" -eq "${on_before[$id]}" ]'
done
expect "0 lost ($(lg .lost)), 0 duplicated ($(lg .duplicated)), 0 out of order ($(lg .out_of_order)), 0 unacked ($(lg .unacked))" '[ "$(lg .correct)" = true ]'
{
  echo "# Drill 2: rolling restart of 4 nodes under load, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, loopback, all processes on one host. Command: \`USERS=$USERS RATE=$RATE DURATION=$DURATION START_AFTER=$START_AFTER bench/drills/drill2-rolling.sh\`"
  echo
  echo "Demo: \`java -jar stickyring.jar demo --nodes 4 --port 0 --admin-port 0 --control-port 0 --no-console\` (drain period 2 s). Each step: \`POST /nodes/ID/kill\` (SIGTERM, drain) then \`POST /nodes/ID/start\` on the demo control endpoint. Loadgen: \`${lg_cmd[*]}\`."
  echo
  echo "| node | its WebSockets before its restart | all members' WebSockets then (LB \`/connections\`) | drain + stop (s) | start until ACTIVE in \`/members\` (s) | stop until all $USERS WebSockets are back (s) |"
  echo "|---|---|---|---|---|---|"
  printf '%s\n' "${rows[@]}"
  echo
  echo "Moves seen by the clients (old node -> new node, from their \`welcome\` frames): \`$(jq -c .config.moves "$lg_json")\`; WebSockets per member after the last restart: \`$ws_end_restarts\`."
  echo
  loadgen_table
  echo
  echo "| result | expectation |"
  echo "|---|---|"
  printf '%s\n' "${checks[@]}"
  echo
  echo "Loadgen output:"
  echo '```'
  cat "$tmp/loadgen.out"
  echo '```'
} >"$out"
echo "results: $out" >&2
[ "${#failures[@]}" -eq 0 ] || { echo "FAILED: ${failures[*]}" >&2; exit 1; }
