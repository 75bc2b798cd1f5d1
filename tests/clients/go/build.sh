#!/usr/bin/env bash
# Build the Go Docker-SDK client (main.go beside this file) offline, from
# Debian 12 packages only (no Go module proxy needed).
#
#   tests/clients/go/build.sh [OUTDIR]      (default OUTDIR: <repo>/target/clients-go)
#
# Prints the binary's path as the last stdout line. On failure exits non-zero
# with a one-line reason on stderr (details in OUTDIR/build.log).
#
# How: GOPATH mode (GO111MODULE=off) with Debian's golang-go (Go 1.19).
#  - Installed with apt (small, few dependencies): golang-go and the -dev
#    packages the SDK imports (APT_PKGS).
#  - Only downloaded and unpacked into OUTDIR/deps, never installed
#    (SRC_PKGS): their Debian dependency lists would drag in ~250 packages
#    (systemd, containerd, grpc, aws-sdk...) although the client needs none:
#    golang-github-docker-docker-dev (moby 20.10 client source),
#    golang-github-docker-distribution-dev (only distribution/reference is used),
#    golang-github-gogo-protobuf-dev (only gogo/protobuf/proto is used).
# apt-get update runs only when something is missing. When the binary is
# newer than main.go and this script, nothing is checked or rebuilt.
set -uo pipefail

HERE="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
REPO="$(cd "$HERE/../../.." && pwd)"
OUT="${1:-$REPO/target/clients-go}"
SRC="$HERE/main.go"
NAME=sockeye-go-client

APT_PKGS=(
  golang-go
  golang-github-docker-go-connections-dev
  golang-github-docker-go-units-dev
  golang-github-opencontainers-go-digest-dev
  golang-github-opencontainers-image-spec-dev
  golang-github-pkg-errors-dev
  golang-github-sirupsen-logrus-dev
  golang-golang-x-net-dev
  golang-golang-x-sys-dev
)
SRC_PKGS=(
  golang-github-docker-docker-dev
  golang-github-docker-distribution-dev
  golang-github-gogo-protobuf-dev
)

fail() { echo "build.sh: $*" >&2; exit 1; }

mkdir -p "$OUT" || fail "cannot create output directory $OUT"
OUT="$(cd "$OUT" && pwd)"
BIN="$OUT/$NAME"
LOG="$OUT/build.log"
DEPS="$OUT/deps"

fresh() { [ -x "$BIN" ] && [ "$BIN" -nt "$SRC" ] && [ "$BIN" -nt "${BASH_SOURCE[0]}" ]; }

# Warm path: nothing to do.
if fresh; then echo "$BIN"; exit 0; fi
[ -f "$SRC" ] || fail "missing $SRC"

# One build at a time per output directory (parallel test runners).
exec 9>"$OUT/.lock" || fail "cannot open lock file $OUT/.lock"
flock 9 || fail "cannot lock $OUT/.lock"
if fresh; then echo "$BIN"; exit 0; fi

: >"$LOG"
log() { echo "== $*" >>"$LOG"; }

installed() { [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null)" = installed ]; }

missing=()
for p in "${APT_PKGS[@]}"; do installed "$p" || missing+=("$p"); done
stamp_want="${SRC_PKGS[*]}"
need_src=1
if [ -f "$DEPS/stamp" ] && [ "$(head -n1 "$DEPS/stamp")" = "$stamp_want" ]; then need_src=0; fi

if [ ${#missing[@]} -gt 0 ] || [ $need_src -eq 1 ]; then
  [ "$(id -u)" -eq 0 ] || fail "needs root to fetch Debian packages (missing: ${missing[*]:-} ${SRC_PKGS[*]})"
  export DEBIAN_FRONTEND=noninteractive
  log "apt-get update"
  apt-get update >>"$LOG" 2>&1 || fail "apt-get update failed (see $LOG)"
fi

if [ ${#missing[@]} -gt 0 ]; then
  log "apt-get install ${missing[*]}"
  apt-get install -y --no-install-recommends "${missing[@]}" >>"$LOG" 2>&1 \
    || fail "apt-get install failed: ${missing[*]} (see $LOG)"
fi

if [ $need_src -eq 1 ]; then
  rm -rf "$DEPS"
  mkdir -p "$DEPS/debs" "$DEPS/root" || fail "cannot create $DEPS"
  log "apt-get download ${SRC_PKGS[*]}"
  (cd "$DEPS/debs" && apt-get download "${SRC_PKGS[@]}") >>"$LOG" 2>&1 \
    || fail "apt-get download failed: ${SRC_PKGS[*]} (see $LOG)"
  for deb in "$DEPS"/debs/*.deb; do
    dpkg-deb -x "$deb" "$DEPS/root" >>"$LOG" 2>&1 || fail "cannot unpack $deb (see $LOG)"
  done
  rm -rf "$DEPS/debs"
  [ -d "$DEPS/root/usr/share/gocode/src/github.com/docker/docker/client" ] \
    || fail "unpacked golang-github-docker-docker-dev has no client package"
  { echo "$stamp_want"; ls "$DEPS/root/usr/share/doc"; } >"$DEPS/stamp"
fi

GO=/usr/lib/go/bin/go
[ -x "$GO" ] || fail "$GO not found although golang-go is installed"

export GO111MODULE=off GOFLAGS= GOENV=off CGO_ENABLED=0 GOPROXY=off \
  GOPATH="$DEPS/root/usr/share/gocode:/usr/share/gocode" \
  GOCACHE="$OUT/go-cache"
log "go build ($("$GO" version))"
tmp="$BIN.tmp.$$"
if ! "$GO" build -o "$tmp" "$SRC" >>"$LOG" 2>&1; then
  rm -f "$tmp"
  fail "go build failed: $(grep -m1 -E 'cannot find package|\.go:[0-9]+' "$LOG" || tail -n1 "$LOG")"
fi
mv -f "$tmp" "$BIN" || fail "cannot move binary to $BIN"
echo "$BIN"
