#!/usr/bin/env bash
# Build sockeye's container image on whatever daemon DOCKER_HOST names, with no registry:
# a statically linked binary in a FROM scratch image, tagged sockeye:<version> and
# sockeye:latest.
#
#   scripts/image.sh            the host's architecture (amd64 here), and arm64
#                               (sockeye:<version>-arm64) when a cross toolchain is
#                               present; says what is missing when it is not
#   scripts/image.sh native     the host's architecture only
#
# The binary is glibc's static build (RUSTFLAGS=-C target-feature=+crt-static on the gnu
# target, cargo profile `image`: LTO, stripped): no musl toolchain to download. It resolves no
# user names. Host names (a tcp:// daemon, --audit-otlp, --audit-syslog, a bundle server) do
# resolve in the FROM scratch image: glibc 2.34 and later build the files and dns lookups into
# libc itself, so /etc/hosts and the /etc/resolv.conf Docker mounts (its embedded DNS, compose
# service names) are read with no NSS module to load (checked by hand on 20.10: a service name
# on a user network and an --add-host name).
# `docker build` may be the classic builder or BuildKit: the context holds only the binary
# and the Dockerfile, and FROM scratch pulls nothing.
#
# Prints the image size; fails if it is not under 15 MB.
set -euo pipefail

cd "$(dirname "$0")/.."
log() { echo "image.sh: $*" >&2; }
die() {
    log "ERROR: $*"
    exit 1
}

VERSION="$(sed -n 's/^version = "\(.*\)"$/\1/p' Cargo.toml | head -1)"
REVISION="$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)"
CREATED="$(date -u +%Y-%m-%dT%H:%M:%SZ)"
MAX_BYTES=$((15 * 1000 * 1000))
export RUSTFLAGS="-C target-feature=+crt-static"

build() { # ARCH TRIPLE TAG...
    local arch="$1" triple="$2"
    shift 2
    log "building the static binary for $arch ($triple)"
    cargo build --locked --profile image --target "$triple" --bin sockeye
    local bin="target/$triple/image/sockeye"
    case "$(file -b "$bin" 2>/dev/null || echo static)" in
    *"dynamically linked"*) die "$bin is dynamically linked" ;;
    esac
    local ctx
    ctx="$(mktemp -d)"
    trap 'rm -rf "$ctx"' RETURN
    cp "$bin" "$ctx/sockeye"
    cp scripts/image/Dockerfile "$ctx/Dockerfile"
    local tags=()
    for t in "$@"; do tags+=(-t "$t"); done
    log "docker build --platform linux/$arch ${tags[*]}"
    docker build -q --platform "linux/$arch" \
        --build-arg VERSION="$VERSION" --build-arg REVISION="$REVISION" \
        --build-arg CREATED="$CREATED" "${tags[@]}" "$ctx" >/dev/null
    local size
    size="$(docker image inspect --format '{{.Size}}' "$1")"
    log "$1: $size bytes ($((size / 1000 / 1000)) MB)"
    [ "$size" -lt "$MAX_BYTES" ] || die "$1 is $size bytes, not under 15 MB"
}

want_arm64=1
for a in "$@"; do
    case "$a" in
    native) want_arm64=0 ;;
    *) die "unknown argument $a (native)" ;;
    esac
done

case "$(uname -m)" in
x86_64) build amd64 x86_64-unknown-linux-gnu "sockeye:$VERSION" sockeye:latest ;;
aarch64) build arm64 aarch64-unknown-linux-gnu "sockeye:$VERSION" sockeye:latest ;;
*) die "no image for $(uname -m)" ;;
esac

if [ "$want_arm64" = 1 ] && [ "$(uname -m)" != aarch64 ]; then
    missing=()
    rustup target list --installed 2>/dev/null | grep -qx aarch64-unknown-linux-gnu ||
        missing+=("the Rust target (rustup target add aarch64-unknown-linux-gnu)")
    command -v aarch64-linux-gnu-gcc >/dev/null ||
        missing+=("a linker and static glibc (apt-get install gcc-aarch64-linux-gnu libc6-dev-arm64-cross)")
    if [ "${#missing[@]}" -gt 0 ]; then
        log "arm64: not built: missing $(IFS=';'; echo "${missing[*]}" | sed 's/;/; and /g')"
    else
        CARGO_TARGET_AARCH64_UNKNOWN_LINUX_GNU_LINKER=aarch64-linux-gnu-gcc \
            build arm64 aarch64-unknown-linux-gnu "sockeye:$VERSION-arm64"
    fi
fi
echo "sockeye:$VERSION"
