import asyncio, sys
# usage: hold.py MODE PORT N   MODE=server: accept and hold; MODE=client: open N from distinct IPs, print, hold until stdin EOF
async def server(port):
    conns=[]
    async def h(r,w): conns.append(w)
    s = await asyncio.start_server(h, "127.0.0.1", port, backlog=4096)
    print("listening", flush=True)
    await asyncio.Event().wait()
async def client(port, n, base):
    conns=[]
    for i in range(n):
        ip = f"127.{base + i // 65536}.{(i // 256) % 256}.{1 + i % 254}"
        r, w = await asyncio.wait_for(asyncio.open_connection("127.0.0.1", port, local_addr=(ip, 0)), 10)
        conns.append(w)
    print("open", len(conns), flush=True)
    await asyncio.get_running_loop().run_in_executor(None, sys.stdin.read)
if sys.argv[1]=="server": asyncio.run(server(int(sys.argv[2])))
else: asyncio.run(client(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]) if len(sys.argv)>4 else 30))
