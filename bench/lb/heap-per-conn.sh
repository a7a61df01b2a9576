#!/usr/bin/env bash
# Live Java heap per idle proxied connection, by class: jmap -histo:live of the LB before and after N
# idle connections (after opening and closing N first, so one-off set-up is not counted), divided by N.
# Backend: bench/lb/hold-conns.py (accepts and holds). Loopback only; bounded by N and timeouts.
#
# Usage: bench/lb/heap-per-conn.sh [JAR (default dist/target/stickyring.jar)] [N (2000)]
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR=${1:-$ROOT/dist/target/stickyring.jar}; N=${2:-2000}; TAG=$$
HERE="$ROOT/bench/lb"; W=$(mktemp -d /tmp/stickyring-heap.XXXX); cd "$W"
BP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
LP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
AP=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
python3 "$HERE/hold-conns.py" server $BP > /dev/null & SP=$!
java -XX:+UseParallelGC -Xms64m -Xmx512m -Dio.netty.leakDetection.level=disabled -Dlogback.configurationFile="$HERE/logback-bench.xml" -jar $JAR lb --listen 127.0.0.1:$LP --admin 127.0.0.1:$AP --backend b1=127.0.0.1:$BP --io-threads 2 --close-log-sample 0 > lb-$TAG.log 2>&1 & JP=$!
for i in $(seq 100); do grep -q 'listening' lb-$TAG.log && break; sleep 0.3; done
# warm: open+close N first
echo | python3 "$HERE/hold-conns.py" client $LP $N 40 >/dev/null
sleep 1
jmap -histo:live $JP > h0-$TAG.txt
R0=$(awk '/VmRSS/{print $2}' /proc/$JP/status)
coproc H { python3 "$HERE/hold-conns.py" client $LP $N 30; }
read -r -t 120 line <&"${H[0]}"; echo "$line"
sleep 2
jmap -histo:live $JP > h1-$TAG.txt
R1=$(awk '/VmRSS/{print $2}' /proc/$JP/status)
echo "RSS $R0 -> $R1 KiB (young-generation growth included; see idle-conns.sh for RSS)"
exec {H[1]}>&-
kill $JP $SP; wait 2>/dev/null
python3 - h0-$TAG.txt h1-$TAG.txt $N <<'PY'
import sys,re
def load(f):
    d={}
    for l in open(f):
        m=re.match(r'\s*\d+:\s+(\d+)\s+(\d+)\s+(\S+)',l)
        if m: d[m.group(3)]=(int(m.group(1)),int(m.group(2)))
    return d
a,b,n=load(sys.argv[1]),load(sys.argv[2]),int(sys.argv[3])
rows=[]
for k in b:
    c0,s0=a.get(k,(0,0)); c1,s1=b[k]
    rows.append(((s1-s0)/n,(c1-c0)/n,k))
rows.sort(reverse=True)
print("total bytes/conn %.0f"%sum(r[0] for r in rows))
for r in rows[:40]: print("%8.1f B %6.2f  %s"%r)
PY
