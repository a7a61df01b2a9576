#!/usr/bin/env python3
"""Opens N TCP connections to the LB from N distinct source IPs 127.<base>.x.y, waits until the LB
lists them in /connections, and prints JSON: per-member counts of the probes and how many agree
with GET /lookup?ip= (the member the ring names). Then closes them. Usage: probe.py LB_PORT ADMIN_URL N BASE"""
import json, socket, sys, time, urllib.request

port, admin, n, base = int(sys.argv[1]), sys.argv[2].rstrip('/'), int(sys.argv[3]), int(sys.argv[4])
ips = [f"127.{base}.{i // 250}.{i % 250 + 1}" for i in range(n)]
socks = []
for ip in ips:
    s = socket.socket()
    s.bind((ip, 0))
    s.settimeout(10)
    s.connect(("127.0.0.1", port))
    socks.append(s)
prefix = f"127.{base}."
member_of = {}
deadline = time.time() + 30
while time.time() < deadline:
    body = urllib.request.urlopen(f"{admin}/connections?format=csv", timeout=10).read().decode()
    member_of = {}
    for line in body.splitlines()[1:]:
        ip, m = line.rsplit(",", 1)
        if ip.startswith(prefix):
            member_of[ip] = m
    if len(member_of) >= n:
        break
    time.sleep(0.5)
per_member, agree, disagree = {}, 0, []
for ip in ips:
    m = member_of.get(ip)
    per_member[m or "missing"] = per_member.get(m or "missing", 0) + 1
    owner = json.load(urllib.request.urlopen(f"{admin}/lookup?ip={ip}", timeout=10))["member"]
    if m == owner:
        agree += 1
    else:
        disagree.append(f"{ip}:{m}!={owner}")
for s in socks:
    s.close()
print(json.dumps({"probes": n, "seen": len(member_of), "per_member": dict(sorted(per_member.items())),
                  "agree_with_lookup": agree, "disagree": disagree[:10]}))
