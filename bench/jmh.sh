#!/usr/bin/env bash
# Runs the ring JMH benchmarks (ring module test sources, package io.stickyring.ring.bench)
# and writes bench/results/jmh-ring.txt (human-readable) and bench/results/jmh-ring.json.
#
#   bench/jmh.sh                 # lookup + build + client keys (with -prof gc), short settings
#   bench/jmh.sh LookupBench     # one benchmark class (any JMH include regex); further args go to JMH
#   bench/jmh.sh 'ring.bench.(Lookup|Build)Bench' -p impl=ring,multiprobe,dxhash   # the new algorithms + ring
#   JMH_OPTS="-wi 5 -i 10" bench/jmh.sh   # longer runs
#   JMH_BASE=jmh-ring-new bench/jmh.sh ...  # write bench/results/jmh-ring-new.{txt,json}, -summary.md
#                                           # instead of overwriting the full run's jmh-ring.*
#
# Short by default (1 fork, 3x1s warmup, 8x0.5s measurement): the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results
base=${JMH_BASE:-jmh-ring}
mkdir -p "$out"
mvn -B -q -pl ring -am test-compile
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn -B -q -pl ring org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
cp="ring/target/test-classes:ring/target/classes:$(cat "$cp_file")"
opts=${JMH_OPTS:-"-f 1 -wi 3 -w 1s -i 8 -r 500ms"}
run() { # include-regex name extra-args...
    local include=$1 name=$2
    shift 2
    echo "== $include ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/$base.txt"
    # JMH allows one run per machine (/tmp/jmh.lock): other helpers' runs would skew ours, so
    # wait for them (up to 20 minutes) instead of forcing the lock.
    local tries=0
    while true; do
        # shellcheck disable=SC2086
        java -cp "$cp" org.openjdk.jmh.Main "$include" $opts -jvmArgs "-Xmx2g" \
            -rf json -rff "$out/jmh-ring-$name.json" "$@" > "$out/.jmh-run.log" 2>&1 || true
        if grep -q "Unable to acquire the JMH lock" "$out/.jmh-run.log" && [ $tries -lt 80 ]; then
            tries=$((tries + 1))
            sleep 15
            continue
        fi
        cat "$out/.jmh-run.log" | tee -a "$out/$base.txt"
        rm -f "$out/.jmh-run.log"
        break
    done
}
: > "$out/$base.txt"
{
    echo "# bench/jmh.sh $* ; $(date -u +%FT%TZ); $(nproc) cores; $(java -version 2>&1 | head -1)"
    echo "# JMH options: $opts"
} >> "$out/$base.txt"
if [ $# -gt 0 ]; then
    run "$1" custom "${@:2}"
    cp "$out/jmh-ring-custom.json" "$out/$base.json"
else
    run 'ring.bench.LookupBench' lookup
    run 'ring.bench.BuildBench' build
    run 'ring.bench.ClientKeyBench' keys -prof gc
    # One JSON array with every result.
    python3 - "$out" "$base" <<'PY' || cat "$out"/jmh-ring-lookup.json > "$out/$base.json"
import json, sys, os
d = sys.argv[1]
allr = []
for n in ("lookup", "build", "keys"):
    with open(os.path.join(d, f"jmh-ring-{n}.json")) as f:
        allr += json.load(f)
with open(os.path.join(d, sys.argv[2] + ".json"), "w") as f:
    json.dump(allr, f, indent=1)
PY
    rm -f "$out"/jmh-ring-lookup.json "$out"/jmh-ring-build.json "$out"/jmh-ring-keys.json
fi
rm -f "$out/jmh-ring-custom.json"
# Summary: mean +- error, and the fastest measurement iteration (least disturbed by other load on
# a shared machine), per benchmark and parameters.
python3 - "$out/$base.json" <<'PY' | tee "$out/$base-summary.md"
import json, sys
rows = json.load(open(sys.argv[1]))
print("| benchmark | params | mean | +- | best iteration | unit |")
print("|---|---|---:|---:|---:|---|")
for r in rows:
    m = r["primaryMetric"]
    raw = [x for fork in m.get("rawData", []) for x in fork]
    params = " ".join(f"{k}={v}" for k, v in (r.get("params") or {}).items())
    name = r["benchmark"].rsplit(".", 2)[-2] + "." + r["benchmark"].rsplit(".", 1)[-1]
    err = m.get("scoreError")
    err = "" if err is None or err != err else f"{err:.3f}"
    print(f"| {name} | {params} | {m['score']:.3f} | {err} | {min(raw) if raw else float('nan'):.3f} | {m['scoreUnit']} |")
PY
echo "results: $out/$base.txt $out/$base.json $out/$base-summary.md"
