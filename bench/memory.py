#!/usr/bin/env python3
"""Memory per idle connection, side by side: sockeye, HAProxy configured as Tecnativa's
docker-socket-proxy image configures it, and socat, each in front of the same stub upstream.

    bench/memory.py [--sockeye target/release/sockeye] [-n 10000] [--socat-n N]
                    [--bursts 8 --burst-size 5000] [--only sockeye,haproxy,socat]

Rows (each on a fresh proxy):
- keep-alive: N clients, each sends one `GET /_ping` and then holds its connection idle;
- events: N `GET /events` streams, each held idle once its response head arrived;
- bursts (sockeye and HAProxy): R rounds of M keep-alive clients (one request each) that all
  hang up; the proxy's RSS after each round and once more --late seconds after the last,
  against its baseline: is memory given back?

The proxy's memory (and its open descriptors) is read from /proc before the N connections and
once they are all open (VmRSS summed over the proxy's processes; PSS from smaps_rollup,
shared pages split between processes: the figure to compare for socat, which forks a
process per connection) and reported in KiB per connection. Memory is not sensitive to CPU
load, so these rows mean something on a busy machine too.

Descriptors: the script raises its soft limit to the hard one (and the proxies inherit it).
A proxy that holds two descriptors per client (the client's and a daemon connection: every
proxy on the events row, HAProxy nowhere else) can hold at most (hard limit - 100) / 2 of
them; such a row is cut to that count and says so. socat forks a process per client, each
with its own two.
"""

import argparse
import asyncio
import os
import re
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time

PING_ANSWER = (
    b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nCache-Control: no-cache, no-store, must-revalidate\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\nDocker-Experimental: false\r\n"
    b"Ostype: linux\r\nPragma: no-cache\r\nServer: Docker/20.10.24 (linux)\r\n"
    b"Date: Mon, 07 Dec 2026 12:00:00 GMT\r\nContent-Length: 2\r\n\r\nOK"
)
EVENTS_HEAD = (
    b"HTTP/1.1 200 OK\r\nApi-Version: 1.41\r\nContent-Type: application/json\r\n"
    b"Docker-Experimental: false\r\nOstype: linux\r\nServer: Docker/20.10.24 (linux)\r\n"
    b"Date: Mon, 07 Dec 2026 12:00:00 GMT\r\nTransfer-Encoding: chunked\r\n\r\n"
)


# --- the stub upstream (a process of its own: `memory.py __stub SOCKET`) ------------------------


async def stub_conn(reader, writer):
    buf = b""
    try:
        while True:
            while b"\r\n\r\n" not in buf:
                chunk = await reader.read(65536)
                if not chunk:
                    return
                buf += chunk
            head, _, buf = buf.partition(b"\r\n\r\n")
            path = head.split(b" ", 2)[1]
            if b"/events" in path:
                # dockerd writes the head at once and then only what happens: nothing here.
                writer.write(EVENTS_HEAD)
                await writer.drain()
                await reader.read(1)
                return
            writer.write(PING_ANSWER)
            await writer.drain()
    except (ConnectionError, OSError):
        pass
    finally:
        writer.close()


def stub_main(path):
    async def main():
        server = await asyncio.start_unix_server(stub_conn, path, backlog=4096)
        async with server:
            await server.serve_forever()

    asyncio.run(main())


# --- reading a proxy's memory --------------------------------------------------------------------


