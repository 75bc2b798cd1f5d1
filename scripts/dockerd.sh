#!/usr/bin/env bash
# A private Docker daemon for sockeye's integration tests and benchmarks.
#
#   scripts/dockerd.sh start   install what is missing (Debian/Ubuntu, as root), start a
#                              private dockerd (or reuse a running one), make sure the test
#                              image sockeye-test/busybox:1 exists. Progress goes to stderr;
#                              the LAST stdout line is the DOCKER_HOST value.
#   scripts/dockerd.sh stop    SIGTERM the daemon and wait for it (bounded); keeps the data dir.
#   scripts/dockerd.sh host    print the DOCKER_HOST value.
#
# Everything lives in ${SOCKEYE_DOCKERD_DIR:-/tmp/sockeye-dockerd}: data/, exec/, dockerd.pid,
# docker.sock, dockerd.log. Nothing is ever pulled from a registry: the test image is imported
# from a rootfs made of the host's static busybox.
set -euo pipefail

DIR="${SOCKEYE_DOCKERD_DIR:-/tmp/sockeye-dockerd}"
SOCK="$DIR/docker.sock"
PIDFILE="$DIR/dockerd.pid"
LOG="$DIR/dockerd.log"
HOST="unix://$SOCK"
IMAGE="sockeye-test/busybox:1"
START_TIMEOUT="${SOCKEYE_DOCKERD_START_TIMEOUT:-60}"
STOP_TIMEOUT="${SOCKEYE_DOCKERD_STOP_TIMEOUT:-30}"

log() { echo "dockerd.sh: $*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

ping_ok() {
    [ -S "$SOCK" ] && curl -fsS --max-time 3 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

daemon_pid() {
    # The pid of our dockerd if its pidfile names a live dockerd process, else nothing.
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    grep -q dockerd "/proc/$pid/comm" 2>/dev/null || return 1
    echo "$pid"
}

# ---------------------------------------------------------------------------------------------
# Installing what is missing
# ---------------------------------------------------------------------------------------------

static_busybox() {
    # Print the path of a statically linked busybox, if there is one.
    local bb
    for bb in /usr/bin/busybox /bin/busybox; do
        [ -x "$bb" ] || continue
        # ldd exits non-zero for a static binary: look at its words, not its status.
        case "$(ldd "$bb" 2>&1 || true)" in
        *"not a dynamic executable"* | *"statically linked"*) ;;
        *) continue ;;
        esac
        echo "$bb"
        return 0
    done
    return 1
}

ensure_installed() {
    local pkgs=()
    command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
    command -v docker >/dev/null 2>&1 || pkgs+=(docker.io)
    command -v curl >/dev/null 2>&1 || pkgs+=(curl)
    command -v socat >/dev/null 2>&1 || pkgs+=(socat)
    command -v script >/dev/null 2>&1 || pkgs+=(bsdutils)
    command -v flock >/dev/null 2>&1 || pkgs+=(util-linux)
    command -v tar >/dev/null 2>&1 || pkgs+=(tar)
    static_busybox >/dev/null || pkgs+=(busybox-static)
    [ "${#pkgs[@]}" -eq 0 ] && return 0

    [ "$(id -u)" -eq 0 ] || die "missing packages (${pkgs[*]}) and not root: install them first"
    command -v apt-get >/dev/null 2>&1 || die "missing packages (${pkgs[*]}) and no apt-get"
    # De-duplicate.
    mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
    log "installing ${pkgs[*]}"

    # Keep the package's maintainer scripts from starting the system dockerd (sysvinit script
    # or systemd units): it would fight ours over docker0 and the iptables chains.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    local rc=0
    {
        export DEBIAN_FRONTEND=noninteractive
        apt-get update -q >&2 &&
            apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2
    } || rc=$?
    [ "$made_policy" -eq 1 ] && rm -f "$policy"
    [ "$rc" -eq 0 ] || die "apt-get install ${pkgs[*]} failed (exit $rc)"
    static_busybox >/dev/null || die "no static busybox at /usr/bin/busybox or /bin/busybox after install"
}

