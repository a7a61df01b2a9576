"""Ratios to HAProxy from the per-round console lines of bench/lb/run.sh ("   target: bulk X MiB/s, rps Y
(p50 A us, p99 B us), conn/s Z"), for a run whose summary was not written. Usage: python3 ratios-from-log.py LOG"""
import re
import statistics
import sys

rounds, cur = [], None
for line in open(sys.argv[1]):
    if line.startswith('== round'):
        cur = {}
        rounds.append(cur)
    m = re.match(r'\s+(\S+): bulk ([\d.]+) MiB/s, rps ([\d.]+) \(p50 ([\d.]+) us, p99 ([\d.]+) us\), conn/s ([\d.]+)', line)
    if m and cur is not None:
        cur[m.group(1)] = dict(zip(('bulk', 'rps', 'p50', 'p99', 'conn'), map(float, m.groups()[1:])))
rounds = [r for r in rounds if 'haproxy' in r]
targets = sorted({t for r in rounds for t in r if t != 'haproxy'})
print(f"{len(rounds)} complete rounds")
print("| target / HAProxy | keep-alive req/s | new conn/s | bulk MiB/s | p99 latency |")
print("|---|---|---|---|---|")
for t in targets:
    cells = []
    for m in ('rps', 'conn', 'bulk', 'p99'):
        v = [r[t][m] / r['haproxy'][m] for r in rounds if t in r]
        cells.append(f"{statistics.median(v):.2f} [{min(v):.2f}-{max(v):.2f}] ({', '.join(f'{x:.2f}' for x in v)})")
    print(f"| {t} | " + " | ".join(cells) + " |")
