# Reads the .trace files of bench/cluster/trace/probe.sh: per stage, ms since the client wrote the send
# (p50/p90/p99/max), and the steps between consecutive stages in time order. Usage: analyze.py DIR [skip fraction]
import sys, glob, os, re, collections
d = sys.argv[1]
ev = collections.defaultdict(dict)   # id -> stage -> (t, node, thread)
for f in glob.glob(os.path.join(d, '*.trace')):
    node = os.path.basename(f)[:-6]
    for line in open(f):
        parts = line.split(' ', 3)
        if len(parts) < 3: continue
        t, stage, key = int(parts[0]), parts[1], parts[2]
        thr = parts[3].strip() if len(parts) > 3 else ''
        if '/' in key:
            mid, user = key.split('/', 1)
            m = re.match(r'r(\d+)-', mid)
            if not m: continue
            u = int(m.group(1))
            tag = 'peer' if user.endswith('u' + str(u ^ 1)) else 'self'
            stage = stage + '.' + tag
            key = mid
        else:
            mid = key
        st = ev[mid]
        if stage not in st or t < st[stage][0]:
            st[stage] = (t, node, thr)
# keep the measured tail: ids that have C.send; drop warmup by time: last 60%?
ids = [i for i, s in ev.items() if 'C.send' in s and 'C.msg' in s]
ids.sort(key=lambda i: ev[i]['C.send'][0])
if len(sys.argv) > 2:
    ids = ids[int(len(ids) * float(sys.argv[2])):]
order = ['C.send','E.recv','E.fwd','W.req','W.commit','S.done','S.fanout','W.pub.peer','W.replied.peer','E.reply','E.ack','C.ack','R.nats.peer','R.sink.peer','R.write.peer','C.msg']
def pct(xs, p):
    xs = sorted(xs); return xs[min(len(xs)-1, int(p*len(xs)))] if xs else float('nan')
print('messages', len(ids))
prev = None
rows = []
for a, b in zip(order, order[1:]):
    pass
# stage deltas relative to C.send, and step deltas between consecutive present stages
steps = collections.defaultdict(list)
abs_ = collections.defaultdict(list)
for i in ids:
    s = ev[i]; t0 = s['C.send'][0]
    present = [st for st in order if st in s]
    for st in present:
        abs_[st].append((s[st][0] - t0) / 1e6)
    # the delivery chain: sorted by time among present stages
    chain = sorted(present, key=lambda st: s[st][0])
    for x, y in zip(chain, chain[1:]):
        steps[(x, y)].append((s[y][0] - s[x][0]) / 1e6)
print('%-16s %6s %8s %8s %8s %8s' % ('since C.send', 'n', 'p50', 'p90', 'p99', 'max'))
for st in order:
    if abs_[st]:
        xs = abs_[st]; print('%-16s %6d %8.2f %8.2f %8.2f %8.2f' % (st, len(xs), pct(xs,.5), pct(xs,.9), pct(xs,.99), max(xs)))
print()
print('%-34s %6s %8s %8s %8s %8s' % ('step (time order)', 'n', 'p50', 'p90', 'p99', 'max'))
for (x, y), xs in sorted(steps.items(), key=lambda kv: -len(kv[1])):
    if len(xs) < len(ids) * 0.02: continue
    print('%-34s %6d %8.2f %8.2f %8.2f %8.2f' % (x + ' -> ' + y, len(xs), pct(xs,.5), pct(xs,.9), pct(xs,.99), max(xs)))
# threads for slowest
