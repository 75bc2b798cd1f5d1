#!/usr/bin/env python3
"""What a decision that consults the daemon costs: `GET /containers/{id}/json` on one
keep-alive connection, directly and through sockeye with no policy, with `--profile no-escape`
(decides without asking the daemon) and with `--isolate` (asks the daemon who owns the
container: a cache hit while its events stream is live, a miss the first time a reference is
seen). Miss rounds name the container by a different ID prefix each time (12 to 64 hex
digits), so every lookup is one the cache has not seen.

    bench/state.py [--daemon unix:///tmp/sockeye-dockerd/docker.sock] [--sockeye PATH] [-n 2000]

Prints wall time per request (median, p90) and sockeye's CPU per request (user+system, from
/proc/PID/stat). Timings on a shared 2-core machine are noisy: compare within one run.
"""

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time


def request(sock, path):
    sock.sendall(f"GET {path} HTTP/1.1\r\nHost: docker\r\n\r\n".encode())
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = sock.recv(65536)
        if not chunk:
            raise RuntimeError("connection closed")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    status = int(head.split(b" ", 2)[1])
    length = None
    chunked = False
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
        if k.strip().lower() == b"transfer-encoding" and b"chunked" in v.lower():
            chunked = True
    if length is not None:
        while len(rest) < length:
            rest += sock.recv(65536)
        return status, rest[:length]
    if chunked:
        while not rest.endswith(b"0\r\n\r\n"):
            rest += sock.recv(65536)
        return status, rest
    return status, rest


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def run(socket_path, paths, pid=None):
    s = socket.socket(socket.AF_UNIX)
    s.connect(socket_path)
    times = []
    cpu0 = cpu_seconds(pid) if pid else 0.0
    for p in paths:
        t = time.perf_counter()
        status, _ = request(s, p)
        times.append(time.perf_counter() - t)
        if status != 200:
            raise RuntimeError(f"{p}: {status}")
    cpu = (cpu_seconds(pid) - cpu0) / len(paths) if pid else None
    s.close()
    return times, cpu


def start_sockeye(binary, upstream, args, tmp, name):
    path = os.path.join(tmp, f"{name}.sock")
    p = subprocess.Popen(
        [binary, "proxy", "-q", "--listen", f"unix://{path}", "--upstream", f"unix://{upstream}", *args],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    for _ in range(200):
        if os.path.exists(path):
            break
        time.sleep(0.02)
    time.sleep(0.3)  # the events stream connects (the cache is live only then)
    return p, path


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--daemon", default="unix:///tmp/sockeye-dockerd/docker.sock")
    ap.add_argument("--sockeye", default="target/release/sockeye")
    ap.add_argument("-n", type=int, default=2000)
    a = ap.parse_args()
    upstream = a.daemon.removeprefix("unix://")
    tmp = tempfile.mkdtemp(prefix="sockeye-bench-state.")
    procs = []
    try:
        iso, iso_path = start_sockeye(
            a.sockeye, upstream, ["--isolate", "--isolate-share", "image=sockeye-test/*"], tmp, "isolate"
        )
        procs.append(iso)
        # A container the isolating sockeye's caller (this uid) owns.
        s = socket.socket(socket.AF_UNIX)
        s.connect(iso_path)
        body = json.dumps({"Image": "sockeye-test/busybox:1", "Cmd": ["true"]}).encode()
        s.sendall(
            b"POST /v1.41/containers/create HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n\r\n".encode()
            + body
        )
        status, answer = request_after_send(s)
        cid = json.loads(answer)["Id"]
        s.close()
        plain, plain_path = start_sockeye(a.sockeye, upstream, [], tmp, "plain")
        procs.append(plain)
        guarded, guarded_path = start_sockeye(a.sockeye, upstream, ["--profile", "no-escape"], tmp, "policy")
        procs.append(guarded)
        path = f"/v1.41/containers/{cid}/json"
        same = [path] * a.n
        misses = [f"/v1.41/containers/{cid[:k]}/json" for k in range(12, 65)]
        rows = []
        for label, sock, pid, paths in [
            ("direct", upstream, None, same),
            ("sockeye", plain_path, plain.pid, same),
            ("sockeye --profile no-escape", guarded_path, guarded.pid, same),
            ("sockeye --isolate, cache hit", iso_path, iso.pid, same),
            ("sockeye --isolate, cache miss", iso_path, iso.pid, misses),
        ]:
            if label.endswith("miss"):
                # No warm-up: every prefix is new to the cache, and the volume events
                # drop whatever the hit row left in it.
                drop_cache(iso_path)
            else:
                run(sock, paths[:50], pid)  # warm up
            times, cpu = run(sock, paths, pid)
            rows.append((label, len(paths), statistics.median(times), sorted(times)[int(len(times) * 0.9)], cpu))
        base = rows[0][2]
        print(f"{'':32} {'n':>5} {'median':>10} {'p90':>10} {'vs direct':>10} {'CPU/request':>12}")
        for label, n, med, p90, cpu in rows:
            cpu_s = f"{cpu * 1e6:.0f} µs" if cpu is not None else "-"
            print(f"{label:32} {n:>5} {med * 1e6:>8.0f}µs {p90 * 1e6:>8.0f}µs {med / base:>9.2f}× {cpu_s:>12}")
        subprocess.run(
            ["curl", "-s", "-o", "/dev/null", "--unix-socket", upstream, "-X", "DELETE",
             f"http://docker/containers/{cid}?force=1"],
            check=False,
        )
    finally:
        for p in procs:
            p.terminate()
            p.wait()


def request_after_send(sock):
    buf = b""
    while b"\r\n\r\n" not in buf:
        buf += sock.recv(65536)
    head, _, rest = buf.partition(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n")[1:]:
        k, _, v = line.partition(b":")
        if k.strip().lower() == b"content-length":
            length = int(v.strip())
    while len(rest) < length:
        rest += sock.recv(65536)
    return int(head.split(b" ", 2)[1]), rest[:length]


def drop_cache(iso_path):
    """A volume create and remove through the isolating sockeye: two daemon events that drop
    every cached container answer (`guard::state::on_event`)."""
    for method, path, body in [
        ("POST", "/v1.41/volumes/create", json.dumps({"Name": "sockeye-bench-state"})),
        ("DELETE", "/v1.41/volumes/sockeye-bench-state", ""),
    ]:
        s = socket.socket(socket.AF_UNIX)
        s.connect(iso_path)
        data = body.encode()
        s.sendall(
            f"{method} {path} HTTP/1.1\r\nHost: docker\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(data)}\r\nConnection: close\r\n\r\n".encode() + data
        )
        request_after_send(s)
        s.close()
    time.sleep(0.2)


if __name__ == "__main__":
    sys.exit(main())
