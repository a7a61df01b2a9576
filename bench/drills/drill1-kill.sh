#!/usr/bin/env bash
# Drill 1, failure isolation: `stickyring demo --nodes 4` (embedded ZooKeeper, 4 chat nodes sharing
# one SQLite file with --bus sqlite, the LB with PROXY v2), USERS WebSocket clients through the LB
# from USERS distinct 127.x.y.z IPs sending RATE msg/s; KILL_AFTER seconds into the send phase,
# read /members, SIGKILL node VICTIM through the demo control endpoint. Expect: exactly the victim's
# clients disconnect (count from /members before the kill), nobody else does, all of them are back
# on survivors, 0 lost, 0 duplicated, 0 out of order, 0 unacked.
# Result: bench/results/drill1-<UTC stamp>.md; exit 1 if an expectation fails.
#   bench/drills/drill1-kill.sh            # USERS=1000 RATE=500 DURATION=40s KILL_AFTER=12 VICTIM=n1
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
USERS="${USERS:-1000}"; RATE="${RATE:-500}"; DURATION="${DURATION:-40s}"; KILL_AFTER="${KILL_AFTER:-12}"; VICTIM="${VICTIM:-n1}"
stamp="$(date -u +%Y%m%d-%H%M)"; out="$root/bench/results/drill1-$stamp.md"
start_demo 4
start_loadgen "$USERS" "$RATE" "$DURATION" 1
sleep "$KILL_AFTER"
before="$(members_json)"
ws_before="$(ws_conns 1)"
expected="$(jq -r --arg m "$VICTIM" '.[$m] // 0' <<<"$ws_before")"
total_before="$(jq '[.[]] | add' <<<"$ws_before")"
curl -sf -X POST "$control/nodes/$VICTIM/kill?signal=KILL" >/dev/null
echo "killed $VICTIM (-9): it had $expected of $total_before connections" >&2
sleep 5
after5="$(members_json)"
wait_loadgen
after="$(members_json)"
dropped="$(lg .config.users_disconnected)"
moved_from_victim="$(jq --arg m "$VICTIM" '[.config.moves | to_entries[] | select(.key|startswith($m+"->")) | .value] | add // 0' "$lg_json")"
moved_other="$(jq --arg m "$VICTIM" '[.config.moves | to_entries[] | select(.key|startswith($m+"->")|not) | .value] | add // 0' "$lg_json")"
on_victim_end="$(jq -r --arg m "$VICTIM" '.config.users_per_node[$m] // 0' "$lg_json")"
expect "all $USERS users' WebSockets live on the LB before the kill ($total_before)" '[ "$total_before" -eq "$USERS" ]'
expect "connections dropped ($dropped) = $VICTIM's connections before the kill ($expected)" '[ "$dropped" -eq "$expected" ]'
expect "every dropped user was on $VICTIM and reconnected to a survivor ($moved_from_victim moves from $VICTIM)" '[ "$moved_from_victim" -eq "$expected" ]'
expect "no user of another node disconnected ($moved_other moves not from $VICTIM)" '[ "$moved_other" -eq 0 ]'
expect "no user on $VICTIM at the end ($on_victim_end)" '[ "$on_victim_end" -eq 0 ]'
expect "0 lost ($(lg .lost)), 0 duplicated ($(lg .duplicated)), 0 out of order ($(lg .out_of_order)), 0 unacked ($(lg .unacked))" '[ "$(lg .correct)" = true ]'
expect "reconnect p99 ($(lg .config.reconnect_ms.p99) ms) under 10 s" '[ "$(lg ".config.reconnect_ms.p99 < 10000")" = true ]'
{
  echo "# Drill 1: kill -9 one of 4 nodes under load, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, loopback, all processes on one host. Command: \`USERS=$USERS RATE=$RATE DURATION=$DURATION KILL_AFTER=$KILL_AFTER VICTIM=$VICTIM bench/drills/drill1-kill.sh\`"
  echo
  echo "Demo: \`java -jar stickyring.jar demo --nodes 4 --port 0 --admin-port 0 --control-port 0 --no-console\` (embedded ZooKeeper, one SQLite file with \`--bus sqlite\`, LB with PROXY v2). Loadgen: \`${lg_cmd[*]}\` (paths shortened: json in a temp dir)."
  echo
  echo "$VICTIM killed with SIGKILL (\`POST /nodes/$VICTIM/kill?signal=KILL\` on the demo control endpoint) ${KILL_AFTER}s into the send phase."
  echo
  echo "| | count |"
  echo "|---|---|"
  echo "| WebSocket connections on $VICTIM before the kill (LB \`/connections\` from 127.1.x.y) = expected drops | $expected of $total_before ($ws_before) |"
  echo "| all connections per member before the kill (LB \`/members\`; includes the loadgen's idle HTTP login connections from 127.0.0.1) | $(jq -c '[.members[] | {(.id): .connections}] | add' <<<"$before") |"
  echo "| users that lost their connection (loadgen) | $dropped |"
  echo "| of them reconnected from $VICTIM to a survivor | $moved_from_victim ($(jq -c .config.moves "$lg_json")) |"
  echo "| users of other nodes that disconnected | $moved_other |"
  echo "| reconnect time p50 / p90 / p99 / max (ms, loss of connection to next welcome) | $(lg .config.reconnect_ms.p50) / $(lg .config.reconnect_ms.p90) / $(lg .config.reconnect_ms.p99) / $(lg .config.reconnect_ms.max) |"
  echo
  loadgen_table
  echo
  echo "| result | expectation |"
  echo "|---|---|"
  printf '%s\n' "${checks[@]}"
  echo
  echo "\`/members\` before the kill, 5 s after, and at the end (id: state, connections):"
  echo '```'
  for j in "$before" "$after5" "$after"; do jq -c '[.members[] | "\(.id): \(.state) \(.connections)"]' <<<"$j"; done
  echo '```'
  echo
  echo "Loadgen output:"
  echo '```'
  cat "$tmp/loadgen.out"
  echo '```'
} >"$out"
echo "results: $out" >&2
[ "${#failures[@]}" -eq 0 ] || { echo "FAILED: ${failures[*]}" >&2; exit 1; }
