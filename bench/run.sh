#!/usr/bin/env bash
# The relay benchmark, in one command: direct socket vs `socat UNIX-LISTEN,fork` vs HAProxy
# (configured as Tecnativa's docker-socket-proxy image configures it) vs `sockeye proxy`,
# interleaved, on small requests, 1 GiB download/upload, `docker save`/`load`/`cp` both ways
# against the real daemon (chunked bodies), a hijacked exec
# stream and 1,000 idle /events streams. See docs/benchmarks.md.
#
#   bench/run.sh [harness options...]      e.g. bench/run.sh --rounds 3 --rows ping-c1,download
#
# What it does: installs what is missing (socat, haproxy, nginx-light; Docker through
# scripts/dockerd.sh start), builds sockeye and the harness with the bench profile (release + debug = 1),
# then runs `cargo bench --bench relay -- --docker-host … --out …`. Results: the tables on
# stdout, and results.md / results.json in $SOCKEYE_BENCH_OUT.
#
# Environment:
#   SOCKEYE_BENCH_DOCKER_HOST  use this unix:// daemon instead of scripts/dockerd.sh start
#   SOCKEYE_BENCH_OUT          results dir (default: $CARGO_TARGET_DIR/sockeye-bench)
#   CARGO_TARGET_DIR           cargo's target dir (default: ./target)
#
# Run as root: cgroup CPU accounting (exact, includes socat's forked children) and installs
# need it. As another user the harness falls back to /proc tick accounting (10 ms).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
ROOT="$PWD"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"
OUT="${SOCKEYE_BENCH_OUT:-$CARGO_TARGET_DIR/sockeye-bench}"

# log, die and apt_install, as the private daemons' scripts have them.
# shellcheck source=scripts/lib.sh
. scripts/lib.sh

have() { command -v "$1" >/dev/null 2>&1 || [ -x "/usr/sbin/$1" ] || [ -x "/sbin/$1" ]; }

# --- install what is missing -----------------------------------------------------------------
pkgs=()
have socat || pkgs+=(socat)
have nginx || pkgs+=(nginx-light)
have haproxy || pkgs+=(haproxy)
if [ "${#pkgs[@]}" -gt 0 ]; then
    apt_install "${pkgs[@]}"
fi
have socat || die "socat still missing"

# --- the Docker daemon -----------------------------------------------------------------------
if [ -n "${SOCKEYE_BENCH_DOCKER_HOST:-}" ]; then
    DOCKER_HOST_VALUE="$SOCKEYE_BENCH_DOCKER_HOST"
elif [ -x scripts/dockerd.sh ] || [ -f scripts/dockerd.sh ]; then
    # Contract: idempotent; the LAST stdout line is the DOCKER_HOST value; the test image
    # sockeye-test/busybox:1 exists afterwards.
    DOCKER_HOST_VALUE="$(bash scripts/dockerd.sh start | tail -n 1)"
else
    die "no scripts/dockerd.sh and no SOCKEYE_BENCH_DOCKER_HOST"
fi
case "$DOCKER_HOST_VALUE" in
unix://*) ;;
*) die "DOCKER_HOST must be unix://…, got '$DOCKER_HOST_VALUE'" ;;
esac
log "dockerd at $DOCKER_HOST_VALUE"

# 1,000 idle streams need ~2,000 descriptors in the harness and in sockeye.
ulimit -n "$(ulimit -Hn)" 2>/dev/null || true
[ "$(ulimit -n)" = unlimited ] || [ "$(ulimit -n)" -ge 4096 ] ||
    log "WARNING: ulimit -n is $(ulimit -n); the 1,000-stream row needs ~2,100"

# --- build and run ---------------------------------------------------------------------------
log "building sockeye and the harness (bench profile: release + debug = 1) in $CARGO_TARGET_DIR"
cargo bench --no-run --bench relay >&2
mkdir -p "$OUT"
log "running; results in $OUT"
cargo bench -q --bench relay -- --docker-host "$DOCKER_HOST_VALUE" --out "$OUT" "$@"
