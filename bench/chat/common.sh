# Shared by bench/chat/run.sh and bench/cluster/run.sh, sourced once `root` is set: where a run
# writes, the processes its EXIT trap stops, the jar it runs and the load client it compiles.

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

# stop_all: TERM then KILL every process in pids, delete tmp (call from the EXIT trap)
stop_all() {
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill "$p" 2>/dev/null || true; done
  sleep 0.5
  for p in "${pids[@]:-}"; do [ -n "$p" ] && kill -9 "$p" 2>/dev/null || true; done
  rm -rf "$tmp"
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
