# What the private daemons' scripts (dockerd.sh, podman.sh) share: sourced by both (and by
# bench/run.sh for log, die and apt_install), never run.
# They keep one contract (start/stop/host, DOCKER_HOST on the last line, the same test image),
# so the steps that make it hold live here once. The caller sets SOCK, PIDFILE, LOG,
# START_TIMEOUT and STOP_TIMEOUT before calling what uses them.

log() { echo "${0##*/}: $*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

ping_ok() {
    [ -S "$SOCK" ] && curl -fsS --max-time 3 --unix-socket "$SOCK" http://localhost/_ping >/dev/null 2>&1
}

pidfile_pid() {
    # The pid in $PIDFILE if it names a live process called $1 (dockerd, podman), else nothing:
    # a stale pidfile whose pid was reused must not be waited on or killed.
    local pid
    [ -f "$PIDFILE" ] || return 1
    pid="$(cat "$PIDFILE" 2>/dev/null || true)"
    [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || return 1
    grep -q "$1" "/proc/$pid/comm" 2>/dev/null || return 1
    echo "$pid"
}

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

apt_install() {
    # apt_install PKG...: install what the caller found missing (as root, with apt-get).
    local pkgs=("$@")
    [ "$(id -u)" -eq 0 ] || die "missing packages (${pkgs[*]}) and not root: install them first"
    command -v apt-get >/dev/null 2>&1 || die "missing packages (${pkgs[*]}) and no apt-get"
    # De-duplicate.
    mapfile -t pkgs < <(printf '%s\n' "${pkgs[@]}" | sort -u)
    log "installing ${pkgs[*]}"

    # Keep the packages' maintainer scripts from starting services (a system dockerd,
    # podman.socket, nginx on :80): they would share docker0, iptables, storage or ports with
    # ours.
    local policy=/usr/sbin/policy-rc.d made_policy=0
    if [ ! -e "$policy" ]; then
        printf '#!/bin/sh\nexit 101\n' >"$policy"
        chmod 755 "$policy"
        made_policy=1
    fi
    local rc=0
    {
        export DEBIAN_FRONTEND=noninteractive
        # No recommends: for Podman, buildah, slirp4netns, fuse-overlayfs, uidmap and
        # dbus-user-session serve rootless use; a rootful service with native overlay needs
        # none of them.
        apt-get update -q >&2 &&
            apt-get install -y -q --no-install-recommends "${pkgs[@]}" >&2
    } || rc=$?
    [ "$made_policy" -eq 1 ] && rm -f "$policy"
    [ "$rc" -eq 0 ] || die "apt-get install ${pkgs[*]} failed (exit $rc)"
}

wait_for_ping() {
    # wait_for_ping PID NAME: until $SOCK answers /_ping; fail with the log's tail if the
    # process dies or START_TIMEOUT passes first.
    local pid="$1" name="$2" waited=0
    until ping_ok; do
        if ! kill -0 "$pid" 2>/dev/null; then
            log "$name exited during startup; last lines of $LOG:"
            tail -n 30 "$LOG" >&2 || true
            die "$name failed to start"
        fi
        if [ "$waited" -ge "$START_TIMEOUT" ]; then
            log "$name did not answer /_ping within ${START_TIMEOUT}s; last lines of $LOG:"
            tail -n 30 "$LOG" >&2 || true
            die "$name start timed out"
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

stop_pid() {
    # stop_pid PID NAME: SIGTERM, then SIGKILL after STOP_TIMEOUT.
    local pid="$1" name="$2" waited=0
    kill -TERM "$pid" 2>/dev/null || true
    while kill -0 "$pid" 2>/dev/null; do
        if [ "$waited" -ge "$STOP_TIMEOUT" ]; then
            log "$name (pid $pid) still alive after ${STOP_TIMEOUT}s; sending SIGKILL"
            kill -KILL "$pid" 2>/dev/null || true
            sleep 1
            break
        fi
        sleep 1
        waited=$((waited + 1))
    done
}

busybox_rootfs_tar() {
    # Write to stdout a tar of a rootfs made of the host's static busybox (/bin/busybox and a
    # link per applet, /tmp, /etc), for `docker import`: nothing is ever pulled.
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
    tar -C "$root" --numeric-owner --owner=0 --group=0 -cf - .
    rm -rf "$root"
    trap - EXIT
}
