import socket, sys, time
# sequential new connections, one HTTP request each (Connection: close), paced to RATE/s
port, n, rate = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
ka = len(sys.argv) > 4 and sys.argv[4] == "ka"
req = b"GET /small HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n" if not ka else b"GET /small HTTP/1.1\r\nHost: x\r\n\r\n"
t0 = time.time(); done = 0
if ka:
    s = socket.create_connection(("127.0.0.1", port))
for i in range(n):
    if not ka:
        s = socket.create_connection(("127.0.0.1", port))
    s.sendall(req)
    buf = b""
    while b"ok\n" not in buf:
        d = s.recv(4096)
        if not d:
            if ka:
                s = socket.create_connection(("127.0.0.1", port)); s.sendall(req); buf = b""; continue
            break
        buf += d
    if not ka:
        s.close()
    done += 1
    lag = t0 + done / rate - time.time()
    if lag > 0: time.sleep(lag)
print(done, "in", round(time.time() - t0, 1), "s")
