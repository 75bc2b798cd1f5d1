#!/usr/bin/env bash
# Every test sockeye has, as CI runs them (.ci/run calls this script).
#
# On a fresh Debian/Ubuntu machine as root it installs what the tests need, starts the
# project's private dockerd (scripts/dockerd.sh), then runs formatting and lint checks,
# unit tests, and the integration tests that drive the real docker CLI through sockeye.
# Under CI=true a missing Docker daemon fails the run; it is never skipped.
set -euo pipefail
cd "$(dirname "$0")/.."

log() { echo "test.sh: $*" >&2; }

need=()
command -v socat >/dev/null || need+=(socat)
command -v curl >/dev/null || need+=(curl)
command -v script >/dev/null || need+=(bsdutils)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        log "missing ${need[*]}; install them (tests that need them will fail)"
    fi
fi

# The private daemon: dockerd.sh installs docker.io and busybox-static if missing, starts
# dockerd with its own data-root, exec-root and socket, and imports the test image.
SOCKEYE_TEST_DOCKER_HOST="$(scripts/dockerd.sh start | tail -n 1)"
export SOCKEYE_TEST_DOCKER_HOST
log "Docker daemon for the tests: $SOCKEYE_TEST_DOCKER_HOST"

# Docker clients of other ecosystems for tests/clients.rs (dockerode, testcontainers, docker-py,
# the Go SDK). One that cannot be set up fails its test under CI=true.
log "setting up the Node.js, Python and Go clients"
bash tests/clients/setup.sh || log "some clients are missing (see above)"

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
cargo clippy --all-targets --quiet -- -D warnings
log "cargo test"
cargo test --quiet 2>&1
# The foundation's docker CLI cases once more, through a tls:// listener with client
# certificates (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH): remote access must be as transparent.
log "cargo test --test cli over TLS"
SOCKEYE_TEST_VIA=tls cargo test --quiet --test cli 2>&1

# ---------------------------------------------------------------------------------------------
# Deployment (issue 14): the image, the docker-socket-proxy drop-in, the compose recipes and
# the systemd units, each as its users run it. Needs systemd's tools (systemd-socket-activate,
# systemd-analyze), the image built by scripts/image.sh and the compose v2 plugin
# (SOCKEYE_TEST_COMPOSE, else scripts/compose.sh fetches Debian's). SOCKEYE_TEST_DEPLOY=1
# makes anything missing a failure.
# ---------------------------------------------------------------------------------------------
if ! command -v systemd-socket-activate >/dev/null || ! command -v systemd-analyze >/dev/null; then
    log "installing systemd (systemd-socket-activate, systemd-analyze)"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends systemd >/dev/null
fi
log "scripts/image.sh"
SOCKEYE_TEST_IMAGE="$(DOCKER_HOST="$SOCKEYE_TEST_DOCKER_HOST" scripts/image.sh | tail -n 1)"
SOCKEYE_TEST_COMPOSE="${SOCKEYE_TEST_COMPOSE:-$(scripts/compose.sh | tail -n 1)}"
export SOCKEYE_TEST_IMAGE SOCKEYE_TEST_COMPOSE SOCKEYE_TEST_DEPLOY=1
log "cargo test: image ($SOCKEYE_TEST_IMAGE), compose, systemd"
cargo test --quiet --test image --test compose --test systemd 2>&1
