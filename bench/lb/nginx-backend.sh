# Sourced by bench/lb/run.sh and bench/lb/l3.sh: the one NGINX HTTP backend both measure against
# (one worker; /small answers "ok", /big is 4 MiB), written to $1/backend.conf.
#   nginx_backend_conf WORK LISTEN     e.g. nginx_backend_conf "$WORK" "127.0.0.1:$BPORT"
nginx_backend_conf() {
  local work="$1" listen="$2"
  mkdir -p "$work/www"
  head -c $((4 * 1024 * 1024)) /dev/zero > "$work/www/big"
  chmod -R a+rX "$work/www"
  cat > "$work/backend.conf" <<CONF
worker_processes 1;
pid $work/backend.pid;
error_log $work/backend-error.log warn;
events { worker_connections 8000; }
http {
  access_log off;
  keepalive_requests 10000000;
  client_body_temp_path $work/tmp-body;
  proxy_temp_path $work/tmp-proxy;
  fastcgi_temp_path $work/tmp-fcgi;
  uwsgi_temp_path $work/tmp-uwsgi;
  scgi_temp_path $work/tmp-scgi;
  server {
    listen $listen reuseport backlog=4096;
    location = /small { return 200 "ok\n"; }
    location = /big { root $work/www; }
  }
}
CONF
}
