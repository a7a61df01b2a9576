#!/usr/bin/env python3
"""Reconnect-storm harness for bench/lb/storm.sh (loopback only).

  storm.py member --port P --id ID
      A member: greets every connection with "ID\\n", then holds it (reads and discards) until EOF.
      Health checks (a connect and a close) need nothing more.

  storm.py phase --target NAME --lb-cmd CMD --lb-port P --members m1=PID,... --n N --event failover|restart
      One measured phase against one balancer that is already listening on --lb-port (started by CMD in
      its own process group, whose leader PID is --lb-pid). Opens N idle clients, each from its own
      127.40.x.y address, waits until every one has its member's greeting, then:
        failover: SIGKILL the member holding the most clients; every client of it must reconnect through
                  the balancer (to another member) and get a greeting again;
        restart:  SIGKILL the balancer's process group and run CMD again at once; every client reconnects.
      A client whose connection ends retries at once, then after 50 ms doubling to 1 s (x0.5-1.5 jitter,
      seeded), until it is greeted; at most --concurrency attempts are in flight at once. Prints one JSON line: per-client time from the kill to the greeting
      (p50/p90/p99/max), time until all are back, clients of other members disconnected (must be 0 on
      failover), and failed attempts.
"""
import argparse
import asyncio
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time


def client_ip(i):
    return f"127.40.{i // 250}.{i % 250 + 1}"


# ---------------------------------------------------------------- member
async def member(port, ident):
    greeting = (ident + "\n").encode()

    async def handle(reader, writer):
        try:
            writer.write(greeting)
            await writer.drain()
            while await reader.read(4096):
                pass
        except (ConnectionError, OSError):
            pass
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", port, backlog=4096, reuse_address=True)
    async with server:
        await server.serve_forever()


# ---------------------------------------------------------------- clients
class Client:
    __slots__ = ("i", "ip", "member", "writer", "lost_at", "back_at", "attempts", "failed", "task")

    def __init__(self, i):
        self.i = i
        self.ip = client_ip(i)
        self.member = None
        self.writer = None
        self.lost_at = None
        self.back_at = None
        self.attempts = 0
        self.failed = 0
        self.task = None


class Storm:
    def __init__(self, port, rng):
        self.port = port
        self.rng = rng
        self.connected = 0
        self.all_connected = asyncio.Event()
        self.n = 0
        self.watch = None            # set of client indexes whose reconnect is being timed
        self.back = 0
        self.all_back = asyncio.Event()
        self.unexpected = 0          # clients not in watch that lost their connection during the event
        self.errors = {}             # failed attempts by exception class

    async def connect_once(self, c):
        # a plain non-blocking socket bound to the client's address: no getaddrinfo (asyncio would run
        # two per connect on its small thread pool, which stalls a storm of thousands)
        c.attempts += 1
        loop = asyncio.get_running_loop()
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        try:
            s.setblocking(False)
            s.bind((c.ip, 0))
            await asyncio.wait_for(loop.sock_connect(s, ("127.0.0.1", self.port)), 3)
            r, w = await asyncio.open_connection(sock=s)
        except BaseException:
            s.close()
            raise
        try:
            line = await asyncio.wait_for(r.readline(), 5)
        except BaseException:
            w.close()
            raise
        if not line:
            w.close()
            raise ConnectionError("closed before the greeting")
        return r, w, line.decode().strip()

    async def run_client(self, c, sem):
        first = True
        while True:
            delay = 0.05
            while True:
                try:
                    async with sem:
                        r, w, m = await self.connect_once(c)
                    break
                except (OSError, asyncio.TimeoutError, ConnectionError) as e:
                    c.failed += 1
                    self.errors[type(e).__name__] = self.errors.get(type(e).__name__, 0) + 1
                    await asyncio.sleep(delay * self.rng.uniform(0.5, 1.5))
                    delay = min(1.0, delay * 2)
            c.member, c.writer = m, w
            if first:
                first = False
                self.connected += 1
                if self.connected == self.n:
                    self.all_connected.set()
            elif self.watch is not None and c.i in self.watch and c.back_at is None:
                c.back_at = time.monotonic()
                self.back += 1
                if self.back == len(self.watch):
                    self.all_back.set()
            try:
                while await r.read(4096):
                    pass
            except (OSError, ConnectionError):
                pass
            w.close()
            c.lost_at = time.monotonic()
            if self.watch is not None and c.i not in self.watch:
                self.unexpected += 1
            # reconnect at once; the backoff applies only to failed attempts


