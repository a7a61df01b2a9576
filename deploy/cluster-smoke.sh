#!/usr/bin/env bash
# Messages through both LBs of a cluster started by deploy/local-cluster.sh up, with curl from distinct
# loopback client addresses: alice (127.0.0.21) uses lb1, bob (first of 127.0.0.22.. that the LBs put on
# another node) uses lb2; alice sends, bob polls, bob answers, alice polls. Prints every call. The nodes
# have no dev login: tokens are minted here with the cluster's secret, as a backend would.
set -euo pipefail
run="${STICKYRING_RUN_DIR:-/tmp/stickyring-cluster}"
. "$run/cluster.env"
lb1="http://127.0.0.1:$LB1_PROXY" lb2="http://127.0.0.1:$LB2_PROXY"
show() { echo "\$ $*" | sed -E 's/Bearer [^ ]+/Bearer $TOKEN/'; "$@"; echo; }
owner() { curl -fsS "http://127.0.0.1:$1/lookup?ip=$2" | python3 -c 'import json,sys; print(json.load(sys.stdin)["member"])'; }
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
here="$(cd "$(dirname "$0")/.." && pwd)"
token() { java -cp "$here/dist/target/stickyring.jar" io.stickyring.dist.Main token --secret-file "$run/secret" --user "$1" --ttl 1h; }

alice_ip=127.0.0.21
alice_node="$(owner "$LB1_ADMIN" $alice_ip)"
for i in $(seq 22 60); do
  bob_ip=127.0.0.$i
  [ "$(owner "$LB2_ADMIN" "$bob_ip")" != "$alice_node" ] && break
done
echo "# /lookup: alice $alice_ip -> lb1 says $alice_node, lb2 says $(owner "$LB2_ADMIN" $alice_ip); bob $bob_ip -> lb1 says $(owner "$LB1_ADMIN" "$bob_ip"), lb2 says $(owner "$LB2_ADMIN" "$bob_ip")"
echo "# no anonymous login (404):"
show curl -sS --interface $alice_ip -X POST -d '{"user":"alice"}' "$lb1/api/login"
alice="$(token alice)"
bob="$(token bob)"
show curl -sS --interface $alice_ip -H "Authorization: Bearer $alice" "$lb1/api/poll?cursor=0&wait=0"
show curl -sS --interface "$bob_ip" -H "Authorization: Bearer $bob" "$lb2/api/poll?cursor=0&wait=0"
for n in 1 2 3; do
  show curl -sS --interface $alice_ip -H "Authorization: Bearer $alice" -X POST \
    -d "{\"id\":\"smoke-a-$n-$$\",\"conv\":\"dm:alice:bob\",\"body\":\"hello bob $n\"}" "$lb1/api/send"
done
show curl -sS --interface "$bob_ip" -H "Authorization: Bearer $bob" "$lb2/api/poll?cursor=0&wait=5"
show curl -sS --interface "$bob_ip" -H "Authorization: Bearer $bob" -X POST \
  -d "{\"id\":\"smoke-b-1-$$\",\"conv\":\"dm:alice:bob\",\"body\":\"hi alice\"}" "$lb2/api/send"
show curl -sS --interface $alice_ip -H "Authorization: Bearer $alice" "$lb1/api/poll?cursor=3&wait=5"
echo "# the same alice, through lb2 this time (same node: both LBs map her address alike)"
show curl -sS --interface $alice_ip -H "Authorization: Bearer $alice" "$lb2/api/poll?cursor=0&wait=0"
