#!/usr/bin/env bash
# A private Docker daemon for sockeye's integration tests and benchmarks: one per engine, each in
# its own directory, both able to run at once.
#
#   scripts/dockerd.sh start [--engine E]  get what is missing, start the engine's private dockerd
#                              (or reuse a running one), make sure the test image
#                              sockeye-test/busybox:1 exists. Progress goes to stderr; the LAST
#                              stdout line is the DOCKER_HOST value.
#   scripts/dockerd.sh stop [--engine E]   SIGTERM the daemon and wait for it (bounded); keeps the
#                              data dir.
#   scripts/dockerd.sh host [--engine E]   print the DOCKER_HOST value.
#   scripts/dockerd.sh paths [--engine E]  print `cli=PATH` (the docker CLI to use with that
#                              engine) and `plugins=DIR` (its CLI plugins, empty for none).
#
# Engines (--engine, else $SOCKEYE_TEST_ENGINE, else 20.10):
#   20.10  Debian 12's docker.io (API 1.41), installed with apt-get if missing. Everything lives
#          in ${SOCKEYE_DOCKERD_DIR:-/tmp/sockeye-dockerd}: data/, exec/, dockerd.pid,
#          docker.sock, dockerd.log. The CLI is `docker` from PATH.
#   28     Debian unstable's docker.io 28.5 (API 1.51) with containerd 2.1, the 28.5 docker CLI
#          and the docker-buildx / docker-compose v2 plugins: downloaded with `apt-get download`
#          through a private apt directory and extracted with `dpkg-deb -x` into
#          ${SOCKEYE_ENGINES_DIR:-/tmp/sockeye-engines}/28/root, never installed (the system's
#          runc from Debian 12 serves). The daemon lives in
#          ${SOCKEYE_DOCKERD28_DIR:-/tmp/sockeye-dockerd-28} and uses a bridge of its own, sk28
#          (172.31.28.1/24), so that docker0 and the 20.10 daemon's iptables stay untouched.
#
# Nothing is ever pulled from a registry: the test image is imported from a rootfs made of the
# host's static busybox.
set -euo pipefail

IMAGE="sockeye-test/busybox:1"
START_TIMEOUT="${SOCKEYE_DOCKERD_START_TIMEOUT:-60}"
STOP_TIMEOUT="${SOCKEYE_DOCKERD_STOP_TIMEOUT:-30}"

# log, die, and the steps podman.sh shares.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# ---------------------------------------------------------------------------------------------
# The engine
# ---------------------------------------------------------------------------------------------

ENGINE=""
select_engine() {
    # Sets everything that differs between engines. $1: the engine's name.
    case "$1" in
    "" | 20.10 | 20)
        ENGINE=20.10
        DIR="${SOCKEYE_DOCKERD_DIR:-/tmp/sockeye-dockerd}"
        DOCKERD=dockerd
        DOCKER_CLI=docker
        PLUGINS=""
        ;;
    28 | 28.5)
        ENGINE=28
        DIR="${SOCKEYE_DOCKERD28_DIR:-/tmp/sockeye-dockerd-28}"
        E28="${SOCKEYE_ENGINES_DIR:-/tmp/sockeye-engines}/28"
        ROOT="$E28/root"
        DOCKERD="$ROOT/usr/sbin/dockerd"
        DOCKER_CLI="$ROOT/usr/bin/docker"
        PLUGINS="$ROOT/usr/libexec/docker/cli-plugins"
        BRIDGE=sk28
        BRIDGE_ADDR=172.31.28.1/24
        # Networks the 28 daemon creates (compose projects, tests) come from here, not from the
        # 172.17-31/16 pools the 20.10 daemon also draws from.
        ADDRESS_POOL="base=172.31.64.0/18,size=24"
        ;;
    *) die "unknown engine '$1' (expected 20.10 or 28)" ;;
    esac
    SOCK="$DIR/docker.sock"
    PIDFILE="$DIR/dockerd.pid"
    LOG="$DIR/dockerd.log"
    HOST="unix://$SOCK"
}

daemon_pid() {
    pidfile_pid dockerd
}

# ---------------------------------------------------------------------------------------------
# Installing what is missing
# ---------------------------------------------------------------------------------------------