def pct(sorted_vals, p):
    if not sorted_vals:
        return None
    k = max(0, min(len(sorted_vals) - 1, int(round(p / 100.0 * len(sorted_vals) + 0.5)) - 1))
    return sorted_vals[k]


async def phase(a):
    restarted = None
    rng = random.Random(a.seed)
    members = dict(kv.split("=") for kv in a.members.split(","))
    st = Storm(a.lb_port, rng)
    st.n = a.n
    clients = [Client(i) for i in range(a.n)]
    sem = asyncio.Semaphore(a.concurrency)
    t_start = time.monotonic()
    for c in clients:
        c.task = asyncio.ensure_future(st.run_client(c, sem))
    try:
        await asyncio.wait_for(st.all_connected.wait(), a.timeout)
    except asyncio.TimeoutError:
        print(json.dumps({"target": a.target, "event": a.event, "error":
                          f"only {st.connected} of {a.n} clients connected in {a.timeout}s"}))
        return 1
    connect_s = time.monotonic() - t_start
    per_member = {}
    for c in clients:
        per_member[c.member] = per_member.get(c.member, 0) + 1
    await asyncio.sleep(0)  # let the greeting loop settle
    if a.event == "failover":
        victim = max(per_member, key=per_member.get)
        st.watch = {c.i for c in clients if c.member == victim}
        t0 = time.monotonic()
        os.kill(int(members[victim]), signal.SIGKILL)
    else:
        victim = None
        st.watch = {c.i for c in clients}
        t0 = time.monotonic()
        os.killpg(a.lb_pid, signal.SIGKILL)
        restarted = subprocess.Popen(a.lb_cmd, shell=True, start_new_session=True,
                                     stdout=open(a.lb_log, "ab"), stderr=subprocess.STDOUT)
    try:
        await asyncio.wait_for(st.all_back.wait(), a.timeout)
        complete = True
    except asyncio.TimeoutError:
        complete = False
    times = sorted(c.back_at - t0 for c in clients if c.i in st.watch and c.back_at is not None)
    failed = sum(c.failed for c in clients if c.i in st.watch)
    moved_to = {}
    for c in clients:
        if c.i in st.watch and c.back_at is not None:
            moved_to[c.member] = moved_to.get(c.member, 0) + 1
    out = {
        "target": a.target, "event": a.event, "clients": a.n, "connect_all_s": round(connect_s, 2),
        "per_member": per_member, "victim": victim, "reconnecting": len(st.watch),
        "reconnected": len(times), "complete": complete,
        "first_back_s": round(times[0], 3) if times else None,
        "all_back_s": round(times[-1], 3) if complete and times else None,
        "p50_s": round(pct(times, 50), 3) if times else None,
        "p90_s": round(pct(times, 90), 3) if times else None,
        "p99_s": round(pct(times, 99), 3) if times else None,
        "failed_attempts": failed, "others_disconnected": st.unexpected if a.event == "failover" else None,
        "reconnected_to": moved_to, "errors": st.errors,
    }
    print(json.dumps(out), flush=True)
    for c in clients:
        c.task.cancel()
        if c.writer is not None:
            c.writer.close()
    await asyncio.sleep(0.2)
    if restarted is not None:
        os.killpg(restarted.pid, signal.SIGKILL)
    return 0 if complete else 1


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    m = sub.add_parser("member")
    m.add_argument("--port", type=int, required=True)
    m.add_argument("--id", required=True)
    ph = sub.add_parser("phase")
    ph.add_argument("--target", required=True)
    ph.add_argument("--lb-cmd", required=True)
    ph.add_argument("--lb-pid", type=int, required=True)
    ph.add_argument("--lb-log", required=True)
    ph.add_argument("--lb-port", type=int, required=True)
    ph.add_argument("--members", required=True, help="ID=PID,...")
    ph.add_argument("--n", type=int, required=True)
    ph.add_argument("--event", choices=["failover", "restart"], required=True)
    ph.add_argument("--concurrency", type=int, default=1000,
                    help="connect attempts in flight at once (the harness's own limit, the same for every balancer)")
    ph.add_argument("--timeout", type=float, default=90)
    ph.add_argument("--seed", type=int, default=14)
    a = p.parse_args()
    if a.cmd == "member":
        try:
            asyncio.run(member(a.port, a.id))
        except KeyboardInterrupt:
            pass
        return 0
    return asyncio.run(phase(a))


if __name__ == "__main__":
    sys.exit(main())
