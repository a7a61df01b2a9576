#!/usr/bin/env bash
# CPU profile (user and kernel) of stickyring's new-connection path with async-profiler 4.2 (fetched
# from Maven Central into ~/.m2 on first use): one NGINX backend, wrk opening one connection per
# request (Connection: close, -c16) for SECONDS after a 5 s warm-up. async-profiler's cpu event
# samples the LB's threads with perf_events, so kernel frames (system calls, TCP) appear next to Java
# frames. Prints where the samples went: kernel vs user, by system call, and the hottest Java frames;
# keeps the collapsed stacks in its work directory (printed). The profiler's own cost (a sample every
# 100 us of CPU) lowers the rate, so read shares, not the rate. Loopback only; bounded by wrk -d.
#
# Usage: [WARMUP=5] bench/lb/profile-cpu.sh [SECONDS (default 10)] [JAR] [lb flags...]
set -euo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
DUR="${1:-10}"; JAR="${2:-$ROOT/dist/target/stickyring.jar}"; shift $(( $# > 2 ? 2 : $# ))
AP_VERSION=4.2
AP_JAR="$HOME/.m2/repository/tools/profiler/async-profiler/$AP_VERSION/async-profiler-$AP_VERSION-linux-x64.jar"
[ -f "$AP_JAR" ] || mvn -B -q dependency:get -Dartifact="tools.profiler:async-profiler:$AP_VERSION:jar:linux-x64" >/dev/null
WORK="$(mktemp -d /tmp/stickyring-apcpu.XXXXXX)"; chmod 755 "$WORK"
(cd "$WORK" && unzip -q "$AP_JAR" 'linux-x64/*')
AP="$WORK/linux-x64/libasyncProfiler.so"
command -v wrk >/dev/null && command -v nginx >/dev/null || { echo "needs wrk and nginx (bench/lb/run.sh installs them)" >&2; exit 2; }
. "$ROOT/bench/lib/loopback.sh"
kill_on_exit
BPORT=$(free_port); SPORT=$(free_port); SADMIN=$(free_port)
. "$ROOT/bench/lb/nginx-backend.sh"
nginx_backend_conf "$WORK" "127.0.0.1:$BPORT"
nginx -c "$WORK/backend.conf" -p "$WORK" -g 'daemon on;'
LB_JVM="$("$ROOT/stickyring" --print-lb-jvm-flags)"
# shellcheck disable=SC2086
java $LB_JVM -Dlogback.configurationFile="$ROOT/bench/lb/logback-bench.xml" \
  -jar "$JAR" lb --listen "127.0.0.1:$SPORT" --admin "127.0.0.1:$SADMIN" --backend "b1=127.0.0.1:$BPORT" \
  --io-threads 2 --close-log-sample 0 "$@" > "$WORK/stickyring.log" 2>&1 &
SPID=$!; PIDS+=($SPID)
wait_port "$BPORT"; wait_port "$SPORT"
wrk -t1 -c16 -d"${WARMUP:-5}s" -H 'Connection: close' "http://127.0.0.1:$SPORT/small" >/dev/null   # JIT warm-up (WARMUP seconds; 40 leaves the JIT settled)
# the diagnostic command parser splits on '=': the agent's option string goes in quotes
ap() { jcmd "$SPID" "JVMTI.agent_load $AP \"$1\"" >/dev/null; }
ap "start,event=cpu,interval=100us"
N=$(wrk -t1 -c16 -d"${DUR}s" -H 'Connection: close' "http://127.0.0.1:$SPORT/small" | awk '/requests in/ {print $1}')
ap "stop,file=$WORK/collapsed.txt,collapsed"
echo "connections: $N in ${DUR}s; load average $(cut -d' ' -f1-3 /proc/loadavg); lb flags: $*"
python3 - "$WORK/collapsed.txt" "$N" <<'PY'
import sys, collections
path, n = sys.argv[1], int(sys.argv[2])
total = 0; kern = 0; sysc = collections.Counter(); top = collections.Counter(); java = collections.Counter()
for line in open(path):
    stack, _, c = line.rstrip().rpartition(' ')
    c = int(c); total += c
    frames = stack.split(';')
    k = [f for f in frames if f.endswith('_[k]')]
    if k:
        kern += c
        entry = next((f for f in k if f.startswith(('__x64_sys_', '__sys_', 'do_syscall'))), None)
        name = next((f[:-3] for f in k if f.startswith('__x64_sys_')), None)
        sysc[name or ('irq/softirq/other: ' + k[0][:-3])] += c
    else:
        top[frames[-1]] += c
    seen = set()
    for f in frames:
        g = f.split('(')[0]
        if g.startswith(('io/stickyring', 'io/netty')) and g not in seen:
            seen.add(g); java[g] += c
print(f"samples {total} (interval 100 us of CPU): {total/n*100:.1f} us per connection; kernel {kern/total:.0%}")
print("## kernel samples by system call (us per connection)")
for k, v in sysc.most_common(20):
    print(f"  {v/n*100:7.2f}  {k}")
print("## user-mode leaf frames (us per connection)")
for k, v in top.most_common(20):
    print(f"  {v/n*100:7.2f}  {k[:140]}")
print("## stickyring / netty methods, inclusive (us per connection)")
for k, v in java.most_common(30):
    print(f"  {v/n*100:7.2f}  {k[:140]}")
PY
echo "(collapsed stacks: $WORK/collapsed.txt)"
