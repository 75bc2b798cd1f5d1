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
# tests/shipping.rs reads the OpenTelemetry Collector example with Debian python3's yaml module.
{ [ -x /usr/bin/python3 ] && /usr/bin/python3 -c "import yaml" 2>/dev/null; } || need+=(python3-yaml)
# tests/syslog.rs runs its own rsyslogd (its own config, port and files; never the system's).
[ -x /usr/sbin/rsyslogd ] || need+=(rsyslog)
if [ ${#need[@]} -gt 0 ]; then
    if [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null; then
        log "installing ${need[*]}"
        apt-get update -qq
        DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${need[@]}" >/dev/null
    else
        log "missing ${need[*]}; install them (tests that need them will fail)"
    fi
fi

in_ci() { case "${CI:-}" in true | TRUE | True | 1) return 0 ;; esac; return 1; }

# Seconds per phase, printed at the end: how much each engine costs a run.
took=()
timed() {
    local name="$1" t0=$SECONDS
    shift
    "$@"
    took+=("$(printf '  %-34s %5ss' "$name" $((SECONDS - t0)))")
}

# The private daemons, one per engine, both running at once (scripts/dockerd.sh):
# - 20.10: dockerd.sh installs docker.io and busybox-static if missing, starts dockerd with its
#   own data-root, exec-root and socket, and imports the test image.
# - 28: Debian unstable's docker.io 28.5, containerd 2.1, the 28.5 CLI and the buildx and
#   compose plugins, downloaded and extracted (never installed) into /tmp/sockeye-engines/28,
#   with a bridge of its own. Under CI=true an engine 28 that cannot be had fails the run.
start_engine() {
    SOCKEYE_TEST_DOCKER_HOST="$(scripts/dockerd.sh start --engine 20.10 | tail -n 1)"
}
timed "start engine 20.10" start_engine
export SOCKEYE_TEST_DOCKER_HOST
log "engine 20.10 for the tests: $SOCKEYE_TEST_DOCKER_HOST"
host28=""
start_engine28() {
    host28="$(scripts/dockerd.sh start --engine 28 | tail -n 1)" || host28=""
}
timed "start engine 28" start_engine28
if [ -n "$host28" ]; then
    log "engine 28 for the tests: $host28"
    # Both at once: engine 28 runs on its own bridge and leaves docker0 and the 20.10 daemon's
    # iptables alone, so a container on 20.10's default network still gets its address.
    DOCKER_HOST="$SOCKEYE_TEST_DOCKER_HOST" docker run --rm sockeye-test/busybox:1 \
        sh -c 'ip -4 addr show eth0 | grep -q "inet "' ||
        { log "ERROR: engine 20.10's default network broke once engine 28 started"; exit 1; }
elif in_ci; then
    log "ERROR: engine 28 could not be started (see above); CI=true, so this fails the run"
    exit 1
else
    log "WARNING: engine 28 could not be started (see above); its runs are SKIPPED"
fi
# The client plugins engine 28 brings (buildx 0.29, compose 2.40) serve the suites that need
# a current BuildKit client or compose v2 against any engine (tests/buildkit.rs, the deployment
# step's compose recipes).
if [ -n "$host28" ]; then
    plugins28="$(scripts/dockerd.sh paths --engine 28 | sed -n 's/^plugins=//p')"
    if [ -x "$plugins28/docker-buildx" ]; then
        export SOCKEYE_TEST_BUILDX="${SOCKEYE_TEST_BUILDX:-$plugins28/docker-buildx}"
    fi
    if [ -x "$plugins28/docker-compose" ]; then
        export SOCKEYE_TEST_COMPOSE="${SOCKEYE_TEST_COMPOSE:-$plugins28/docker-compose}"
    fi
fi

# Docker clients of other ecosystems for tests/clients.rs (dockerode, testcontainers, docker-py,
# the Go SDK). One that cannot be set up fails its test under CI=true.
log "setting up the Node.js, Python and Go clients"
bash tests/clients/setup.sh || log "some clients are missing (see above)"

# The inspector page's browser tests (tests/ui.rs): Debian's chromium, driven by playwright-core,
# and Debian's firefox-esr, driven over WebDriver BiDi by puppeteer-core (playwright drives only
# its own patched Firefox builds). Versions pinned by tests/browser/package-lock.json. Under
# CI=true they are required.
browsers=""
command -v chromium >/dev/null || browsers="chromium"
command -v firefox-esr >/dev/null || browsers="$browsers firefox-esr"
if [ -n "$browsers" ]; then
    log "installing$browsers"
    apt-get update -qq
    # shellcheck disable=SC2086 # one word per package
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends $browsers >/dev/null ||
        log "$browsers could not be installed (the browser test will skip or, in CI, fail)"
fi
if [ ! -d tests/browser/node_modules/playwright-core ] ||
    [ ! -d tests/browser/node_modules/puppeteer-core ] ||
    [ tests/browser/package-lock.json -nt tests/browser/node_modules/.package-lock.json ]; then
    log "npm ci (playwright-core, puppeteer-core)"
    (cd tests/browser && npm ci --no-audit --no-fund --silent) || log "npm ci in tests/browser failed"
fi
if in_ci; then export SOCKEYE_TEST_BROWSER=1; fi

log "cargo fmt --check"
cargo fmt --all -- --check
log "cargo clippy"
timed "clippy" cargo clippy --all-targets --quiet -- -D warnings
# Everything against engine 20.10: the engine the unit-near suites (audit, policy, metrics,
# learn, trace, tls, …) were written for. They test sockeye, not the engine; the
# engine-facing suites run against engine 28 too, below.
log "cargo test (engine 20.10)"
timed "cargo test, engine 20.10" cargo test --quiet 2>&1
# The foundation's docker CLI cases once more, through a tls:// listener with client
# certificates (DOCKER_TLS_VERIFY, DOCKER_CERT_PATH): remote access must be as transparent.
log "cargo test --test cli over TLS (engine 20.10)"
SOCKEYE_TEST_VIA=tls timed "cli over TLS, engine 20.10" cargo test --quiet --test cli 2>&1
# Engine 28 (API 1.51): the docker CLI cases with the 28.5 CLI, buildx builds and compose v2
# (tests/engines.rs), and the hostile corpus (tests/guard.rs) with the same expectations.
if [ -n "$host28" ]; then
    log "cargo test --test cli --test engines --test guard (engine 28)"
    SOCKEYE_TEST_ENGINE=28 SOCKEYE_TEST_DOCKER_HOST="$host28" \
        timed "cli, engines, guard: engine 28" \
        cargo test --quiet --test cli --test engines --test guard 2>&1
fi

# The same CLI cases in front of Podman's Docker-compatible service (scripts/podman.sh): the
# subset Podman 4.3 supports (PODMAN_CASES in tests/common/engine.rs; the others skip), each
# directly and through sockeye. Under CI=true a Podman that cannot start fails the run.
log "cargo test --test cli against Podman"
if podman_host="$(scripts/podman.sh start | tail -n 1)"; then
    SOCKEYE_TEST_ENGINE=podman SOCKEYE_TEST_DOCKER_HOST="$podman_host" \
        timed "cli, podman" cargo test --quiet --test cli 2>&1
else
    case "${CI:-}" in
    true | TRUE | True | 1)
        log "ERROR: Podman did not start (CI is set, so this fails)"
        exit 1
        ;;
    esac
    log "SKIPPED: Podman did not start; the Podman cases did not run"
fi


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
timed "image, compose, systemd" cargo test --quiet --test image --test compose --test systemd 2>&1

log "seconds per phase:"
printf '%s\n' "${took[@]}" >&2
