#!/usr/bin/env python3
"""docker-py (docker==7.1.0) client exercise for sockeye's hijacked endpoints.

Runs a fixed list of steps against DOCKER_HOST (docker.from_env()) and prints
exactly one deterministic line per step on stdout:

    <step>: <result>
    <step>: error: <ExceptionType>: <message>

followed by a final "cleanup: ..." line. The output is meant to be compared
between a run against dockerd directly and a run through sockeye, so it holds
no container/exec ids, timings or random names.

Wire notes (docker-py 7.1.0): attach, attach_socket and non-detached
exec_start all send "Connection: Upgrade" + "Upgrade: tcp" and get
"101 UPGRADED"; a detached exec_start sends neither and gets a plain
"200 OK, Content-Length: 0". docker-py reads the hijacked stream from the raw
socket *under* http.client's buffered reader, so stream bytes that arrive in
the same read as the 101 response head are silently lost: a relay must not
hand the client the response head and the first stream bytes together.

Exit status: 0 once all steps ran (whatever their result), 2 if the daemon
cannot be reached at all, 3 if the docker package is missing/wrong version.

Environment:
    DOCKER_HOST            daemon (or relay) to talk to, read by from_env()
    SOCKEYE_TEST_IMAGE     local image to use (default sockeye-test/busybox:1;
                           it is never pulled)
    SOCKEYE_TEST_TIMEOUT   docker-py request/socket timeout in seconds
                           (default 60); each step is additionally bounded
                           by a SIGALRM watchdog of TIMEOUT+30 seconds
"""

import os
import re
import signal
import socket
import sys
import time
import uuid

EXPECTED_DOCKER_PY = "7.1.0"

try:
    import docker
    import docker.errors
    from docker.utils.socket import (
        consume_socket_output,
        demux_adaptor,
        frames_iter,
    )
except ImportError as exc:  # pragma: no cover - handled by run.sh
    print(f"docker_py.py: cannot import docker: {exc}", file=sys.stderr)
    sys.exit(3)

if docker.__version__ != EXPECTED_DOCKER_PY:
    print(
        f"docker_py.py: need docker=={EXPECTED_DOCKER_PY}, "
        f"found {docker.__version__} ({docker.__file__})",
        file=sys.stderr,
    )
    sys.exit(3)

IMAGE = os.environ.get("SOCKEYE_TEST_IMAGE") or "sockeye-test/busybox:1"
TIMEOUT = int(os.environ.get("SOCKEYE_TEST_TIMEOUT") or "60")
STEP_TIMEOUT = TIMEOUT + 30
POLL_LIMIT = 10.0  # seconds to wait for an exec to report not running

RUN_ID = uuid.uuid4().hex[:12]
LABELS = {"sockeye-test": "docker-py", "sockeye-test-run": RUN_ID}

# Names of every container this script asked dockerd to create; all of them
# are force-removed at the end whatever happened.
CREATED = []
# Objects shared between steps (e.g. the attach-stream container for logs).
STATE = {}


class StepTimeout(Exception):
    pass


def _on_alarm(signum, frame):
    raise StepTimeout(f"step did not finish within {STEP_TIMEOUT}s")


def new_name(role):
    name = f"sockeye-py-{RUN_ID}-{role}"
    CREATED.append(name)
    return name


def emit(step, result):
    print(f"{step}: {result}", flush=True)


_HEX_ID = re.compile(r"\b[0-9a-f]{64}\b")


def one_line(text):
    """Error text on one line, with this run's random name part and any
    64-hex container/exec/image ids masked so that errors compare too."""
    text = " ".join(str(text).split())
    text = text.replace(RUN_ID, "<run>")
    return _HEX_ID.sub("<id>", text)


def close_quietly(obj):
    if obj is None:
        return
    try:
        obj.close()
    except Exception:
        pass


def hijacked_socket_close(sock):
    """Close the SocketIO returned by attach_socket / exec_start(socket=True)
    and the real socket under it."""
    close_quietly(sock)
    close_quietly(getattr(sock, "_sock", None))


