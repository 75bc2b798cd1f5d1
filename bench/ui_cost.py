#!/usr/bin/env python3
"""What the inspector page costs the relay: sockeye's CPU per request with 1,000 calls per
second flowing, without --ui, with --ui and no page open, and with the page open in headless
Chromium (connected to the event stream, drawing each call), interleaved over rounds.

    bench/ui_cost.py [--sockeye target/release/sockeye] [--rate 1000] [--seconds 10] [--rounds 3]

sockeye relays to the stub daemon of bench/guard_cost.py (dockerd 20.10's answers); two
client threads on keep-alive connections send `GET /_ping` and `GET /v1.41/containers/json`
alternately, paced to --rate in all. sockeye's CPU is its user+system time from
/proc/PID/stat over the paced run (after a warm-up), divided by the requests made. The page
needs Debian's chromium and tests/browser's node modules (npm ci there).
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from guard_cost import call, stub, wait_for  # noqa: E402

TICK = os.sysconf("SC_CLK_TCK")
PATHS = ["/_ping", "/v1.41/containers/json"]


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as f:
        fields = f.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICK


def load(sock_path, rate, seconds, threads=2):
    """Paced calls; returns how many were made and the achieved rate."""
    done = [0] * threads
    start = time.monotonic() + 0.05

    def run(k):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.connect(sock_path)
        per = rate / threads
        i = 0
        while True:
            due = start + i / per
            if due - start >= seconds:
                break
            delay = due - time.monotonic()
            if delay > 0:
                time.sleep(delay)
            call(s, PATHS[i % 2])
            i += 1
        done[k] = i
        s.close()

    ts = [threading.Thread(target=run, args=(k,)) for k in range(threads)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    elapsed = time.monotonic() - start
    return sum(done), sum(done) / elapsed


def measure(o, work, upstream, variant):
    sock_path = os.path.join(work, "sockeye.sock")
    if os.path.exists(sock_path):
        os.unlink(sock_path)
    ui = [] if variant == "no --ui" else ["--ui", "127.0.0.1:0"]
    log = open(os.path.join(work, "sockeye.log"), "w+")
    proc = subprocess.Popen(
        [o.sockeye, "proxy", "--listen", f"unix://{sock_path}", "--upstream", f"unix://{upstream}", *ui],
        stdout=subprocess.DEVNULL, stderr=log,
    )
    page = None
    try:
        wait_for(sock_path, proc).close()
        if ui:
            for _ in range(100):
                log.seek(0)
                text = log.read()
                if "inspector on http://" in text:
                    break
                time.sleep(0.1)
            url = "http://" + text.split("inspector on http://")[1].split("/")[0] + "/"
        if variant == "--ui, page open":
            page = subprocess.Popen(
                ["node", os.path.join(os.path.dirname(os.path.abspath(__file__)), "ui_page.mjs"), url],
                stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
            )
            if page.stdout.readline().strip() != "ready":
                raise RuntimeError("the page did not load")
        load(sock_path, o.rate, 1.0)  # warm-up
        before = cpu_seconds(proc.pid)
        n, achieved = load(sock_path, o.rate, o.seconds)
        cpu = cpu_seconds(proc.pid) - before
        counts = ""
        if page:
            page.stdin.close()
            counts = page.stdout.read().strip()
            page.wait()
            page = None
        return cpu / n * 1e6, achieved, counts
    finally:
        if page:
            page.kill()
            page.wait()
        proc.terminate()
        proc.wait()
        log.close()


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--sockeye", default="target/release/sockeye")
    ap.add_argument("--rate", type=int, default=1000)
    ap.add_argument("--seconds", type=float, default=10)
    ap.add_argument("--rounds", type=int, default=3)
    o = ap.parse_args()
    work = tempfile.mkdtemp(prefix="sockeye-ui-cost.")
    upstream = os.path.join(work, "stub.sock")
    stub(upstream)
    variants = ["no --ui", "--ui, page closed", "--ui, page open"]
    results = {v: [] for v in variants}
    for r in range(o.rounds):
        # Interleaved, each round in a different order: the machine's load drifts.
        order = variants[r % 3:] + variants[: r % 3]
        for v in order:
            us, achieved, counts = measure(o, work, upstream, v)
            results[v].append(us)
            print(f"round {r + 1}  {v:18} {us:6.1f} µs CPU/request  at {achieved:6.0f} calls/s  {counts}", flush=True)
    print()
    print("| | sockeye CPU / request (median) | range | vs no --ui |")
    print("|---|---|---|---|")
    base = statistics.median(results["no --ui"])
    for v in variants:
        m = statistics.median(results[v])
        print(f"| {v} | {m:.1f} µs | {min(results[v]):.1f}–{max(results[v]):.1f} µs | {m / base:.2f}× |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
