#!/usr/bin/env python3
"""What each audit sink costs per call, in one run: sockeye in front of the stub daemon of
bench/guard_cost.py, N keep-alive `GET /_ping` on one connection, with the file sink
(`--audit FILE`), each remote sink alone (`--audit-syslog tcp://…`, `--audit-otlp http://…`,
`--audit-otlp … --audit-otlp-protocol grpc` is not measured: this receiver speaks HTTP/1.1)
and all of them, against sockeye without a sink.

    bench/sink_cost.py [--sockeye target/release/sockeye] [-n 20000] [--rounds 3] [--callgrind]

A remote sink's work is not over when the call is answered: its records are shipped by a
thread of their own, so a measurement ends only once the receiver holds every record of
the measured calls (and of the warm-up). The receivers here are minimal (a TCP reader that
counts syslog frames, an HTTP/1.1 server that counts log records and answers 200), run in
this process, and their CPU is not sockeye's.

CPU is the process's user + system time from /proc/PID/stat (median of the rounds, per
call); with --callgrind, instructions per call as bench/guard_cost.py counts them (all
threads of the process; load-independent).
"""

import argparse
import glob
import os
import re
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guard_cost import call, stub, totals, wait_for  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")


class Count:
    def __init__(self):
        self.n = 0
        self.lock = threading.Lock()

    def add(self, k):
        with self.lock:
            self.n += k

    def get(self):
        with self.lock:
            return self.n


def listen(handler):
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(16)

    def accept():
        while True:
            conn, _ = listener.accept()
            threading.Thread(target=handler, args=(conn,), daemon=True).start()

    threading.Thread(target=accept, daemon=True).start()
    return listener.getsockname()[1]


def syslog_receiver(count):
    """Octet-counted syslog over TCP (RFC 6587): counts frames."""

    def handle(conn):
        buf = b""
        while True:
            chunk = conn.recv(1 << 20)
            if not chunk:
                return
            buf += chunk
            while True:
                sp = buf.find(b" ")
                if sp < 0:
                    break
                length = int(buf[:sp])
                if len(buf) < sp + 1 + length:
                    break
                buf = buf[sp + 1 + length:]
                count.add(1)

    return listen(handle)


def otlp_receiver(count):
    """OTLP/HTTP: counts log records by their `docker.call.id` key, answers 200."""

    def handle(conn):
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = conn.recv(1 << 20)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            length = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
            while len(buf) < length:
                buf += conn.recv(1 << 20)
            body, buf = buf[:length], buf[length:]
            count.add(body.count(b"docker.call.id"))
            conn.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/x-protobuf\r\nContent-Length: 0\r\n\r\n"
            )

    return listen(handle)


def cpu(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def measure(sockeye, upstream, args, counts, n, work, callgrind):
    sock_path = os.path.join(work, "sockeye.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    spool = ["--audit-spool", tempfile.mkdtemp(dir=work, prefix="spool.")] if counts else []
    cmd = [sockeye, "proxy", "--listen", f"unix://{sock_path}", "--upstream", f"unix://{upstream}",
           "-q", *spool, *args]
    if callgrind:
        out = os.path.join(work, "callgrind.out.%p")
        cmd = ["valgrind", "--tool=callgrind", f"--callgrind-out-file={out}", "--dump-instr=no", *cmd]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    warm = 200
    try:
        s = wait_for(sock_path, proc)
        base = [c.get() for c in counts]

        def delivered(k):
            deadline = time.time() + 600
            while any(c.get() - b < k for c, b in zip(counts, base)):
                if time.time() > deadline:
                    raise RuntimeError("the receivers never got every record")
                time.sleep(0.01)

        for _ in range(warm):
            call(s, "/_ping")
        delivered(warm)
        if callgrind:
            subprocess.run(["callgrind_control", "-z", str(proc.pid)], check=True, capture_output=True)
        start = cpu(proc.pid)
        for _ in range(n):
            call(s, "/_ping")
        delivered(warm + n)
        used = cpu(proc.pid) - start
        instr = None
        if callgrind:
            before = set(glob.glob(os.path.join(work, f"callgrind.out.{proc.pid}*")))
            subprocess.run(["callgrind_control", "-d", str(proc.pid)], check=True, capture_output=True)
            dumps = sorted(set(glob.glob(os.path.join(work, f"callgrind.out.{proc.pid}*"))) - before)
            instr = totals(dumps[-1]) / n
        s.close()
        return used / n * 1e6, instr
    finally:
        proc.terminate()
        proc.wait()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockeye", default="target/release/sockeye")
    ap.add_argument("-n", type=int, default=20000)
    ap.add_argument("--rounds", type=int, default=3)
    ap.add_argument("--callgrind", action="store_true")
    o = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sockeye-sink-cost.")
    upstream = os.path.join(work, "stub.sock")
    stub(upstream)
    syslog_n, otlp_n = Count(), Count()
    syslog = f"tcp://127.0.0.1:{syslog_receiver(syslog_n)}"
    otlp = f"http://127.0.0.1:{otlp_receiver(otlp_n)}/v1/logs"
    audit = ["--audit", os.path.join(work, "audit.log")]
    variants = [
        ("no sink", [], []),
        ("file", audit, []),
        ("syslog", ["--audit-syslog", syslog], [syslog_n]),
        ("otlp", ["--audit-otlp", otlp], [otlp_n]),
        ("file+syslog+otlp", [*audit, "--audit-syslog", syslog, "--audit-otlp", otlp], [syslog_n, otlp_n]),
    ]
    results = {name: [] for name, _, _ in variants}
    instrs = {}
    if o.callgrind:
        for name, args, counts in variants:
            instrs[name] = measure(o.sockeye, upstream, args, counts, 2000, work, True)[1]
    for _ in range(o.rounds):
        for name, args, counts in variants:
            results[name].append(measure(o.sockeye, upstream, args, counts, o.n, work, False)[0])
    file_cpu = statistics.median(results["file"])
    file_instr = instrs.get("file")
    print(f"| sinks | CPU µs/call | ÷ file | instructions/call | ÷ file |")
    print(f"| --- | ---: | ---: | ---: | ---: |")
    for name, _, _ in variants:
        c = statistics.median(results[name])
        i = instrs.get(name)
        i_text = f"{i:,.0f} | {i / file_instr:.2f}" if i else " | "
        print(f"| {name} | {c:.1f} | {c / file_cpu:.2f} | {i_text} |", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
