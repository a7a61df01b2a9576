#!/usr/bin/env bash
# Runs the ring JMH benchmarks (membership test sources, package io.stickyring.membership.ring.bench)
# and writes bench/results/jmh-ring.txt (human-readable) and bench/results/jmh-ring.json.
#
#   bench/jmh.sh                 # lookup + build + client keys (with -prof gc), short settings
#   bench/jmh.sh LookupBench     # one benchmark class (any JMH include regex)
#   JMH_OPTS="-wi 5 -i 10" bench/jmh.sh   # longer runs
#
# Short by default (1 fork, 3x1s warmup, 5x1s measurement): the machine is shared.
set -euo pipefail
cd "$(dirname "$0")/.."
out=bench/results
mkdir -p "$out"
mvn -B -q -pl membership -am test-compile
cp_file=$(mktemp)
trap 'rm -f "$cp_file"' EXIT
mvn -B -q -pl membership org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
cp="membership/target/test-classes:membership/target/classes:$(cat "$cp_file")"
opts=${JMH_OPTS:-"-f 1 -wi 3 -w 1s -i 5 -r 1s"}
run() { # include-regex name extra-args...
    local include=$1 name=$2
    shift 2
    echo "== $include ($(date -u +%FT%TZ), load $(cut -d' ' -f1-3 /proc/loadavg))" | tee -a "$out/jmh-ring.txt"
    # shellcheck disable=SC2086
    java -cp "$cp" org.openjdk.jmh.Main "$include" $opts -jvmArgs "-Xmx2g" \
        -rf json -rff "$out/jmh-ring-$name.json" "$@" | tee -a "$out/jmh-ring.txt"
}
: > "$out/jmh-ring.txt"
{
    echo "# bench/jmh.sh $* ; $(date -u +%FT%TZ); $(nproc) cores; $(java -version 2>&1 | head -1)"
    echo "# JMH options: $opts"
} >> "$out/jmh-ring.txt"
if [ $# -gt 0 ]; then
    run "$1" custom
    cp "$out/jmh-ring-custom.json" "$out/jmh-ring.json"
else
    run 'ring.bench.LookupBench' lookup
    run 'ring.bench.BuildBench' build
    run 'ring.bench.ClientKeyBench' keys -prof gc
    # One JSON array with every result.
    python3 - "$out" <<'PY' || cat "$out"/jmh-ring-lookup.json > "$out/jmh-ring.json"
import json, sys, os
d = sys.argv[1]
allr = []
for n in ("lookup", "build", "keys"):
    with open(os.path.join(d, f"jmh-ring-{n}.json")) as f:
        allr += json.load(f)
with open(os.path.join(d, "jmh-ring.json"), "w") as f:
    json.dump(allr, f, indent=1)
PY
    rm -f "$out"/jmh-ring-lookup.json "$out"/jmh-ring-build.json "$out"/jmh-ring-keys.json
fi
rm -f "$out/jmh-ring-custom.json"
echo "results: $out/jmh-ring.txt $out/jmh-ring.json"
