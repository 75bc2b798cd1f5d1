#!/usr/bin/env bash
# A private Podman Docker-compatible service for sockeye's integration tests.
#
#   scripts/podman.sh start   install what is missing (Debian 12, as root), start a private
#                             `podman system service` (or reuse a running one), make sure the
#                             test image sockeye-test/busybox:1 exists. Progress goes to stderr;
#                             the LAST stdout line is the DOCKER_HOST value.
#   scripts/podman.sh stop    SIGTERM the service and wait for it (bounded); keeps the data dir.
#   scripts/podman.sh host    print the DOCKER_HOST value.
#
# The same contract as scripts/dockerd.sh, so that the test harness treats both alike.
#
# Everything lives in ${SOCKEYE_PODMAN_DIR:-/tmp/sockeye-podman}: root/ and runroot/ (image and
# container storage), tmp/, networks/, the config files containers.conf, storage.conf and
# registries.conf (passed through CONTAINERS_CONF, CONTAINERS_STORAGE_CONF and
# CONTAINERS_REGISTRIES_CONF, so nothing in /etc/containers is read or written), podman.pid,
# podman.sock, podman.log. Nothing is ever pulled: no registry is configured, short names are
# never resolved through a search list, and the test image is imported from a rootfs made of
# the host's static busybox.
#
# The private dockerd 20.10 (scripts/dockerd.sh) may run beside it: Podman's default network
# has a bridge (sockeye-pm0) and a subnet of its own, so docker0 and Docker's iptables chains
# are left alone; the tests' containers mostly run with --network none anyway.
set -euo pipefail

DIR="${SOCKEYE_PODMAN_DIR:-/tmp/sockeye-podman}"
SOCK="$DIR/podman.sock"
PIDFILE="$DIR/podman.pid"
LOG="$DIR/podman.log"
HOST="unix://$SOCK"
IMAGE="sockeye-test/busybox:1"
# Podman's compat API normalises a short name the way the docker CLI's daemon would: to
# docker.io/<name>. An image tagged under that name is what `docker run sockeye-test/busybox:1`
# finds; `podman import` alone would name it localhost/sockeye-test/busybox:1, which the
# compat API does not match for a docker.io short name once short-name search is disabled.
FQ_IMAGE="docker.io/$IMAGE"
START_TIMEOUT="${SOCKEYE_PODMAN_START_TIMEOUT:-60}"
STOP_TIMEOUT="${SOCKEYE_PODMAN_STOP_TIMEOUT:-30}"
# A subnet no other daemon here uses (Docker's pools are 172.17+/16 and 192.168/20).
SUBNET="${SOCKEYE_PODMAN_SUBNET:-10.213.77.0/24}"
BRIDGE="sockeye-pm0"

# log, die, and the steps dockerd.sh shares.
# shellcheck source=scripts/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

# Every podman invocation of this script sees the private configuration only.
export CONTAINERS_CONF="$DIR/containers.conf"
export CONTAINERS_STORAGE_CONF="$DIR/storage.conf"
export CONTAINERS_REGISTRIES_CONF="$DIR/registries.conf"
# A leftover from a caller's environment must not pick another storage or another service.
unset CONTAINER_HOST CONTAINER_CONNECTION REGISTRY_AUTH_FILE

pm() {
    podman --root "$DIR/root" --runroot "$DIR/runroot" "$@"
}

service_pid() {
    pidfile_pid podman
}

# ---------------------------------------------------------------------------------------------
# Installing what is missing
# ---------------------------------------------------------------------------------------------

ensure_installed() {
    local pkgs=()
    command -v podman >/dev/null 2>&1 || pkgs+=(podman)
    # The network stack: containers-common needs one; name it, or apt cannot choose between
    # netavark and the CNI plugins. netavark is Podman 4's default.
    [ -x /usr/lib/podman/netavark ] || pkgs+=(netavark)
    command -v conmon >/dev/null 2>&1 || [ -x /usr/libexec/podman/conmon ] || pkgs+=(conmon)
    command -v runc >/dev/null 2>&1 || command -v crun >/dev/null 2>&1 || pkgs+=(runc)
    # The docker CLI drives the service, as the tests do.
    command -v docker >/dev/null 2>&1 || pkgs+=(docker-cli)
    command -v curl >/dev/null 2>&1 || pkgs+=(curl)
    command -v flock >/dev/null 2>&1 || pkgs+=(util-linux)
    command -v tar >/dev/null 2>&1 || pkgs+=(tar)
    static_busybox >/dev/null || pkgs+=(busybox-static)
    [ "${#pkgs[@]}" -eq 0 ] && return 0

    apt_install "${pkgs[@]}"
    static_busybox >/dev/null || die "no static busybox at /usr/bin/busybox or /bin/busybox after install"
}

# ---------------------------------------------------------------------------------------------
# Private configuration
# ---------------------------------------------------------------------------------------------

