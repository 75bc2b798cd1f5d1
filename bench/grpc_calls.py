# Latency of unary gRPC calls on one upgraded /grpc connection: ListWorkers (relayed by
# sockeye, answered by BuildKit) and a Solve asking for network.host (decided by sockeye).
# Used by docs/benchmarks.md, "BuildKit under a policy": python3 -m venv V; V/bin/pip install h2;
# V/bin/python bench/grpc_calls.py SOCKET N [solve]. The Solve (asking network.host) is only
# for a sockeye with a policy that refuses it: sent to the daemon directly, BuildKit runs it.
import socket, sys, time, statistics
import h2.connection, h2.events, h2.config

def connect(path):
    s = socket.socket(socket.AF_UNIX); s.connect(path)
    s.sendall(b"POST /grpc HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\nContent-Length: 0\r\n\r\n")
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += s.recv(4096)
    head, rest = buf.split(b"\r\n\r\n", 1)
    assert b" 101 " in head.split(b"\r\n")[0], head
    c = h2.connection.H2Connection(h2.config.H2Configuration(client_side=True))
    c.initiate_connection(); s.sendall(c.data_to_send())
    if rest: c.receive_data(rest)
    return s, c

def call(s, c, method, msg):
    sid = c.get_next_available_stream_id()
    c.send_headers(sid, [(":method","POST"),(":scheme","http"),(":authority","docker"),(":path",method),("content-type","application/grpc"),("te","trailers")])
    c.send_data(sid, b"\0" + len(msg).to_bytes(4,"big") + msg, end_stream=True)
    s.sendall(c.data_to_send())
    status = None
    while True:
        data = s.recv(65536)
        if not data: raise SystemExit("closed")
        for ev in c.receive_data(data):
            if isinstance(ev, h2.events.DataReceived):
                c.acknowledge_received_data(ev.flow_controlled_length, sid)
            if isinstance(ev, (h2.events.ResponseReceived, h2.events.TrailersReceived)) and ev.stream_id == sid:
                for k, v in ev.headers:
                    if k == b"grpc-status": status = v
            if isinstance(ev, h2.events.StreamEnded) and ev.stream_id == sid:
                s.sendall(c.data_to_send()); return status
        s.sendall(c.data_to_send())

path, n = sys.argv[1], int(sys.argv[2])
s, c = connect(path)
solve = b"\x4a\x0cnetwork.host"
calls = [("/moby.buildkit.v1.Control/ListWorkers", b"")] + ([("/moby.buildkit.v1.Control/Solve", solve)] if len(sys.argv) > 3 else [])
for method, msg in calls:
    call(s, c, method, msg)
    ts = []
    for _ in range(n):
        t0 = time.perf_counter(); st = call(s, c, method, msg); ts.append(time.perf_counter() - t0)
    print(f"{method.split('/')[-1]:12} grpc-status {st.decode() if st else None}: median {statistics.median(ts)*1e6:7.0f} us, p90 {sorted(ts)[int(n*0.9)]*1e6:7.0f} us")
