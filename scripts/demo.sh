#!/usr/bin/env bash
# Set everything up and watch docker commands go through sockeye.
#
# Ensures a Docker daemon is reachable (the one at $DOCKER_HOST or /var/run/docker.sock if
# it answers, else the project's private dockerd via scripts/dockerd.sh), builds sockeye,
# starts it on ./sockeye.sock, and runs a short walkthrough through it. sockeye's own output
# (one line per API call) is interleaved with the docker commands' output.
set -euo pipefail
cd "$(dirname "$0")/.."

say() { printf '\n\033[1m$ %s\033[0m\n' "$*" >&2; }

upstream=""
for cand in "${DOCKER_HOST:-}" unix:///var/run/docker.sock; do
    case "$cand" in unix://*) ;; *) continue ;; esac
    if curl -sf --max-time 3 --unix-socket "${cand#unix://}" http://docker/_ping >/dev/null 2>&1; then
        upstream="$cand"
        break
    fi
done
if [ -z "$upstream" ] || ! DOCKER_HOST="$upstream" docker image inspect sockeye-test/busybox:1 >/dev/null 2>&1; then
    # No daemon, or one without the test image: use the project's private daemon, which
    # brings its own image (built locally, no registry).
    upstream="$(scripts/dockerd.sh start | tail -n 1)"
fi
echo "Docker daemon: $upstream" >&2

if ! command -v cargo >/dev/null; then
    echo "demo.sh: cargo is needed to build sockeye (https://rustup.rs)" >&2
    exit 1
fi
cargo build --release --quiet
sock="$PWD/sockeye.sock"
target/release/sockeye proxy --listen "unix://$sock" --upstream "$upstream" &
pid=$!
cleanup() {
    DOCKER_HOST="$upstream" docker rm -f fakecontainer >/dev/null 2>&1 || true
    kill -TERM "$pid" 2>/dev/null || true
    wait "$pid" 2>/dev/null || true
}
trap cleanup EXIT
for _ in $(seq 50); do
    [ -S "$sock" ] && break
    sleep 0.1
done

export DOCKER_HOST="unix://$sock"
IMAGE=sockeye-test/busybox:1
DOCKER_HOST="$upstream" docker rm -f fakecontainer >/dev/null 2>&1 || true
step() {
    say "$*"
    "$@"
    sleep 0.2 # let sockeye's lines for this command print before the next one starts
}
step docker images
step docker ps -a
step docker run -d --name fakecontainer "$IMAGE" sleep infinity
step docker exec fakecontainer sh -c 'echo "hello from $(hostname)"; echo to-stderr >&2'
step docker exec fakecontainer ls /bin/sh
# Write to the main process's stdout so `docker logs` has something to show.
step docker exec fakecontainer sh -c 'echo "written to PID 1 stdout at $(date)" > /proc/1/fd/1'
step docker logs fakecontainer
step docker rm -f fakecontainer
echo >&2
echo "Try it yourself: sockeye proxy --listen unix://$sock --upstream $upstream" >&2
echo "then, in another shell: DOCKER_HOST=unix://$sock docker ps" >&2
