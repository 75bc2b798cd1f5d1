#!/usr/bin/env bash
# Install the Docker clients of other ecosystems that tests/clients.rs drives: dockerode and
# testcontainers-node (npm, versions pinned by node/package-lock.json), docker-py (PyPI), and
# a Go program built against the Docker Go SDK from Debian's packages (no Go module proxy).
# Idempotent and quick when everything is in place. Exits non-zero, with one line saying
# which client could not be set up, if any could not.
set -euo pipefail
cd "$(dirname "$0")"

log() { echo "clients/setup.sh: $*" >&2; }
failed=()

apt_install() {
    [ "$(id -u)" = 0 ] && command -v apt-get >/dev/null || return 1
    [ -n "${SOCKEYE_APT_UPDATED:-}" ] || { apt-get update -qq && export SOCKEYE_APT_UPDATED=1; }
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "$@" >/dev/null
}

# Node.js 20 or newer: testcontainers 12 and undici 7 need it (Debian 12's nodejs is 18).
node_ok() {
    command -v node >/dev/null && command -v npm >/dev/null &&
        [ "$(node -p 'process.versions.node.split(".")[0]')" -ge 20 ]
}
if ! node_ok; then
    command -v node >/dev/null || apt_install nodejs npm || true
fi
if node_ok; then
    if [ ! -d node/node_modules/testcontainers ] || [ node/package-lock.json -nt node/node_modules/.package-lock.json ]; then
        log "npm ci (dockerode, testcontainers)"
        (cd node && npm ci --no-audit --no-fund --loglevel=error >/dev/null) || failed+=(node)
    fi
else
    log "Node.js >= 20 with npm is needed for dockerode and testcontainers (have: $(node --version 2>/dev/null || echo none))"
    failed+=(node)
fi

bash python/run.sh --setup-only || failed+=(docker-py)

target="${CARGO_TARGET_DIR:-$(cd .. && cd .. && pwd)/target}"
bash go/build.sh "$target/clients-go" >/dev/null || failed+=(go-sdk)

if [ ${#failed[@]} -gt 0 ]; then
    log "could not set up: ${failed[*]}"
    exit 1
fi
