# Shared helpers of the loopback benchmarks (source it): free ports, waiting for a listener, and the
# HAProxy configuration every LB benchmark compares against (mode tcp, balance source, hash-type
# consistent, one server), so the peer is configured the same way in every script.

# free_port: a port nothing listens on now (the kernel's pick for 127.0.0.1)
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'; }

# wait_port PORT [TENTHS (default 200)]: waits until 127.0.0.1:PORT accepts, or fails naming the port
wait_port() {
  for _ in $(seq 1 "${2:-200}"); do
    (exec 3<>/dev/tcp/127.0.0.1/"$1") 2>/dev/null && { exec 3>&- 3<&-; return 0; }
    sleep 0.1
  done
  echo "port $1 did not open" >&2; return 1
}

# haproxy_tcp_conf FILE LISTEN SERVER [NBTHREAD (2)] [MAXCONN (8000)] [CLIENT/SERVER TIMEOUT (60s)]:
# writes HAProxy's configuration for the benchmarks: LISTEN (address:port) to SERVER (address:port)
haproxy_tcp_conf() {
  cat > "$1" <<CONF
global
  nbthread ${4:-2}
  maxconn ${5:-8000}
defaults
  mode tcp
  timeout connect 2s
  timeout client ${6:-60s}
  timeout server ${6:-60s}
frontend fe
  bind $2
  default_backend be
backend be
  balance source
  hash-type consistent
  server b1 $3
CONF
}

# kill_on_exit: when the script exits, kill the processes whose pids it appends to PIDS and the NGINX
# backend whose pid file is $WORK/backend.pid (bench/lb/nginx-backend.sh). Call it once, after WORK is set.
declare -a PIDS  # keeps the pids of a script that started processes before sourcing this file
kill_on_exit() {
  trap '
    for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
    [ -f "$WORK/backend.pid" ] && kill "$(cat "$WORK/backend.pid")" 2>/dev/null || true' EXIT
}