def read_demuxed(sock):
    """Read a non-tty hijacked stream until EOF and split stdout/stderr."""
    frames = frames_iter(sock, False)
    return consume_socket_output(
        (demux_adaptor(*frame) for frame in frames), demux=True
    )


def wait_exec_done(client, exec_id):
    """Poll exec_inspect until the exec is no longer running (bounded)."""
    deadline = time.monotonic() + POLL_LIMIT
    while True:
        info = client.api.exec_inspect(exec_id)
        if not info.get("Running"):
            return info
        if time.monotonic() >= deadline:
            raise TimeoutError(f"exec still running after {POLL_LIMIT:.0f}s")
        time.sleep(0.05)


def sleeper(client):
    """A running `sleep 300` container shared by the exec steps."""
    c = STATE.get("sleeper")
    if c is None:
        c = client.containers.create(
            IMAGE, ["sleep", "300"], name=new_name("sleeper"), labels=LABELS
        )
        STATE["sleeper"] = c
        c.start()
    return c


# --------------------------------------------------------------------------
# steps


def step_run(client):
    # Make sure containers.run() can never fall back to pulling the image.
    client.images.get(IMAGE)
    out = client.containers.run(
        IMAGE,
        ["sh", "-c", "echo out; echo err >&2"],
        remove=True,
        stdout=True,
        stderr=True,
        name=new_name("run"),
        labels=LABELS,
    )
    # stdout and stderr reach the json-file log through two independent
    # copier goroutines in dockerd, so "out" and "err" come back in either
    # order (about 40% err-first on dockerd 20.10): print the sorted lines.
    return "sorted-lines=" + repr(sorted(out.splitlines(keepends=True)))


def step_attach_stream(client):
    c = client.containers.create(
        IMAGE,
        ["sh", "-c", "echo a; sleep 0.2; echo b; exit 3"],
        name=new_name("attach-stream"),
        labels=LABELS,
    )
    STATE["attach-stream"] = c
    # Container.attach -> APIClient.attach: POST /containers/{id}/attach
    # ?logs=1&stdout=1&stderr=1&stream=1 with Connection: Upgrade; the
    # returned CancellableStream already strips the 8-byte frame headers.
    stream = c.attach(stream=True, stdout=True, stderr=True, logs=True)
    try:
        c.start()
        chunks = [chunk for chunk in stream]
    finally:
        close_quietly(stream)
    code = c.wait(timeout=TIMEOUT)["StatusCode"]
    return f"output={b''.join(chunks)!r} exit={code}"


def step_attach_socket(client):
    c = client.containers.create(
        IMAGE,
        ["cat"],
        stdin_open=True,
        name=new_name("attach-socket"),
        labels=LABELS,
    )
    sock = client.api.attach_socket(
        c.id, params={"stdin": 1, "stdout": 1, "stream": 1}
    )
    try:
        c.start()
        sock._sock.sendall(b"hello\n")
        sock._sock.shutdown(socket.SHUT_WR)
        out, err = read_demuxed(sock)
    finally:
        hijacked_socket_close(sock)
    code = c.wait(timeout=TIMEOUT)["StatusCode"]
    return f"stdout={out!r} stderr={err!r} exit={code}"


def step_exec_stream(client):
    c = sleeper(client)
    cmd = ["sh", "-c", "echo eo; echo ee >&2; exit 4"]
    # Container.exec_run(stream=True, demux=True) returns ExecResult(None,
    # generator) and hides the exec id, so do what it does by hand:
    # exec_create + exec_start(stream=True, demux=True), then exec_inspect.
    exec_id = client.api.exec_create(c.id, cmd)["Id"]
    stream = client.api.exec_start(exec_id, stream=True, demux=True)
    out, err = b"", b""
    try:
        for o, e in stream:
            out += o or b""
            err += e or b""
    finally:
        close_quietly(stream)
    code = wait_exec_done(client, exec_id)["ExitCode"]
    return f"stdout={out!r} stderr={err!r} exit={code}"


