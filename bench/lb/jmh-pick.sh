#!/usr/bin/env bash
# JMH for the LB's per-connection routing decision (lb test sources, io.stickyring.lb.bench.PickBench);
# writes bench/results/jmh-lb-pick.txt. Short settings by default (1 fork, 2x1s warmup, 3x1s measurement).
#   bench/lb/jmh-pick.sh            JMH_OPTS="-wi 5 -i 10" bench/lb/jmh-pick.sh
# BENCH (JMH regex) and OUT pick another benchmark of the lb test sources (bench/lb/jmh-member.sh does).
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${OUT:-bench/results/jmh-lb-pick.txt}
cp_file=$(mktemp); trap 'rm -f "$cp_file"' EXIT
# test-compile in the same reactor run lets the lb module resolve membership from target/classes
mvn -B -q -pl lb -am test-compile org.apache.maven.plugins:maven-dependency-plugin:3.8.1:build-classpath \
    -Dmdep.includeScope=test -Dmdep.outputFile="$cp_file" >/dev/null
cp="lb/target/test-classes:lb/target/classes:ring/target/classes:membership/target/classes:$(cat "$cp_file")"
opts=${JMH_OPTS:-"-f 1 -wi 2 -w 1s -i 3 -r 1s"}
{
  echo "# bench/lb/jmh-pick.sh ; $(date -u +%FT%TZ); $(nproc) cores; load $(cut -d' ' -f1-3 /proc/loadavg); $(java -version 2>&1 | head -1)"
  echo "# JMH options: $opts"
  # shellcheck disable=SC2086
  java -cp "$cp" org.openjdk.jmh.Main "${BENCH:-lb.bench.PickBench}" $opts -jvmArgs "-Xmx1g"
} | tee "$out"
