# Sourced by run.sh: how the node gets its token secret, where its metrics are, and what loadgen
# needs to log in. One place, so a change of the node's auth or admin flags touches only this file.
SECRET="transports-secret-0123456789abcdef"
NODE_ARGS=(--secret "$SECRET")
LOADGEN_ARGS=()
node_metrics_url() { # NODE_LOG PUBLIC_PORT
  echo "http://127.0.0.1:$2/metrics"
}