warn_system_dockerd() {
    # A system dockerd (started by the Debian package's units on a machine with an init) shares
    # docker0 and iptables with ours. Ours does not depend on it, but say so loudly.
    local pid
    pid="$(cat /var/run/docker.pid 2>/dev/null || true)"
    if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        log "WARNING: a system dockerd (pid $pid, /var/run/docker.pid) is running; it shares" \
            "docker0/iptables with the private one. Stop it (e.g. 'systemctl stop docker.socket" \
            "docker.service') if networking misbehaves."
    fi
}

# ---------------------------------------------------------------------------------------------
# The daemon
# ---------------------------------------------------------------------------------------------

start_daemon() {
    mkdir -p "$DIR/data" "$DIR/exec"
    if ping_ok; then
        log "reusing the dockerd at $SOCK"
        return 0
    fi
    local pid
    if pid="$(daemon_pid)"; then
        log "dockerd (pid $pid) is up but not answering yet; waiting"
    else
        rm -f "$PIDFILE" "$SOCK"
        warn_system_dockerd
        log "starting dockerd (dir $DIR, log $LOG)"
        # setsid: the daemon must outlive this script and its caller's process group (cargo test
        # harness, CI step); stdin from /dev/null so it never holds a caller's pipe open.
        setsid dockerd \
            --data-root "$DIR/data" \
            --exec-root "$DIR/exec" \
            --pidfile "$PIDFILE" \
            -H "$HOST" \
            </dev/null >>"$LOG" 2>&1 9>&- &
        pid=$!
    fi
    local waited=0
    until ping_ok; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "dockerd exited during startup; last lines of $LOG:"
            tail -n 30 "$LOG" >&2 || true
            die "dockerd failed to start"
        fi
        if [ "$waited" -ge "$START_TIMEOUT" ]; then
            log "dockerd did not answer /_ping within ${START_TIMEOUT}s; last lines of $LOG:"
            tail -n 30 "$LOG" >&2 || true
            die "dockerd start timed out"
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "dockerd is up (pid $pid) at $SOCK"
}

ensure_image() {
    if DOCKER_HOST="$HOST" docker image inspect "$IMAGE" >/dev/null 2>&1; then
        return 0
    fi
    local bb root
    bb="$(static_busybox)" || die "no static busybox found"
    root="$(mktemp -d "${TMPDIR:-/tmp}/sockeye-rootfs.XXXXXX")"
    # shellcheck disable=SC2064
    trap "rm -rf '$root'" EXIT
    log "building $IMAGE from $bb"
    mkdir -p "$root/bin" "$root/tmp" "$root/etc"
    chmod 1777 "$root/tmp"
    cp "$bb" "$root/bin/busybox"
    local applet
    # busybox --list also names 'busybox' itself: skip it, or the link would replace the binary
    # with a symlink to itself.
    while IFS= read -r applet; do
        if [ -z "$applet" ] || [ "$applet" = busybox ]; then
            continue
        fi
        ln -sf busybox "$root/bin/$applet"
    done < <("$bb" --list)
    if [ ! -f "$root/bin/busybox" ] || [ -L "$root/bin/busybox" ]; then
        die "rootfs: /bin/busybox got clobbered"
    fi
    tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - . |
        DOCKER_HOST="$HOST" docker import -c 'ENV PATH=/bin' - "$IMAGE" >&2
    rm -rf "$root"
    trap - EXIT
    DOCKER_HOST="$HOST" docker run --rm --network none "$IMAGE" sh -c 'echo image ok' >&2 ||
        die "the freshly imported $IMAGE does not run"
}

cmd_start() {
    ensure_installed
    mkdir -p "$DIR"
    # Serialize concurrent starts (parallel test binaries, benches): one daemon, one image build.
    exec 9>"$DIR/start.lock"
    flock -w 300 9 || die "could not take $DIR/start.lock within 300s"
    start_daemon
    ensure_image
    flock -u 9
    echo "$HOST"
}

cmd_stop() {
    local pid
    if ! pid="$(daemon_pid)"; then
        log "no dockerd running for $DIR"
        return 0
    fi
    log "stopping dockerd (pid $pid)"
    kill -TERM "$pid" 2>/dev/null || true
    local waited=0
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge "$STOP_TIMEOUT" ]; then
            log "dockerd (pid $pid) still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
    log "dockerd stopped"
}

case "${1:-}" in
start) cmd_start ;;
stop) cmd_stop ;;
host) echo "$HOST" ;;
*)
    echo "usage: $0 start|stop|host" >&2
    exit 2
    ;;
esac
