#!/bin/sh
# Run the docker-py client exercise (docker_py.py) with docker==7.1.0.
#
# Usage: [PYTHON=python3] [DOCKER_HOST=unix:///path.sock] \
#        [SOCKEYE_TEST_IMAGE=sockeye-test/busybox:1] tests/clients/python/run.sh [--setup-only]
#
# --setup-only: make docker 7.1.0 importable and stop (tests/clients/setup.sh).
#
# If the python3 on PATH (or $PYTHON) cannot import docker 7.1.0, the package
# is pip-installed into a private directory (--target) that is then put first
# on PYTHONPATH. --target works the same for a pyenv/venv interpreter and for
# Debian 12's /usr/bin/python3, whose pip refuses plain installs (PEP 668,
# "externally-managed-environment"), and it never touches the interpreter's
# own site-packages. Default directory:
#   ${XDG_CACHE_HOME:-$HOME/.cache}/sockeye/docker-py-7.1.0-py<X.Y>
# (override with SOCKEYE_PY_DEPS). pip output goes to stderr; stdout carries
# only the script's step lines.
set -eu

DOCKER_PY_VERSION=7.1.0
HERE=$(CDPATH= cd -- "$(dirname -- "$0")" && pwd)
PY=${PYTHON:-python3}

have_docker_py() {
    "$PY" -c 'import sys, docker; sys.exit(0 if docker.__version__ == sys.argv[1] else 1)' \
        "$DOCKER_PY_VERSION" >/dev/null 2>&1
}

if ! have_docker_py; then
    pyver=$("$PY" -c 'import sys; print("%d.%d" % sys.version_info[:2])')
    deps=${SOCKEYE_PY_DEPS:-${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/sockeye/docker-py-$DOCKER_PY_VERSION-py$pyver}
    PYTHONPATH="$deps${PYTHONPATH:+:$PYTHONPATH}"
    export PYTHONPATH
    if ! have_docker_py; then
        # Install into a fresh directory and rename it into place, so that
        # concurrent runs never see a half-installed tree.
        mkdir -p "$(dirname -- "$deps")"
        tmp=$(mktemp -d "$deps.tmp.XXXXXX")
        if ! PIP_ROOT_USER_ACTION=ignore "$PY" -m pip install --quiet --disable-pip-version-check \
                --no-input --target "$tmp" "docker==$DOCKER_PY_VERSION" >&2; then
            rm -rf "$tmp"
            echo "run.sh: pip install docker==$DOCKER_PY_VERSION failed" >&2
            exit 3
        fi
        if have_docker_py; then
            # A concurrent run finished its install first: keep that one.
            rm -rf "$tmp"
        else
            rm -rf "$deps"
            mv "$tmp" "$deps"
        fi
        if ! have_docker_py; then
            echo "run.sh: docker==$DOCKER_PY_VERSION still not importable by $PY (PYTHONPATH=$PYTHONPATH)" >&2
            exit 3
        fi
    fi
fi

if [ "${1:-}" = --setup-only ]; then
    exit 0
fi
exec "$PY" "$HERE/docker_py.py" "$@"
