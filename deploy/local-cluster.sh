#!/usr/bin/env bash
# A whole stickyring cluster as real processes on loopback, from the built jar:
#   3 ZooKeeper servers (one ensemble: `stickyring zk --server-id N --ensemble ...`),
#   3 chat nodes on PostgreSQL (127.0.0.1:5432, trust auth, database `test`) and NATS (127.0.0.1:4222),
#     role `all` (default), or with SHAPE=split: n1, n2 `--role edge` and n3 `--role writer`,
#   2 load balancers on the same ZooKeeper cluster (PROXY v2 to the nodes).
#
#   deploy/local-cluster.sh up       start everything (free ports), wait until both LBs list 3 nodes
#   deploy/local-cluster.sh status   processes, ZooKeeper roles, what each LB sees
#   deploy/local-cluster.sh down     SIGTERM everything (LBs, nodes, ZooKeeper), drop the run's schema
#
# Environment:
#   STICKYRING_RUN_DIR   run directory: configs, pid files, logs, data (default /tmp/stickyring-cluster)
#   STICKYRING_PG        PostgreSQL for the nodes (default postgresql://postgres@127.0.0.1:5432/test)
#   STICKYRING_NATS      NATS for the nodes (default nats://127.0.0.1:4222)
#   KEEP_SCHEMA=1        `down` keeps the run's PostgreSQL schema (default: dropped)
#   SHAPE                `all` (3 nodes of role all, default) or `split` (2 edges + 1 writer; the LBs list the edges only)
#   JAVA_OPTS            JVM options of every process (default -Xms32m -Xmx256m -XX:+UseSerialGC)
#
# Each `up` uses a fresh PostgreSQL schema (sr_cluster_<time>_<pid>) and NATS subject prefix, so it
# never meets the data of tests or of another run. Nothing here needs root or docker.
set -euo pipefail

here="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
jar="$here/dist/target/stickyring.jar"
run="${STICKYRING_RUN_DIR:-/tmp/stickyring-cluster}"
pg="${STICKYRING_PG:-postgresql://postgres@127.0.0.1:5432/test}"
nats="${STICKYRING_NATS:-nats://127.0.0.1:4222}"
java_opts="${JAVA_OPTS:--Xms32m -Xmx256m -XX:+UseSerialGC}"
shape="${SHAPE:-all}"
case "$shape" in all|split) ;; *) echo "local-cluster: SHAPE ($shape) must be all or split" >&2; exit 2 ;; esac
# Stop order: front to back, so no LB routes to a node that is already gone, and nodes deregister
# while ZooKeeper still runs.
order=(lb1 lb2 n1 n2 n3 zk1 zk2 zk3)

die() { echo "local-cluster: $*" >&2; exit 1; }
say() { echo "local-cluster: $*"; }

