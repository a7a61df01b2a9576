#!/usr/bin/env bash
# How long `stickyring lb` takes to start: prints "WALL_MS CPU_MS", the wall-clock time from exec
# to the LB's "listening" log line and the CPU time its JVM used until then (user + system, from
# /proc; the CPU figure depends much less on the machine's load than the wall time). Loopback only,
# port 0, one static member that is never connected to.
#
# Usage: bench/lb/start-time.sh JAR [EXTRA JVM FLAGS...]
#   e.g. bench/lb/start-time.sh dist/target/stickyring.jar -XX:SharedArchiveFile=dist/target/stickyring-lb-java17.0.15.jsa
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR=$1; shift
LBJ=$("$ROOT/stickyring" --print-lb-jvm-flags)
s=$(date +%s%N)
coproc P { exec java $LBJ "$@" -jar $JAR lb --listen 127.0.0.1:0 --admin 127.0.0.1:0 --backend a=127.0.0.1:9 2>&1; }
pid=$P_PID
while read -r l <&"${P[0]}"; do case "$l" in *listening*) e=$(date +%s%N); cpu=$(awk '{print ($14+$15)*10}' /proc/$pid/stat); echo "$(( (e-s)/1000000 )) $cpu"; kill $pid; break;; esac; done
wait 2>/dev/null