write_config() {
    local NPROC
    NPROC="$(ulimit -Hu)"
    if [ "$NPROC" = unlimited ] || [ "$NPROC" -gt 32768 ]; then NPROC=32768; fi
    mkdir -p "$DIR/root" "$DIR/runroot" "$DIR/tmp" "$DIR/networks" "$DIR/volumes"
    # cgroupfs and file events: this machine may have no systemd (CI containers do not), and
    # journald events would go to the host's journal anyway. tmp_dir: podman's own state
    # (default /run/libpod) must not be shared with a system podman.
    cat >"$CONTAINERS_CONF" <<EOF
# Written by scripts/podman.sh; rewritten at every start.
[containers]
# No --init binary (catatonit) is installed; containers behave as with dockerd's default.
init = false
log_driver = "k8s-file"
# Rootful podman raises a container's open-files and process limits to 1048576; where the
# service itself runs under lower hard limits (CI sandboxes: 20000 files here) runc then fails
# with "error setting rlimit type 7 (or 6): operation not permitted". Containers get the
# service's own limits instead, as dockerd's containers inherit dockerd's. Podman lowers its
# own process limit to 32768 at start-up when it cannot raise it: no more than that either.
default_ulimits = ["nofile=$(ulimit -Hn):$(ulimit -Hn)", "nproc=$NPROC:$NPROC"]

[engine]
cgroup_manager = "cgroupfs"
events_logger = "file"
events_logfile_path = "$DIR/events.log"
tmp_dir = "$DIR/tmp"
volume_path = "$DIR/volumes"
# Never reach a registry: an image that is not here is an error, as with --pull=never.
pull_policy = "never"

[network]
network_backend = "netavark"
network_config_dir = "$DIR/networks"
default_network = "sockeye-podman"
default_subnet = "$SUBNET"
default_subnet_pools = [
  {"base" = "10.213.0.0/16", "size" = 24},
]
EOF
    cat >"$CONTAINERS_STORAGE_CONF" <<EOF
# Written by scripts/podman.sh; rewritten at every start.
[storage]
driver = "overlay"
graphroot = "$DIR/root"
runroot = "$DIR/runroot"
EOF
    cat >"$CONTAINERS_REGISTRIES_CONF" <<EOF
# Written by scripts/podman.sh: no search registries, no short-name prompts, no aliases.
unqualified-search-registries = []
short-name-mode = "disabled"
EOF
    # The default network's definition, with our bridge name: without it netavark would create
    # "podman0" with 10.88.0.0/16 the first time a container joins the default network.
    if [ ! -f "$DIR/networks/sockeye-podman.json" ]; then
        cat >"$DIR/networks/sockeye-podman.json" <<EOF
{
     "name": "sockeye-podman",
     "id": "5ec0e7e5ec0e7e5ec0e7e5ec0e7e5ec0e7e5ec0e7e5ec0e7e5ec0e7e5ec0e7e5",
     "driver": "bridge",
     "network_interface": "$BRIDGE",
     "created": "2026-01-01T00:00:00Z",
     "subnets": [ { "subnet": "$SUBNET", "gateway": "${SUBNET%.*}.1" } ],
     "ipv6_enabled": false,
     "internal": false,
     "dns_enabled": false,
     "ipam_options": { "driver": "host-local" }
}
EOF
    fi
}

# ---------------------------------------------------------------------------------------------
# The service
# ---------------------------------------------------------------------------------------------

start_service() {
    if ping_ok; then
        log "reusing the podman service at $SOCK"
        return 0
    fi
    local pid
    if pid="$(service_pid)"; then
        log "podman service (pid $pid) is up but not answering yet; waiting"
    else
        rm -f "$PIDFILE" "$SOCK"
        log "starting podman system service (dir $DIR, log $LOG)"
        # setsid: the service must outlive this script and its caller's process group (cargo
        # test harness, CI step); stdin from /dev/null so it never holds a caller's pipe open.
        # --time=0: no idle timeout (the default, 5 s, would end it between test binaries).
        # cd /: the service outlives the checkout it was started from; conmon asks for its
        # working directory at every container start, and a removed checkout failed them all
        # ("Failed to get working directory", 409 on attach).
        (cd / && exec setsid podman --root "$DIR/root" --runroot "$DIR/runroot" \
            system service --time=0 "$HOST" \
            </dev/null >>"$LOG" 2>&1 9>&-) &
        pid=$!
        echo "$pid" >"$PIDFILE"
    fi
    wait_for_ping "$pid" podman
    log "podman service is up (pid $pid) at $SOCK"
}

ensure_image() {
    if DOCKER_HOST="$HOST" docker image inspect "$IMAGE" >/dev/null 2>&1; then
        return 0
    fi
    # Through the compat API, as dockerd.sh does: the image then carries the same config and
    # comment ("Imported from -") as the dockerd one.
    busybox_rootfs_tar | DOCKER_HOST="$HOST" docker import -c 'ENV PATH=/bin' - "$FQ_IMAGE" >&2
    DOCKER_HOST="$HOST" docker image inspect "$IMAGE" >/dev/null 2>&1 ||
        die "$FQ_IMAGE was imported but the compat API does not find it as $IMAGE"
    DOCKER_HOST="$HOST" docker run --rm --network none "$IMAGE" sh -c 'echo image ok' >&2 ||
        die "the freshly imported $IMAGE does not run"
}

cmd_start() {
    ensure_installed
    mkdir -p "$DIR"
    # Serialize concurrent starts (parallel test binaries): one service, one image build.
    exec 9>"$DIR/start.lock"
    flock -w 300 9 || die "could not take $DIR/start.lock within 300s"
    write_config
    start_service
    ensure_image
    flock -u 9
    echo "$HOST"
}

cmd_stop() {
    local pid
    if ! pid="$(service_pid)"; then
        log "no podman service running for $DIR"
        return 0
    fi
    log "stopping podman service (pid $pid)"
    stop_pid "$pid" podman
    log "podman service stopped"
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
