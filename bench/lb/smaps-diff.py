#!/usr/bin/env python3
"""Diffs stickyring's memory by kind of mapping between snapshots of bench/lb/idle-conns.sh (SNAP_DIR).

usage: smaps-diff.py DIR [STAGE ...]   (default stages: start warm before half after, those present)
Prints RSS (KiB) per kind at each stage and the change between consecutive stages. Kinds: Java heap
old and young generation (address ranges from GC.heap_info), JIT code (rwx), glibc malloc arenas
(anonymous rw mappings in 64 MiB-aligned arena heaps, plus [heap], the main arena), Java thread
stacks (anonymous rw mapping right after a 4 KiB-16 KiB guard of ---p, about 1 MiB), CDS archive, files
(libraries, jars), other anonymous (metaspace, GC structures, NMT, Netty's direct memory when mmapped).
"""
import os, re, sys

def heap_ranges(path):
    r = {}
    for line in open(path):
        m = re.match(r'\s*(PSYoungGen|ParOldGen)\s.*\[(0x[0-9a-f]+), (0x[0-9a-f]+), (0x[0-9a-f]+)\)', line)
        if m:
            r[m.group(1)] = (int(m.group(2), 16), int(m.group(4), 16))
    return r

def mappings(path):
    maps, cur = [], None
    for line in open(path):
        m = re.match(r'^([0-9a-f]+)-([0-9a-f]+) (\S+) \S+ \S+ \S+\s*(.*)$', line)
        if m:
            cur = dict(lo=int(m.group(1), 16), hi=int(m.group(2), 16), perm=m.group(3), name=m.group(4).strip(), rss=0)
            maps.append(cur)
        elif line.startswith('Rss:') and cur is not None:
            cur['rss'] = int(line.split()[1])
    return maps

ARENA = 64 << 20

def kind(mp, prev, heaps):
    for k, (lo, hi) in heaps.items():
        if mp['lo'] < hi and mp['hi'] > lo:
            return 'heap old' if k == 'ParOldGen' else 'heap young'
    n = mp['name']
    if n == '[heap]':
        return 'glibc main arena'
    if n.endswith('classes.jsa'):
        return 'CDS archive'
    if n.startswith('[stack'):
        return 'main stack'
    if n and not n.startswith('['):
        return 'files'
    if 'x' in mp['perm']:
        return 'JIT code'
    if mp['perm'].startswith('rw'):
        # a glibc arena heap: a 64 MiB-aligned block starting with the rw part
        if mp['lo'] % ARENA == 0 and mp['hi'] - mp['lo'] <= ARENA:
            return 'glibc arenas'
        size = mp['hi'] - mp['lo']
        if prev is not None and prev['hi'] == mp['lo'] and prev['perm'] == '---p' and prev['hi'] - prev['lo'] <= 16384 \
                and 1000 * 1024 <= size <= 1100 * 1024:
            return 'thread stacks'
    return 'other anon'

def summary(dirname, stage):
    heaps = heap_ranges(os.path.join(dirname, stage + '.heap'))
    out, prev = {}, None
    for mp in mappings(os.path.join(dirname, stage + '.smaps')):
        k = kind(mp, prev, heaps)
        out[k] = out.get(k, 0) + mp['rss']
        prev = mp
    out['total'] = sum(out.values())
    return out

def main():
    d = sys.argv[1]
    stages = sys.argv[2:] or [s for s in ('start', 'warm', 'before', 'half', 'after') if os.path.exists(os.path.join(d, s + '.smaps'))]
    sums = [summary(d, s) for s in stages]
    kinds = sorted({k for s in sums for k in s}, key=lambda k: (k == 'total', k))
    hdr = ['kind (RSS KiB)'] + stages + [f'{a}->{b}' for a, b in zip(stages, stages[1:])]
    print('| ' + ' | '.join(hdr) + ' |')
    print('|' + '---|' * len(hdr))
    for k in kinds:
        v = [s.get(k, 0) for s in sums]
        print('| ' + ' | '.join([k] + [str(x) for x in v] + [f'{b - a:+d}' for a, b in zip(v, v[1:])]) + ' |')

if __name__ == '__main__':
    main()
