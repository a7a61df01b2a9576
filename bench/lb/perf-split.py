"""Reads `perf script -F comm,ip,sym` output (one balancer, one load step) on stdin and prints a
markdown block: CPU microseconds per connection in user mode, per system call and in other kernel
time, and by thread. Args: target round connections load. Used by bench/lb/perf-vs-haproxy.sh."""
import collections
import sys

HZ = 4999
target, rnd, n, load = sys.argv[1], sys.argv[2], int(sys.argv[3]), sys.argv[4]
us = 1e6 / HZ / n
calls, threads = collections.Counter(), collections.Counter()
total = user = other = 0
comm, stack = None, []


def flush():
    global total, user, other
    if comm is None:
        return
    total += 1
    threads[comm] += 1
    entries = [f.split('+')[0] for f in stack if f.startswith('__x64_sys_')]
    if entries:
        calls[entries[-1][len('__x64_sys_'):]] += 1
    elif any(f.startswith(('entry_SYSCALL', 'asm_', 'ret_from_fork')) for f in stack):
        other += 1
    else:
        user += 1


for line in sys.stdin:
    if not line.strip():
        flush()
        comm, stack = None, []
    elif not line.startswith(('\t', ' ')):
        name = line.strip()
        comm = name.rstrip('0123456789-# ') or name  # lb-io-1-2 -> lb-io, GC Thread#0 -> GC Thread
    else:
        parts = line.split(None, 1)
        if len(parts) > 1:
            stack.append(parts[1].strip())
flush()
print(f"## {target}, round {rnd}: {n} connections in 5 s, load {load}")
print()
print(f"total **{total * us:.1f} us** per connection: user {user * us:.1f}, system calls {sum(calls.values()) * us:.1f}, "
      f"other kernel (scheduling, interrupts) {other * us:.1f}")
print()
print("| system call | us per connection |")
print("|---|---|")
for k, v in calls.most_common(16):
    print(f"| {k} | {v * us:.2f} |")
print()
print("by thread: " + ", ".join(f"{k} {v * us:.1f}" for k, v in threads.most_common(8)))
print()