def tree(pid):
    """pid and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        try:
            for t in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{t}/children") as f:
                    todo.extend(int(c) for c in f.read().split())
        except OSError:
            pass
    return out


def kib(path, key):
    try:
        with open(path) as f:
            for line in f:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def fds(pid):
    try:
        return len(os.listdir(f"/proc/{pid}/fd"))
    except OSError:
        return 0


def memory(pid):
    procs = tree(pid)
    rss = sum(kib(f"/proc/{p}/status", "VmRSS:") for p in procs)
    pss = sum(kib(f"/proc/{p}/smaps_rollup", "Pss:") for p in procs)
    return rss, pss, len(procs), sum(fds(p) for p in procs)


# --- clients -------------------------------------------------------------------------------------


def read_head(s):
    buf = b""
    while b"\r\n\r\n" not in buf:
        chunk = s.recv(65536)
        if not chunk:
            raise RuntimeError(f"closed before a response head: {buf[:200]!r}")
        buf += chunk
    head, _, rest = buf.partition(b"\r\n\r\n")
    if not head.startswith(b"HTTP/1.1 200"):
        raise RuntimeError(f"answer: {head[:200]!r}")
    return head, rest


def ping(s):
    s.sendall(b"GET /_ping HTTP/1.1\r\nHost: docker\r\nUser-Agent: Docker-Client/20.10.24 (linux)\r\n\r\n")
    head, rest = read_head(s)
    while len(rest) < 2:
        rest += s.recv(65536)


def open_clients(sock, n, kind):
    conns = []
    for _ in range(n):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(30)
        s.connect(sock)
        if kind == "events":
            s.sendall(b"GET /v1.41/events HTTP/1.1\r\nHost: docker\r\n\r\n")
            read_head(s)
        else:
            ping(s)
        conns.append(s)
    return conns


# --- proxies -------------------------------------------------------------------------------------

# HAProxy's configuration as Tecnativa's image has it, shared with bench/relay.rs.
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "haproxy-tecnativa.cfg")) as f:
    TECNATIVA_CFG = f.read()
# Every variable its rules read (the image sets them all), and its defaults: EVENTS, PING and
# VERSION on; POST off.
TECNATIVA_VARS = sorted(set(re.findall(r"env\((\w+)\)", TECNATIVA_CFG)))
ON_BY_DEFAULT = {"EVENTS", "PING", "VERSION"}


def haproxy_cfg(listen, upstream, maxconn, keepalive):
    cfg = TECNATIVA_CFG
    for name, value in [("@LISTEN@", listen), ("@UPSTREAM@", upstream),
                        ("@GLOBAL_MAXCONN@", str(maxconn)), ("@MAXCONN@", str(maxconn)),
                        ("@KEEPALIVE@", keepalive), ("@GLOBAL_EXTRA@", "    no strict-limits")]:
        cfg = cfg.replace(name, value)
    return cfg


def wait_socket(path, proc, what):
    deadline = time.time() + 20
    while time.time() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited with {proc.returncode}")
        try:
            s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
            s.connect(path)
            s.close()
            return
        except OSError:
            time.sleep(0.05)
    raise RuntimeError(f"{what} did not listen on {path}")


class Proxy:
    def __init__(self, kind, args, work, upstream, n):
        self.kind = kind
        self.sock = os.path.join(work, f"{kind}.sock")
        if os.path.exists(self.sock):
            os.unlink(self.sock)
        env = dict(os.environ)
        if kind == "sockeye":
            cmd = [args.sockeye, "proxy", "--listen", f"unix://{self.sock}",
                   "--upstream", f"unix://{upstream}", "--quiet", *args.sockeye_arg]
        elif kind == "haproxy":
            cfg = os.path.join(work, "haproxy.cfg")
            # Tecnativa's maxconn (3,000; 4,000 global) would refuse the rows' connections
            # and its 10 s keep-alive timeout would close the idle ones before they are
            # measured: both are raised here. `no strict-limits`: HAProxy 2.6 refuses to
            # start when the descriptor limit is below 2 x maxconn (20,000 < 21,017 for
            # 10,000 clients), although an idle keep-alive client holds one. Nothing else is
            # changed.
            with open(cfg, "w") as f:
                f.write(haproxy_cfg(self.sock, upstream, max(4000, n + 500), "10m"))
            env.update({v: "1" if v in ON_BY_DEFAULT else "0" for v in TECNATIVA_VARS})
            env.update(LOG_LEVEL="info")
            cmd = [args.haproxy, "-db", "-f", cfg]
        else:
            cmd = [args.socat, "-b", "131072", f"UNIX-LISTEN:{self.sock},fork,backlog=1024",
                   f"UNIX-CONNECT:{upstream}"]
        self.proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL,
                                     stderr=subprocess.DEVNULL, start_new_session=True)
        wait_socket(self.sock, self.proc, kind)

    def stop(self):
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        self.proc.wait()


def settle(proxy, seconds=1.0):
    time.sleep(seconds)
    return memory(proxy.proc.pid)


def idle_row(args, work, upstream, kind, row, n):
    p = Proxy(kind, args, work, upstream, n)
    try:
        # One request first: lazily made state (runtimes, pools) is then in the baseline.
        for c in open_clients(p.sock, 2, "ping"):
            c.close()
        before = settle(p)
        conns = open_clients(p.sock, n, row)
        # sockeye closes an idle client's daemon connection 1 s after its last answer, and
        # jemalloc purges what was freed after 10 s: --settle 12 to read it after that.
        after = settle(p, args.settle)
        for c in conns:
            c.close()
        return before, after
    finally:
        p.stop()


def burst_row(args, work, upstream, kind):
    p = Proxy(kind, args, work, upstream, args.burst_size)
    try:
        for c in open_clients(p.sock, 2, "ping"):
            c.close()
        base = settle(p)
        rounds = []
        for _ in range(args.bursts):
            conns = open_clients(p.sock, args.burst_size, "ping")
            peak = memory(p.proc.pid)
            for c in conns:
                c.close()
            rounds.append((peak, settle(p, 2.0)))
        # An allocator may give pages back after a delay (jemalloc's decay: 10 s).
        late = settle(p, args.late)
        return base, rounds, late
    finally:
        p.stop()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--sockeye", default="target/release/sockeye")
    ap.add_argument("--sockeye-arg", action="append", default=[],
                    help="extra `sockeye proxy` argument (repeat)")
    ap.add_argument("--haproxy", default=shutil.which("haproxy") or "/usr/sbin/haproxy")
    ap.add_argument("--socat", default=shutil.which("socat") or "/usr/bin/socat")
    ap.add_argument("-n", type=int, default=10000, help="idle connections per row")
    ap.add_argument("--socat-n", type=int, default=None,
                    help="socat forks a process per connection: fewer for it (default: -n)")
    ap.add_argument("--settle", type=float, default=3.0,
                    help="seconds between the last client's answer and reading memory")
    ap.add_argument("--bursts", type=int, default=8)
    ap.add_argument("--burst-size", type=int, default=5000)
    ap.add_argument("--late", type=float, default=15.0,
                    help="after the last burst, read RSS again this many seconds later")
    ap.add_argument("--only", default="sockeye,haproxy,socat")
    ap.add_argument("--rows", default="keep-alive,events,bursts")
    args = ap.parse_args()

    if args.socat_n is None:
        args.socat_n = args.n
    want = 2 * max(args.n, args.burst_size) + 1000
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft < want:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (want, max(want, hard)))
        except (ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    limit = resource.getrlimit(resource.RLIMIT_NOFILE)[0]
    # The most clients a proxy holding two descriptors for each can take.
    two_per_client = (limit - 100) // 2

    work = tempfile.mkdtemp(prefix="sockeye-memory.")
    upstream = os.path.join(work, "stub.sock")
    stub = subprocess.Popen([sys.executable, os.path.abspath(__file__), "__stub", upstream],
                            start_new_session=True)
    try:
        wait_socket(upstream, stub, "stub upstream")
        kinds = args.only.split(",")
        rows = args.rows.split(",")
        print(f"# {time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}; "
              f"{os.cpu_count()} CPUs; load {os.getloadavg()[0]:.2f}; sockeye {args.sockeye} "
              f"{' '.join(args.sockeye_arg)}")
        print("\n| row | proxy | connections | RSS before MiB | RSS after MiB | RSS KiB/conn "
              "| PSS before MiB | PSS after MiB | PSS KiB/conn | processes | descriptors |")
        print("|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
        for row in [r for r in rows if r in ("keep-alive", "events")]:
            for kind in kinds:
                n = args.socat_n if kind == "socat" else args.n
                # On the events row every proxy holds a daemon connection per client.
                if row == "events" and kind != "socat" and n > two_per_client:
                    print(f"<!-- {kind} {row}: {n} cut to {two_per_client}, the most two "
                          f"descriptors each allow under the limit of {limit} -->", flush=True)
                    n = two_per_client
                (rb, pb, _, _), (ra, pa, procs, fd) = idle_row(args, work, upstream, kind, row, n)
                print(f"| {row} | {kind} | {n} | {rb / 1024:.1f} | {ra / 1024:.1f} | "
                      f"{(ra - rb) / n:.1f} | {pb / 1024:.1f} | {pa / 1024:.1f} | "
                      f"{(pa - pb) / n:.1f} | {procs} | {fd} |", flush=True)
        if "bursts" in rows:
            print(f"\n| proxy | baseline RSS MiB | {args.bursts} rounds of {args.burst_size}: "
                  f"RSS MiB with all open → 2 s after they hung up | {args.late:g} s later |")
            print("|---|---:|---|---:|")
            for kind in [k for k in kinds if k != "socat"]:
                (base, _, _, _), rounds, late = burst_row(args, work, upstream, kind)
                cells = ", ".join(f"{peak[0] / 1024:.0f}→{after[0] / 1024:.1f}"
                                  for peak, after in rounds)
                print(f"| {kind} | {base / 1024:.1f} | {cells} | {late[0] / 1024:.1f} |",
                      flush=True)
    finally:
        os.killpg(stub.pid, signal.SIGKILL)
        stub.wait()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    if len(sys.argv) == 3 and sys.argv[1] == "__stub":
        stub_main(sys.argv[2])
    else:
        main()