def step_exec_socket(client):
    c = sleeper(client)
    # Same requests as c.exec_run(["cat"], stdin=True, socket=True), but
    # keeping the exec id for exec_inspect.
    exec_id = client.api.exec_create(c.id, ["cat"], stdin=True)["Id"]
    sock = client.api.exec_start(exec_id, socket=True)
    try:
        sock._sock.sendall(b"piped\n")
        sock._sock.shutdown(socket.SHUT_WR)
        out, err = read_demuxed(sock)
    finally:
        hijacked_socket_close(sock)
    code = wait_exec_done(client, exec_id)["ExitCode"]
    return f"stdout={out!r} stderr={err!r} exit={code}"


def step_exec_plain(client):
    c = sleeper(client)
    res = c.exec_run(["sh", "-c", "echo plain; exit 5"])
    return repr((res.exit_code, res.output))


def step_exec_detach(client):
    c = sleeper(client)
    # Same requests as c.exec_run(["touch", "/tmp/x"], detach=True) (POST
    # /exec/{id}/start with {"Detach": true} and no Upgrade headers), keeping
    # the exec id so we can poll it.
    exec_id = client.api.exec_create(c.id, ["touch", "/tmp/x"])["Id"]
    body = client.api.exec_start(exec_id, detach=True)
    code = wait_exec_done(client, exec_id)["ExitCode"]
    check = c.exec_run(["test", "-f", "/tmp/x"]).exit_code
    return f"exit={code} body={body!r} file={'present' if check == 0 else 'missing'}"


def step_logs(client):
    c = STATE.get("attach-stream")
    if c is None:
        raise RuntimeError("attach-stream container was not created")
    return repr(c.logs())


STEPS = [
    ("run", step_run),
    ("attach-stream", step_attach_stream),
    ("attach-socket", step_attach_socket),
    ("exec-stream", step_exec_stream),
    ("exec-socket", step_exec_socket),
    ("exec-plain", step_exec_plain),
    ("exec-detach", step_exec_detach),
    ("logs", step_logs),
]


def cleanup(client):
    failures = []
    for name in CREATED:
        try:
            client.api.remove_container(name, force=True)
        except docker.errors.NotFound:
            pass  # e.g. the remove=True container of the run step
        except Exception as exc:
            failures.append(f"{type(exc).__name__}: {one_line(exc)}")
    # Anything left over with our run label (belt and braces).
    try:
        left = client.api.containers(
            all=True, filters={"label": f"sockeye-test-run={RUN_ID}"}
        )
        for info in left:
            try:
                client.api.remove_container(info["Id"], force=True)
            except docker.errors.NotFound:
                pass
    except Exception as exc:
        failures.append(f"{type(exc).__name__}: {one_line(exc)}")
    return "ok" if not failures else "error: " + "; ".join(sorted(failures))


def main():
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.alarm(STEP_TIMEOUT)
        client = docker.from_env(timeout=TIMEOUT)
        client.ping()
    except Exception as exc:
        signal.alarm(0)
        print(
            f"connect: error: {type(exc).__name__}: {one_line(exc)}",
            file=sys.stderr,
        )
        return 2
    finally:
        signal.alarm(0)

    try:
        for step, fn in STEPS:
            try:
                signal.alarm(STEP_TIMEOUT)
                try:
                    result = fn(client)
                finally:
                    signal.alarm(0)
            except Exception as exc:
                result = f"error: {type(exc).__name__}: {one_line(exc)}"
            emit(step, result)
    finally:
        signal.alarm(0)
        try:
            signal.alarm(STEP_TIMEOUT)
            try:
                result = cleanup(client)
            finally:
                signal.alarm(0)
        except Exception as exc:
            result = f"error: {type(exc).__name__}: {one_line(exc)}"
        emit("cleanup", result)
        close_quietly(client)
    return 0


if __name__ == "__main__":
    sys.exit(main())
