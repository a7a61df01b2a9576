#!/usr/bin/env bash
# Bytes the LB's threads allocate per operation (new connection or keep-alive request) and the top
# allocation sites: JFR jdk.ThreadAllocationStatistics (exact per-thread totals) and
# jdk.ObjectAllocationSample (sampled sites, indicative only). The client is paced (RATE per second,
# sequential, bench/lb/paced-conns.py), so this is a light load; allocation per operation does not
# depend on the rate. Loopback only; bounded by N.
#
# Usage: bench/lb/alloc-per-op.sh [JAR (default dist/target/stickyring.jar)] [N (20000)] [RATE (1500)] [close|ka] [lb flags...]
#   close: one request per connection (new connections); ka: N requests on keep-alive connections
set -u
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
JAR=${1:-$ROOT/dist/target/stickyring.jar}; N=${2:-20000}; RATE=${3:-1500}; MODE=${4:-close}; shift $(( $# > 4 ? 4 : $# ))
HERE="$ROOT/bench/lb"
fp() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
BP=$(fp); LP=$(fp); AP=$(fp); W=$(mktemp -d /tmp/stickyring-alloc.XXXX); chmod 755 $W
cat > $W/b.conf <<CONF
worker_processes 1; pid $W/b.pid; error_log $W/e.log warn; events { worker_connections 4000; }
http { access_log off; client_body_temp_path $W/t1; proxy_temp_path $W/t2; fastcgi_temp_path $W/t3; uwsgi_temp_path $W/t4; scgi_temp_path $W/t5;
  keepalive_requests 100000000; server { listen 127.0.0.1:$BP; location = /small { return 200 "ok\n"; } } }
CONF
nginx -c $W/b.conf -p $W -g 'daemon on;'
java -XX:+UseParallelGC -Xms256m -Xmx1g -Dio.netty.leakDetection.level=disabled -Dlogback.configurationFile="$HERE/logback-bench.xml" -jar $JAR lb --listen 127.0.0.1:$LP --admin 127.0.0.1:$AP --backend b1=127.0.0.1:$BP --io-threads 2 --close-log-sample 0 "$@" > $W/lb.log 2>&1 & JP=$!
for i in $(seq 100); do grep -q 'listening' $W/lb.log && break; sleep 0.3; done
python3 "$HERE/paced-conns.py" $LP $((N/2)) $RATE $MODE > /dev/null   # warm-up
jcmd $JP JFR.start name=a settings=profile filename=$W/a.jfr jdk.ThreadAllocationStatistics#period=1s jdk.ObjectAllocationSample#throttle=20000/s > /dev/null
sleep 1.5
python3 "$HERE/paced-conns.py" $LP $N $RATE $MODE
sleep 1.5
jcmd $JP JFR.dump name=a filename=$W/a.jfr > /dev/null
kill $JP; kill $(cat $W/b.pid); wait 2>/dev/null
jfr print --events jdk.ThreadAllocationStatistics $W/a.jfr | grep -A1 'allocated' | paste - - - | grep '"lb-' \
 | awk -v n=$N '{v=$3; u=$4; m=(u=="MB")?1048576:(u=="kB")?1024:(u=="GB")?1073741824:1; k=$7; if(!(k in f)) f[k]=v*m; l[k]=v*m}
   END {for (k in f) {t+=l[k]-f[k]; printf "%s %.0f B/op\n", k, (l[k]-f[k])/n}; printf "TOTAL lb threads: %.0f bytes allocated per op\n", t/n}'
jfr print --events jdk.ObjectAllocationSample --stack-depth 12 $W/a.jfr > $W/s.txt
python3 - $W/s.txt <<'PY'
import sys,re,collections
w=collections.Counter(); cls=collections.Counter()
blk=[]
def flush(b):
    if not b: return
    t=' '.join(b)
    m=re.search(r'objectClass = (\S+)',t); mw=re.search(r'weight = ([\d.]+) (\w+)',t)
    if not m or not mw: return
    v=float(mw.group(1))*{'bytes':1,'kB':1024,'MB':1<<20,'GB':1<<30}[mw.group(2)]
    fr=[x.strip() for x in b if 'line:' in x]
    site=' < '.join(re.sub(r'\s*line:.*','',f) for f in fr[:4])
    th=re.search(r'eventThread = "([^"]+)"',t)
    if th and 'lb-io' not in th.group(1) and 'lb-accept' not in th.group(1): return
    w[(m.group(1),site)]+=v; cls[m.group(1)]+=v
for l in open(sys.argv[1]):
    if l.startswith('jdk.ObjectAllocationSample'):
        flush(blk); blk=[]
    blk.append(l.rstrip())
flush(blk)
T=sum(cls.values())
print("sampled weight on io/accept threads: %.1f MB"%(T/1e6))
for (c,s),v in w.most_common(25): print("%5.1f%% %s  @ %s"%(100*v/T,c,s[:230]))
PY
echo "load average $(cut -d" " -f1-3 /proc/loadavg); recording in $W/a.jfr"