ensure_installed() {
    local pkgs=()
    if [ "$ENGINE" = 20.10 ]; then
        command -v dockerd >/dev/null 2>&1 || pkgs+=(docker.io)
        command -v docker >/dev/null 2>&1 || pkgs+=(docker.io)
    else
        # The extracted engine brings dockerd, containerd and the CLI; runc is the system's.
        command -v runc >/dev/null 2>&1 || pkgs+=(runc)
        command -v ip >/dev/null 2>&1 || pkgs+=(iproute2)
        command -v dpkg-deb >/dev/null 2>&1 || pkgs+=(dpkg)
        [ -f "$KEYRING" ] || pkgs+=(debian-archive-keyring)
    fi
    command -v curl >/dev/null 2>&1 || pkgs+=(curl)
    command -v socat >/dev/null 2>&1 || pkgs+=(socat)
    command -v script >/dev/null 2>&1 || pkgs+=(bsdutils)
    command -v flock >/dev/null 2>&1 || pkgs+=(util-linux)
    command -v tar >/dev/null 2>&1 || pkgs+=(tar)
    static_busybox >/dev/null || pkgs+=(busybox-static)
    [ "${#pkgs[@]}" -eq 0 ] && return 0

    apt_install "${pkgs[@]}"
    static_busybox >/dev/null || die "no static busybox at /usr/bin/busybox or /bin/busybox after install"
}

# ---------------------------------------------------------------------------------------------
# Engine 28: Debian unstable's packages, downloaded and extracted, never installed
# ---------------------------------------------------------------------------------------------

KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
MIRROR="${SOCKEYE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
# What engine 28 is made of. docker.io and docker-cli must be 28.x: unstable moves on, and a
# 29 engine under the name 28 would make every result about "28" a lie; the others take what
# the suite has.
PKGS28=(docker.io docker-cli containerd docker-buildx docker-compose tini-static)
VERSION28="${SOCKEYE_ENGINE28_VERSION:-28.}"

retry() {
    # retry N CMD...: the mirror is reached over the network; a dropped connection is not a
    # reason to fail a CI run.
    local n="$1" i=1
    shift
    until "$@"; do
        [ "$i" -ge "$n" ] && return 1
        log "attempt $i of $n failed: $*; retrying in $((i * 5))s"
        sleep $((i * 5))
        i=$((i + 1))
    done
}

apt28() {
    # apt-get/apt-cache with a private configuration, sources list, state and cache under
    # $E28/apt: the system's apt setup is neither read nor touched, and no lock is shared with
    # an apt-get the machine runs meanwhile.
    local tool="$1" a="$E28/apt"
    shift
    "$tool" \
        -o Dir::Etc="$a/etc" \
        -o Dir::Etc::sourcelist="$a/etc/sources.list" \
        -o Dir::Etc::sourceparts="$a/etc/sources.list.d" \
        -o Dir::Etc::preferences="$a/etc/preferences" \
        -o Dir::Etc::preferencesparts="$a/etc/preferences.d" \
        -o Dir::Etc::parts="$a/etc/apt.conf.d" \
        -o Dir::State="$a/state" \
        -o Dir::State::status="$a/state/status" \
        -o Dir::Cache="$a/cache" \
        -o Debug::NoLocking=1 \
        -o APT::Sandbox::User=root \
        -o Acquire::Retries=5 \
        -o Acquire::http::Timeout=60 \
        "$@"
}

engine28_ready() {
    [ -f "$E28/extracted" ] && [ -x "$DOCKERD" ] && [ -x "$DOCKER_CLI" ] &&
        [ -x "$ROOT/usr/bin/containerd" ] && [ -x "$ROOT/usr/bin/containerd-shim-runc-v2" ] &&
        [ -x "$PLUGINS/docker-buildx" ] && [ -x "$PLUGINS/docker-compose" ]
}

