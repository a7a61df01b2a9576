# Sourced by run.sh: how the node gets its token secret, where its metrics are, and what loadgen
# needs to log in. One place, so a change of the node's auth or admin flags touches only this file.
# The secret lives in a mode-600 file (never argv); the loadgen mints its users' JWTs from the same
# file; the node serves /metrics on its admin listener (printed as "admin on HOST:PORT").
SECRET="transports-secret-0123456789abcdef-0123456789"
(umask 077 && printf '%s\n' "$SECRET" >"$tmp/secret")
NODE_ARGS=(--secret-file "$tmp/secret")
LOADGEN_ARGS=(--secret-file "$tmp/secret")
node_metrics_url() { # NODE_LOG PUBLIC_PORT
  echo "http://$(wait_for "$1" 'admin on 127\.0\.0\.1:[0-9]+' | sed 's/admin on //')/metrics"
}