alive() { # NAME -> 0 if its pid file names a live stickyring process
  local f="$run/$1.pid" pid
  [ -f "$f" ] || return 1
  pid="$(cat "$f")"
  [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null && tr '\0' ' ' <"/proc/$pid/cmdline" 2>/dev/null | grep -q 'stickyring.jar'
}

free_ports() { # N -> N distinct free TCP ports on 127.0.0.1, held together while chosen
  python3 - "$1" <<'PY'
import socket, sys
socks = []
for _ in range(int(sys.argv[1])):
    s = socket.socket(); s.bind(("127.0.0.1", 0)); socks.append(s)
print(" ".join(str(s.getsockname()[1]) for s in socks))
PY
}

wait_for() { # SECONDS DESCRIPTION COMMAND... -> retries COMMAND every 0.5 s
  local limit="$1" what="$2"; shift 2
  local deadline=$((SECONDS + limit))
  until "$@" >/dev/null 2>&1; do
    [ "$SECONDS" -lt "$deadline" ] || die "timed out after ${limit}s waiting for $what (logs: $run/*.log)"
    sleep 0.5
  done
}

zk_mode() { # CLIENT_PORT -> leader/follower/... from ZooKeeper's `srvr` (allowed by default)
  local out
  out="$(exec 3<>"/dev/tcp/127.0.0.1/$1" && printf srvr >&3 && timeout 3 cat <&3)" 2>/dev/null || { echo down; return; }
  sed -n 's/^Mode: //p' <<<"$out"
}

start() { # NAME ARGS... -> background java process (ARGS after `java -cp JAR`), pid file, log
  local name="$1"; shift
  alive "$name" && die "$name is already running (pid $(cat "$run/$name.pid")); run down first"
  # shellcheck disable=SC2086
  nohup java $java_opts -cp "$jar" "$@" >>"$run/$name.log" 2>&1 </dev/null &
  echo $! >"$run/$name.pid"
}

lb_members() { # ADMIN_PORT -> "ready=.. version=.. stale=.. members=n1:ACTIVE,..."
  curl -fsS "http://127.0.0.1:$1/members" | python3 -c '
import json, sys
m = json.load(sys.stdin)
print("version=%s stale=%s members=%s" % (m["version"], str(m["stale"]).lower(),
      ",".join("%s:%s:%d" % (x["id"], x["state"], x["connections"]) for x in m["members"])))'
}

lb_has_three() { lb_members "$1" | grep -Eq 'members=n[0-9]:ACTIVE:[0-9]+,n[0-9]:ACTIVE:[0-9]+,n[0-9]:ACTIVE:[0-9]+$'; }
# split shape: the LBs list the two edges and never the writer n3
lb_has_edges() { lb_members "$1" | grep -Eq 'members=n1:ACTIVE:[0-9]+,n2:ACTIVE:[0-9]+$'; }

cmd_up() {
  [ -f "$jar" ] || "$here/stickyring" --help >/dev/null || die "cannot build $jar"
  for n in "${order[@]}"; do alive "$n" && die "a cluster is already running in $run ($n); run down first"; done
  command -v psql >/dev/null || die "psql is required (to create and drop the run's schema)"
  psql "$pg" -qtAc 'select 1' >/dev/null || die "PostgreSQL at $pg is not reachable"
  local nats_hostport="${nats#nats://}"; nats_hostport="${nats_hostport%%[,?]*}"
  (exec 3<>"/dev/tcp/${nats_hostport%:*}/${nats_hostport#*:}") 2>/dev/null || die "NATS at $nats is not reachable"

  mkdir -p "$run"
  local id="$(date -u +%Y%m%d%H%M%S)_$$"
  local schema="sr_cluster_$id" prefix="stickyring.cluster.$id"
  read -r -a p <<<"$(free_ports 20)"
  local ensemble="127.0.0.1:${p[0]}:${p[1]}:${p[2]},127.0.0.1:${p[3]}:${p[4]}:${p[5]},127.0.0.1:${p[6]}:${p[7]}:${p[8]}"
  local connect="127.0.0.1:${p[2]},127.0.0.1:${p[5]},127.0.0.1:${p[8]}"
  cat >"$run/cluster.env" <<EOF
SCHEMA=$schema
SHAPE=$shape
PREFIX=$prefix
PG=$pg
ZK_CONNECT=$connect
ZK_CLIENT_PORTS="${p[2]} ${p[5]} ${p[8]}"
NODE_PORTS="${p[9]} ${p[10]} ${p[11]}"
NODE_ADMIN_PORTS="${p[17]} ${p[18]} ${p[19]}"
LB1_PROXY=${p[12]}
LB1_ADMIN=${p[13]}
LB2_PROXY=${p[14]}
LB2_ADMIN=${p[15]}
EOF
  (umask 077 && head -c 32 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$run/secret")

  for i in 1 2 3; do
    cat >"$run/zk$i.yaml" <<EOF
server-id: $i
ensemble: $ensemble
data: $run/zk$i
tick-time: 1s
EOF
    start "zk$i" io.stickyring.dist.Main zk --config "$run/zk$i.yaml"
  done
  for i in 1 2 3; do wait_for 60 "zk$i to run" grep -q '^ensemble=' "$run/zk$i.log"; done
  wait_for 60 "a ZooKeeper leader" bash -c "for port in ${p[2]} ${p[5]} ${p[8]}; do exec 3<>/dev/tcp/127.0.0.1/\$port && printf srvr >&3 && timeout 3 cat <&3 | grep -q 'Mode: leader' && exit 0; done; exit 1"
  say "zookeeper  ensemble $connect (data $run/zk1..3)"

  # Split: the writer n3 starts first, so the edges never commit sends themselves.
  local node_order=(1 2 3) role=()
  [ "$shape" = split ] && node_order=(3 1 2) && role=([1]=edge [2]=edge [3]=writer)
  for i in "${node_order[@]}"; do
    cat >"$run/n$i.yaml" <<EOF
id: n$i
listen: 127.0.0.1:${p[$((8 + i))]}
zk: $connect
cluster: local
accept-proxy-protocol: true
store: $pg?schema=$schema&pool=4
bus: $nats?prefix=$prefix
secret-file: $run/secret
drain-period: 2s
io-threads: 2
admin: 127.0.0.1:${p[$((16 + i))]}
EOF
    [ "$shape" = split ] && echo "role: ${role[$i]}" >>"$run/n$i.yaml"
    start "n$i" io.stickyring.dist.Main node --config "$run/n$i.yaml"
    if [ "$shape" = split ] && [ "$i" = 3 ]; then wait_for 90 "writer n3 to listen" grep -q 'listening on' "$run/n3.log"; fi
  done
  for i in 1 2 3; do wait_for 90 "node n$i to listen" grep -q 'listening on' "$run/n$i.log"; done
  [ "$shape" = split ] && say "shape      split: n1, n2 role edge (clients, reads; sends forwarded), n3 role writer (commits; no clients)"
  say "nodes      n1..n3 on 127.0.0.1:${p[9]},${p[10]},${p[11]} (PostgreSQL schema $schema, NATS prefix $prefix)"
  say "           metrics and health on 127.0.0.1:${p[17]},${p[18]},${p[19]} (/metrics, /healthz); tokens: stickyring token --secret-file $run/secret --user ID"

  for i in 1 2; do
    local proxy="${p[$((10 + 2 * i))]}" admin="${p[$((11 + 2 * i))]}"
    cat >"$run/lb$i.yaml" <<EOF
listen: 127.0.0.1:$proxy
admin: 127.0.0.1:$admin
zk: $connect
cluster: local
proxy-protocol: v2
connect-timeout: 1s
health-check: tcp
shutdown-grace: 5s
io-threads: 2
EOF
    start "lb$i" io.stickyring.dist.Main lb --config "$run/lb$i.yaml"
  done
  . "$run/cluster.env"
  local lb_ready=lb_has_three listed="n1, n2, n3"
  [ "$shape" = split ] && lb_ready=lb_has_edges && listed="the edges n1, n2 (not the writer n3)"
  wait_for 60 "lb1 to list $listed" "$lb_ready" "$LB1_ADMIN"
  wait_for 60 "lb2 to list $listed" "$lb_ready" "$LB2_ADMIN"
  say "lb1        proxy http://127.0.0.1:$LB1_PROXY/  admin http://127.0.0.1:$LB1_ADMIN/members"
  say "lb2        proxy http://127.0.0.1:$LB2_PROXY/  admin http://127.0.0.1:$LB2_ADMIN/members"
  say "ready      both LBs list $listed as ACTIVE; run dir $run"
}

cmd_status() {
  [ -f "$run/cluster.env" ] || die "no cluster in $run (run up first)"
  . "$run/cluster.env"
  local i=0 zp=($ZK_CLIENT_PORTS)
  for n in "${order[@]}"; do
    if alive "$n"; then state="running pid $(cat "$run/$n.pid")"; else state="stopped"; fi
    case "$n" in zk*) state="$state, $(zk_mode "${zp[$((${n#zk} - 1))]}")";; esac
    printf '%-4s %s\n' "$n" "$state"
  done
  for lb in 1 2; do
    local admin_var="LB${lb}_ADMIN"
    printf 'lb%s  %s\n' "$lb" "$(lb_members "${!admin_var}" 2>/dev/null || echo 'admin not answering')"
  done
}

cmd_down() {
  local pids=() names=()
  for n in "${order[@]}"; do
    if alive "$n"; then
      kill -TERM "$(cat "$run/$n.pid")"
      pids+=("$(cat "$run/$n.pid")"); names+=("$n")
      # LBs and nodes first, and each tier gone before the next is asked to stop.
      case "$n" in lb2|n3) wait_gone 40 "${pids[@]}"; pids=();; esac
    fi
  done
  [ "${#pids[@]}" -eq 0 ] || wait_gone 30 "${pids[@]}"
  [ "${#names[@]}" -eq 0 ] && say "nothing was running" || say "stopped ${names[*]}"
  rm -f "$run"/*.pid
  if [ -f "$run/cluster.env" ]; then
    . "$run/cluster.env"
    if [ "${KEEP_SCHEMA:-0}" = 1 ]; then
      say "kept schema $SCHEMA"
    elif psql "$PG" -qtAc "DROP SCHEMA IF EXISTS $SCHEMA CASCADE" >/dev/null 2>&1; then
      say "dropped schema $SCHEMA"
    fi
    mv "$run/cluster.env" "$run/cluster.env.stopped"   # logs and data stay for a post-mortem
  fi
}

wait_gone() { # SECONDS PID... -> SIGKILL whatever is left after SECONDS
  local limit="$1"; shift
  local deadline=$((SECONDS + limit)) pid left
  while :; do
    left=()
    for pid in "$@"; do kill -0 "$pid" 2>/dev/null && left+=("$pid"); done
    [ "${#left[@]}" -eq 0 ] && return 0
    if [ "$SECONDS" -ge "$deadline" ]; then
      say "SIGKILL ${left[*]} (did not stop within ${limit}s)"
      kill -KILL "${left[@]}" 2>/dev/null || true
      return 0
    fi
    sleep 0.3
  done
}

case "${1:-}" in
  up) cmd_up ;;
  down) cmd_down ;;
  status) cmd_status ;;
  *) echo "usage: $0 up|down|status   (see the header of this script, and docs/cluster-recipe.md)" >&2; exit 2 ;;
esac