fetch_engine28() {
    # Download and extract once; a later start finds $E28/extracted and touches no network.
    # SOCKEYE_ENGINE_REFRESH=1 fetches anew (e.g. after unstable moved to a newer 28.5.x).
    if [ "${SOCKEYE_ENGINE_REFRESH:-0}" != 1 ] && engine28_ready; then
        return 0
    fi
    if daemon_pid >/dev/null; then
        # Its containerd, shims and docker-proxy are started from $ROOT as they are needed.
        die "engine 28: its dockerd runs from $ROOT; '$0 stop --engine 28' before a refresh"
    fi
    local a="$E28/apt" debs="$E28/debs"
    rm -rf "$a" "$debs" "$ROOT.new" "$E28/extracted"
    mkdir -p "$a/etc/sources.list.d" "$a/etc/preferences.d" "$a/etc/apt.conf.d" "$a/state/lists/partial" "$a/cache/archives/partial" "$debs"
    : >"$a/state/status"
    : >"$a/etc/preferences"
    echo "deb [signed-by=$KEYRING] $MIRROR unstable main" >"$a/etc/sources.list"
    log "engine 28: apt-get update of a private list for Debian unstable ($MIRROR)"
    retry 3 apt28 apt-get update -q >&2 || die "engine 28: apt-get update of unstable failed"
    local pkg ver want=()
    for pkg in "${PKGS28[@]}"; do
        case "$pkg" in
        docker.io | docker-cli)
            # The newest version that starts with $VERSION28 (apt-cache madison lists newest
            # first).
            ver="$(apt28 apt-cache madison "$pkg" | awk -F'|' -v v="$VERSION28" \
                '{gsub(/ /, "", $2); if (index($2, v) == 1) { print $2; exit }}')"
            [ -n "$ver" ] || die "engine 28: Debian unstable has no $pkg $VERSION28* any more" \
                "($(apt28 apt-cache madison "$pkg" | awk -F'|' '{gsub(/ /,"",$2); print $2}' |
                    tr '\n' ' ')); set SOCKEYE_ENGINE28_VERSION or move the engine on"
            want+=("$pkg=$ver")
            ;;
        *) want+=("$pkg") ;;
        esac
    done
    log "engine 28: downloading ${want[*]}"
    (cd "$debs" && retry 3 apt28 apt-get download -q "${want[@]}" >&2) ||
        die "engine 28: apt-get download failed"
    mkdir -p "$ROOT.new"
    local deb
    for deb in "$debs"/*.deb; do
        dpkg-deb -x "$deb" "$ROOT.new" || die "engine 28: dpkg-deb -x $deb failed"
    done
    rm -rf "$ROOT"
    mv "$ROOT.new" "$ROOT"
    (cd "$debs" && ls -1 ./*.deb) >"$E28/extracted"
    engine28_ready || die "engine 28: the extracted root $ROOT lacks a binary it needs"
    rm -rf "$debs"
    log "engine 28: extracted into $ROOT: $("$DOCKERD" --version)"
}

ensure_bridge() {
    # The 28 daemon's default network. Its own bridge keeps it off docker0, which belongs to
    # the 20.10 daemon (a dockerd with --bridge=none would delete docker0 at start-up), and
    # BuildKit's RUN steps need a bridge network to exist.
    if ! ip link show "$BRIDGE" >/dev/null 2>&1; then
        log "creating bridge $BRIDGE ($BRIDGE_ADDR)"
        ip link add "$BRIDGE" type bridge
    fi
    ip addr replace "$BRIDGE_ADDR" dev "$BRIDGE"
    ip link set "$BRIDGE" up
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

engine_path() {
    if [ "$ENGINE" = 28 ]; then
        echo "$ROOT/usr/bin:$ROOT/usr/sbin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    else
        echo "$PATH"
    fi
}

dk() {
    # The engine's docker CLI against the engine's daemon, with a config of its own: the
    # caller's ~/.docker (contexts, plugins, credentials) must not steer it.
    mkdir -p "$DIR/cli-config"
    DOCKER_HOST="$HOST" DOCKER_CONFIG="$DIR/cli-config" DOCKER_CONTEXT="" \
        "$DOCKER_CLI" "$@"
}

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
        log "starting dockerd, engine $ENGINE (dir $DIR, log $LOG)"
        local args=(--data-root "$DIR/data" --exec-root "$DIR/exec" --pidfile "$PIDFILE" -H "$HOST")
        local had_docker0=0
        if [ "$ENGINE" = 28 ]; then
            ensure_bridge
            ip link show docker0 >/dev/null 2>&1 && had_docker0=1
            # A 28.5 dockerd that finds its network store from an earlier run deletes docker0
            # at start-up, even with --bridge sk28 (seen here: the 20.10 daemon's containers
            # then fail "could not find bridge docker0"); with no store it leaves docker0
            # alone. The store holds only what earlier test runs left (the tests remove their
            # networks), so every start begins without it.
            rm -f "$DIR/data/network/files/local-kv.db"
            # daemon.json of our own: the machine's /etc/docker/daemon.json is for the system
            # daemon. The classic image store (overlay2 graphdriver, the 28 default, said out
            # loud) keeps `docker import`, image IDs and `docker images` as on 20.10; the
            # containerd snapshotter is the 29 default and a matter for another engine.
            printf '{"features": {"containerd-snapshotter": false}}\n' >"$DIR/daemon.json"
            args+=(
                --config-file "$DIR/daemon.json"
                --bridge "$BRIDGE"
                # No iptables or ip6tables rules: the 20.10 daemon owns the DOCKER chains and
                # docker0's NAT; the tests need no published ports on this engine.
                --iptables=false
                --ip6tables=false
                --default-address-pool "$ADDRESS_POOL"
                --userland-proxy-path "$ROOT/usr/sbin/docker-proxy"
            )
        fi
        # setsid: the daemon must outlive this script and its caller's process group (cargo test
        # harness, CI step); stdin from /dev/null so it never holds a caller's pipe open. PATH
        # (engine 28): the managed containerd, its shim and docker-init come from the extracted
        # root, runc from the system. From /: the daemon outlives the checkout it was started
        # from, and must not hold (or depend on) a directory that may be removed.
        (cd / && PATH="$(engine_path)" exec setsid "$DOCKERD" "${args[@]}" </dev/null >>"$LOG" 2>&1 8>&- 9>&-) &
        pid=$!
    fi
    wait_for_ping "$pid" dockerd
    if [ "${had_docker0:-0}" = 1 ] && ! ip link show docker0 >/dev/null 2>&1; then
        die "engine 28's dockerd deleted docker0, which the 20.10 daemon needs; stop it" \
            "('$0 stop --engine 28') and recreate docker0 (ip link add docker0 type bridge;" \
            "ip addr add 172.17.0.1/16 dev docker0; ip link set docker0 up)"
    fi
    log "dockerd is up (pid $pid) at $SOCK"
}

ensure_image() {
    if dk image inspect "$IMAGE" >/dev/null 2>&1; then
        return 0
    fi
    busybox_rootfs_tar | dk import -c 'ENV PATH=/bin' - "$IMAGE" >&2
    dk run --rm --network none "$IMAGE" sh -c 'echo image ok' >&2 ||
        die "the freshly imported $IMAGE does not run"
}

cmd_start() {
    ensure_installed
    mkdir -p "$DIR"
    if [ "$ENGINE" = 28 ]; then
        # Its own lock: two starts must not download and extract into the same root at once.
        mkdir -p "$E28"
        exec 8>"$E28/fetch.lock"
        flock -w 600 8 || die "could not take $E28/fetch.lock within 600s"
        fetch_engine28
        flock -u 8
    fi
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
        log "no dockerd (engine $ENGINE) running for $DIR"
        return 0
    fi
    log "stopping dockerd (pid $pid)"
    stop_pid "$pid" dockerd
    log "dockerd stopped"
}

usage() {
    echo "usage: $0 start|stop|host|paths [--engine 20.10|28]" >&2
    exit 2
}

cmd="${1:-}"
[ $# -gt 0 ] && shift
engine="${SOCKEYE_TEST_ENGINE:-}"
while [ $# -gt 0 ]; do
    case "$1" in
    --engine)
        [ $# -ge 2 ] || usage
        engine="$2"
        shift 2
        ;;
    --engine=*)
        engine="${1#--engine=}"
        shift
        ;;
    *) usage ;;
    esac
done
select_engine "$engine"

case "$cmd" in
start) cmd_start ;;
stop) cmd_stop ;;
host) echo "$HOST" ;;
paths)
    echo "cli=$DOCKER_CLI"
    echo "plugins=$PLUGINS"
    ;;
*) usage ;;
esac
