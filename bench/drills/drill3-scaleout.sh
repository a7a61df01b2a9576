#!/usr/bin/env bash
# Drill 3, scale out: `stickyring demo --nodes 4`, USERS WebSocket clients through the LB sending
# RATE msg/s; ADD_AFTER seconds into the send phase ask the LB `GET /whatif?add=n5=...`, then start a
# 5th chat node (same ZooKeeper, cluster, shared SQLite file and token secret as the demo's nodes).
# Once the LB lists n5, PROBES short TCP connections from PROBES new source IPs go through the LB;
# each one's member is read from /connections and compared with GET /lookup, and the per-member
# fractions with the ring's shares (/members) and n5's with /whatif's prediction.
# Expect: no live connection cut (no loadgen user disconnects, every user's WebSocket still on its
# member), every probe where /lookup says, n5's probe fraction within 0.03 of /whatif's
# keySpaceMoved, 0 lost/duplicated/out of order/unacked.
# Result: bench/results/drill3-<UTC stamp>.md; exit 1 if an expectation fails.
#   bench/drills/drill3-scaleout.sh        # USERS=1000 RATE=500 DURATION=40s ADD_AFTER=10 PROBES=2000
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
USERS="${USERS:-1000}"; RATE="${RATE:-500}"; DURATION="${DURATION:-40s}"; ADD_AFTER="${ADD_AFTER:-10}"; PROBES="${PROBES:-2000}"
stamp="$(date -u +%Y%m%d-%H%M)"; out="$root/bench/results/drill3-$stamp.md"
start_demo 4
start_loadgen "$USERS" "$RATE" "$DURATION" 1
sleep "$ADD_AFTER"
whatif="$(curl -sf "$admin/whatif?add=n5=127.0.0.1:1")"
predicted="$(jq .keySpaceMoved <<<"$whatif")"
ws_before="$(ws_conns 1)"
echo "whatif add n5: $whatif" >&2
STICKYRING_SECRET="$(cat "$tmp/data/secret")" java -Xms32m -Xmx256m -XX:+UseSerialGC "$LOG" -jar "$JAR" node --id n5 --listen 127.0.0.1:0 \
  --zk "$zk" --cluster demo --accept-proxy-protocol --drain-period 2s --store "sqlite:$tmp/data/chat.db" --bus sqlite --dev-login >"$tmp/n5.log" 2>&1 &
pids+=("$!")
for _ in $(seq 1 300); do [ "$(members_json | jq -r '[.members[] | select(.id=="n5" and .state=="ACTIVE")] | length')" = 1 ] && break; sleep 0.1; done
members_after="$(members_json)"
echo "n5 joined: $(jq -c '[.members[] | {(.id): .share}] | add' <<<"$members_after")" >&2
probe="$(python3 "$root/bench/drills/probe.py" "$lb_port" "$admin" "$PROBES" 60)"
echo "probes: $probe" >&2
ws_after="$(ws_conns 1)"
wait_loadgen
measured_n5="$(jq --argjson n "$PROBES" '(.per_member.n5 // 0) / $n' <<<"$probe")"
agree="$(jq .agree_with_lookup <<<"$probe")"
expect "n5 joined the LB's view" '[ "$(jq -r "[.members[] | select(.id==\"n5\")] | length" <<<"$members_after")" = 1 ]'
expect "no live connection cut: 0 loadgen users disconnected ($(lg .config.users_disconnected)), 0 reconnects ($(lg .reconnects))" '[ "$(lg .config.users_disconnected)" -eq 0 ] && [ "$(lg .reconnects)" -eq 0 ]'
expect "every user's WebSocket on the same member after the join (before $ws_before, after $ws_after)" '[ "$ws_before" = "$ws_after" ] && [ "$(jq "[.[]] | add" <<<"$ws_after")" -eq "$USERS" ]'
expect "all $PROBES probes on the member /lookup names ($agree)" '[ "$agree" -eq "$PROBES" ]'
expect "n5's share of new connections ($measured_n5) within 0.03 of /whatif's prediction ($predicted)" '[ "$(jq -n "($measured_n5 - $predicted) | fabs < 0.03")" = true ]'
maxdev="$(jq -n --argjson p "$probe" --argjson m "$members_after" --argjson n "$PROBES" '[$m.members[] | ((($p.per_member[.id] // 0) / $n) - .share) | fabs] | max * 10000 | round / 10000')"
expect "every member's share of new connections within 0.03 of its ring share after the join (largest gap $maxdev)" '[ "$(jq -n "$maxdev < 0.03")" = true ]'
expect "0 lost ($(lg .lost)), 0 duplicated ($(lg .duplicated)), 0 out of order ($(lg .out_of_order)), 0 unacked ($(lg .unacked))" '[ "$(lg .correct)" = true ]'
{
  echo "# Drill 3: add a 5th node under load, $(date -u '+%Y-%m-%d %H:%M UTC')"
  echo
  echo "Machine: $(nproc) cores, loopback, all processes on one host. Command: \`USERS=$USERS RATE=$RATE DURATION=$DURATION ADD_AFTER=$ADD_AFTER PROBES=$PROBES bench/drills/drill3-scaleout.sh\`"
  echo
  echo "Demo: \`java -jar stickyring.jar demo --nodes 4 --port 0 --admin-port 0 --control-port 0 --no-console\`; n5: \`stickyring node --id n5 --listen 127.0.0.1:0 --zk <demo zk> --cluster demo --accept-proxy-protocol --store sqlite:<demo data>/chat.db --bus sqlite --dev-login\` with the demo's secret, started ${ADD_AFTER}s into the send phase. Loadgen: \`${lg_cmd[*]}\`. Probes: \`bench/drills/probe.py\` ($PROBES TCP connections from 127.60.x.y)."
  echo
  echo "\`GET /whatif?add=n5=127.0.0.1:1\` before the join: \`$(jq -c . <<<"$whatif")\`"
  echo
  echo "| member | ring share after the join (\`/members\`) | probes (new connections) | probe fraction |"
  echo "|---|---|---|---|"
  for m in $(jq -r '.members[].id' <<<"$members_after"); do
    c="$(jq --arg m "$m" '.per_member[$m] // 0' <<<"$probe")"
    echo "| $m | $(jq -r --arg m "$m" '.members[] | select(.id==$m) | .share * 10000 | round / 10000' <<<"$members_after") | $c | $(jq -n "$c / $PROBES * 10000 | round / 10000") |"
  done
  echo
  echo "| | value |"
  echo "|---|---|"
  echo "| n5 share predicted by \`/whatif\` (keySpaceMoved) / measured on new connections | $predicted / $measured_n5 |"
  echo "| probes on the member \`/lookup\` names | $agree of $PROBES |"
  echo "| live WebSockets per member before / after the join | $ws_before / $ws_after |"
  echo "| live connections \`/whatif\` said would land elsewhere on reconnect (not cut) | $(jq .liveConnectionsRemapped <<<"$whatif") |"
  echo "| loadgen users disconnected / reconnects | $(lg .config.users_disconnected) / $(lg .reconnects) |"
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
