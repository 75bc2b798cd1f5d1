#!/usr/bin/env python3
"""What guarding and recording cost per call, in instructions: sockeye under callgrind in
front of a stub daemon, N keep-alive `GET /_ping` and N `GET /v1.41/containers/json` on one
connection, plain and with each set of feature options. Instruction counts do not move with
the load of a shared machine, so two runs compare where timed CPU cannot.

    bench/guard_cost.py [--sockeye target/release/sockeye] [-n 2000] \
        [--variant 'policy+audit=--profile full --audit {dir}/audit.log' ...]

For each variant and path: counters zeroed after 50 warm-up calls (`callgrind_control -z`),
N calls, a dump (`callgrind_control -d`); prints instructions per call and the ratio to plain
sockeye. The stub answers as dockerd 20.10 does (same headers, a fixed three-container list),
keeps `/events` open and answers anything else 404. `--keep DIR` keeps the callgrind files
for `callgrind_annotate`.
"""

import argparse
import glob
import json
import os
import re
import shlex
import socket
import subprocess
import sys
import tempfile
import threading
import time

CONTAINERS = json.dumps(
    [
        {
            "Id": f"{i:064x}",
            "Names": [f"/web-{i}"],
            "Image": "sockeye-test/busybox:1",
            "ImageID": "sha256:" + "ab" * 32,
            "Command": "sleep 600",
            "Created": 1795389771 + i,
            "Ports": [],
            "Labels": {"com.example.team": "blue"},
            "State": "running",
            "Status": "Up 2 minutes",
            "HostConfig": {"NetworkMode": "default"},
            "NetworkSettings": {"Networks": {"bridge": {"IPAddress": f"172.17.0.{i + 2}"}}},
            "Mounts": [],
        }
        for i in range(3)
    ]
).encode() + b"\n"

COMMON = (
    b"Api-Version: 1.41\r\nDocker-Experimental: false\r\nOstype: linux\r\n"
    b"Server: Docker/20.10.24+dfsg1 (linux)\r\nDate: Mon, 23 Nov 2026 01:50:00 GMT\r\n"
)


def answer(path):
    if path == "/_ping":
        return (
            b"HTTP/1.1 200 OK\r\n" + COMMON + b"Cache-Control: no-cache, no-store, must-revalidate\r\n"
            b"Content-Length: 2\r\nContent-Type: text/plain; charset=utf-8\r\nPragma: no-cache\r\n\r\nOK"
        )
    if path.split("?")[0].endswith("/containers/json"):
        return (
            b"HTTP/1.1 200 OK\r\n" + COMMON + b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(CONTAINERS)}\r\n\r\n".encode() + CONTAINERS
        )
    body = b'{"message":"page not found"}\n'
    return (
        b"HTTP/1.1 404 Not Found\r\n" + COMMON + b"Content-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode() + body
    )


def serve(conn):
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            path = head.split(b" ", 2)[1].decode()
            if "/events" in path:
                conn.sendall(b"HTTP/1.1 200 OK\r\n" + COMMON + b"Content-Type: application/json\r\nTransfer-Encoding: chunked\r\n\r\n")
                while conn.recv(65536):
                    pass
                return
            conn.sendall(answer(path))
    except OSError:
        return
    finally:
        conn.close()


def stub(path):
    listener = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    listener.bind(path)
    listener.listen(128)

    def accept():
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=serve, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()


def call(sock, path):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: docker\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    m = re.search(rb"(?i)content-length: *(\d+)", head)
    length = int(m.group(1)) if m else 0
    while len(rest) < length:
        rest += sock.recv(65536)
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(head.decode(errors="replace"))


def wait_for(path, proc):
    for _ in range(600):
        if os.path.exists(path):
            try:
                s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
                s.connect(path)
                return s
            except OSError:
                pass
        if proc.poll() is not None:
            raise RuntimeError(f"sockeye exited: {proc.returncode}")
        time.sleep(0.1)
    raise RuntimeError(f"{path} never appeared")


def totals(outfile):
    with open(outfile) as f:
        for line in f:
            if line.startswith("summary:") or line.startswith("totals:"):
                return int(line.split()[1])
    raise RuntimeError(f"no totals in {outfile}")


def measure(sockeye, upstream, args, path, n, work):
    sock_path = os.path.join(work, "sockeye.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    out = os.path.join(work, "callgrind.out.%p")
    cmd = [
        "valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no",
        sockeye, "proxy", "--listen", f"unix://{sock_path}", "--upstream", f"unix://{upstream}",
        "-q", *args,
    ]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    try:
        s = wait_for(sock_path, proc)
        for _ in range(50):
            call(s, path)
        subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True, capture_output=True)
        for _ in range(n):
            call(s, path)
        before = set(glob.glob(os.path.join(work, f"callgrind.out.{proc.pid}*")))
        subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True, capture_output=True)
        dumps = sorted(set(glob.glob(os.path.join(work, f"callgrind.out.{proc.pid}*"))) - before)
        s.close()
        return totals(dumps[-1]) / n, dumps[-1]
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockeye", default="target/release/sockeye")
    ap.add_argument("-n", type=int, default=2000)
    ap.add_argument("--variant", action="append", default=[], help="NAME=ARGS ({dir} is a temp dir)")
    ap.add_argument("--keep", help="keep the callgrind files here")
    o = ap.parse_args()
    variants = [("plain", "")] + [tuple(v.split("=", 1)) for v in o.variant]
    if len(variants) == 1:
        variants.append(("policy+audit", "--profile full --audit {dir}/audit.log"))
    work = o.keep or tempfile.mkdtemp(prefix="sockeye-guard-cost.")
    os.makedirs(work, exist_ok=True)
    upstream = os.path.join(work, "stub.sock")
    if os.path.exists(upstream):
        os.unlink(upstream)
    stub(upstream)
    rows = []
    for path in ["/_ping", "/v1.41/containers/json"]:
        plain = None
        for name, args in variants:
            args = shlex.split(args.replace("{dir}", work))
            per_call, dump = measure(o.sockeye, upstream, args, path, o.n, work)
            plain = plain or per_call
            rows.append((path, name, per_call, per_call / plain, os.path.basename(dump)))
            print(f"{path:28} {name:16} {per_call:10.0f} instr/call  {per_call / plain:5.2f}x plain  {dump}", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
