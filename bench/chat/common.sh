# Shared by the chat-side bench scripts (bench/chat, bench/cluster, bench/transports, bench/clients,
# bench/drills), sourced once `root` is set: where a run writes, the processes its EXIT trap stops,
# the jar it runs, how it waits for a process's line, and the load client it compiles.

# bench_setup NAME -> SECRET (also exported as STICKYRING_SECRET), JAR, tmp (deleted at exit), stamp, OUT_DIR, out_json, out_md; pids=()
bench_setup() {
  SECRET="bench-secret-0123456789abcdef-0123456789"
  export STICKYRING_SECRET="$SECRET"  # nodes read it from the environment (never argv)
  JAR="${STICKYRING_JAR:-$root/dist/target/stickyring.jar}"  # STICKYRING_JAR: run another build (e.g. a before/after pair)
  tmp="$root/bench/results/tmp/$1-$$"
  stamp="$(date -u +%Y%m%d-%H%M)"
  OUT_DIR="${OUT_DIR:-$root/bench/results}"  # where the results go (e.g. /tmp for a smoke run)
  out_json="$OUT_DIR/$1-$stamp.json"
  out_md="$OUT_DIR/$1-$stamp.md"
  mkdir -p "$tmp" "$OUT_DIR"
  pids=()
}

# stop_all: TERM every process in pids, wait up to STOP_WAIT tenths of a second (default 50) for
# them to exit, KILL what is left, delete tmp (call from the EXIT trap)
stop_all() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  for _ in $(seq 1 "${STOP_WAIT:-50}"); do
    local alive=0 p
    for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -0 "$p" 2>/dev/null && alive=1; done
    [ "$alive" = 0 ] && break
    sleep 0.1
  done
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
}

# wait_for FILE REGEX [TENTHS]: print the first match of REGEX in FILE (a process's log), polling
# every 0.1 s for at most TENTHS (default 600); on timeout show the log's tail and exit 1
wait_for() {
  for _ in $(seq 1 "${3:-600}"); do
    local m; m="$(grep -oE "$2" "$1" | head -1)" || true
    [ -n "$m" ] && { echo "$m"; return 0; }
    sleep 0.1
  done
  echo "timed out waiting for /$2/ in $1:" >&2; tail -20 "$1" >&2; exit 1
}

# ensure_jar: (re)build the jar when missing or older than any main source (not with STICKYRING_JAR)
ensure_jar() {
  [ -n "${STICKYRING_JAR:-}" ] && return 0  # a given jar is used as it is
  if [ ! -f "$JAR" ] || [ -n "$(find "$root" -path '*/src/main/*' -newer "$JAR" -print -quit)" ]; then
    echo "building $JAR ..." >&2
    mvn -B -q -pl dist -am package -DskipTests >&2
  fi
}

# compile_load_client MAIN.java: MAIN on the shared bench/chat/LoadClient.java, into $tmp/classes
compile_load_client() {
  javac -nowarn -d "$tmp/classes" -cp "$JAR" "$root/bench/chat/LoadClient.java" "$1" >&2
}
