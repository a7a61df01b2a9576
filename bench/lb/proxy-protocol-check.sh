#!/usr/bin/env bash
# Verifies stickyring's PROXY protocol v1 and v2 headers against a real peer: NGINX with
# `listen ... proxy_protocol` answers every request with $proxy_protocol_addr:$proxy_protocol_port
# as it decoded them. Clients connect from distinct loopback addresses (127.77.0.N) through the LB.
# Writes bench/results/lb-proxy-protocol-<date>.md; exits non-zero on any mismatch. Loopback only.
#
# Usage: bench/lb/proxy-protocol-check.sh
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
WORK="$(mktemp -d /tmp/stickyring-pp.XXXXXX)"; chmod 755 "$WORK"
OUT="$ROOT/bench/results/lb-proxy-protocol-$(date -u +%Y-%m-%d).md"
PIDS=()
cleanup() {
  for p in "${PIDS[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  [ -f "$WORK/nginx.pid" ] && kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
}
trap cleanup EXIT
command -v nginx >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y nginx >/dev/null
command -v curl >/dev/null || DEBIAN_FRONTEND=noninteractive apt-get install -y curl >/dev/null
JAR="$ROOT/dist/target/stickyring.jar"
[ -f "$JAR" ] || (cd "$ROOT" && mvn -B -q -pl dist -am package -DskipTests)
. "$ROOT/bench/lib/loopback.sh"
NG=$(free_port); L1=$(free_port); A1=$(free_port); L2=$(free_port); A2=$(free_port)

cat > "$WORK/nginx.conf" <<CONF
worker_processes 1;
pid $WORK/nginx.pid;
error_log $WORK/error.log warn;
events { worker_connections 1024; }
http {
  access_log $WORK/access.log;
  client_body_temp_path $WORK/tmp-body;
  proxy_temp_path $WORK/tmp-proxy;
  fastcgi_temp_path $WORK/tmp-fcgi;
  uwsgi_temp_path $WORK/tmp-uwsgi;
  scgi_temp_path $WORK/tmp-scgi;
  log_format pp '\$proxy_protocol_addr:\$proxy_protocol_port \$remote_addr';
  server {
    listen 127.0.0.1:$NG proxy_protocol;
    access_log $WORK/pp.log pp;
    location / { return 200 "\$proxy_protocol_addr:\$proxy_protocol_port\n"; }
  }
}
CONF
nginx -c "$WORK/nginx.conf" -p "$WORK" -g 'daemon on;'
for v in v1 v2; do
  if [ "$v" = v1 ]; then L=$L1; A=$A1; else L=$L2; A=$A2; fi
  java -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" -jar "$JAR" lb --listen "127.0.0.1:$L" \
    --admin "127.0.0.1:$A" --backend "ng=127.0.0.1:$NG" --proxy-protocol "$v" > "$WORK/lb-$v.log" 2>&1 &
  PIDS+=($!)
done
wait_port "$NG"; wait_port "$L1"; wait_port "$L2"

fail=0
{
  echo "# PROXY protocol against NGINX $(nginx -v 2>&1 | awk -F/ '{print $2}'), $(date -u +%Y-%m-%dT%H:%MZ)"
  echo
  echo "Command: \`bench/lb/proxy-protocol-check.sh\`. NGINX listens with \`proxy_protocol\` and answers"
  echo "\`\$proxy_protocol_addr:\$proxy_protocol_port\`; curl connects through stickyring from the client address shown."
  echo
  echo "| LB mode | client address:port (curl) | NGINX decoded | match |"
  echo "|---|---|---|---|"
  for v in v1 v2; do
    if [ "$v" = v1 ]; then L=$L1; else L=$L2; fi
    for n in 1 2 3; do
      ip="127.77.0.$n"; port=$(free_port)
      got=$(curl -s --interface "$ip" --local-port "$port" "http://127.0.0.1:$L/")
      want="$ip:$port"
      if [ "$got" = "$want" ]; then m=yes; else m=NO; fail=1; fi
      echo "| $v | $want | $got | $m |"
    done
  done
} > "$OUT"
cat "$OUT"
echo "NGINX access log (proxy_protocol_addr:port remote_addr):"; cat "$WORK/pp.log"
exit $fail
