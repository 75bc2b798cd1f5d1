#!/usr/bin/env bash
# The compose v2 CLI plugin for tests/compose.rs, when the machine has none: Debian
# unstable's docker-compose package (a static Go binary), downloaded with a private apt
# configuration (the system's sources, state and locks are not touched) and extracted,
# never installed. Prints the plugin's path (the last stdout line); a second run reuses it.
#
#   SOCKEYE_TEST_COMPOSE="$(scripts/compose.sh)" cargo test --test compose
set -euo pipefail

DIR="${SOCKEYE_COMPOSE_DIR:-/tmp/sockeye-compose}"
PLUGIN="$DIR/docker-compose"
MIRROR="${SOCKEYE_DEBIAN_MIRROR:-http://deb.debian.org/debian}"
KEYRING=/usr/share/keyrings/debian-archive-keyring.gpg
log() { echo "compose.sh: $*" >&2; }

if [ -x "$PLUGIN" ] && "$PLUGIN" version >/dev/null 2>&1; then
    echo "$PLUGIN"
    exit 0
fi
a="$DIR/apt"
rm -rf "$a" "$DIR/root"
mkdir -p "$a/etc/apt.conf.d" "$a/etc/preferences.d" "$a/etc/sources.list.d" \
    "$a/state/lists/partial" "$a/cache/archives/partial" "$DIR/root"
: >"$a/state/status"
echo "deb [signed-by=$KEYRING] $MIRROR unstable main" >"$a/etc/sources.list"
apt_private() {
    "$@" -o Dir::Etc="$a/etc" -o Dir::Etc::sourcelist="$a/etc/sources.list" \
        -o Dir::Etc::sourceparts="$a/etc/sources.list.d" -o Dir::Etc::parts="$a/etc/apt.conf.d" \
        -o Dir::Etc::preferencesparts="$a/etc/preferences.d" -o Dir::State="$a/state" \
        -o Dir::State::status="$a/state/status" -o Dir::Cache="$a/cache" \
        -o Debug::NoLocking=1 -o APT::Sandbox::User=root -o Acquire::Retries=5
}
log "apt-get update of a private list for Debian unstable"
apt_private apt-get update -q >&2
(cd "$DIR" && apt_private apt-get download -q docker-compose >&2)
dpkg-deb -x "$DIR"/docker-compose_*.deb "$DIR/root"
found="$(find "$DIR/root" -path '*cli-plugins/docker-compose' -type f | head -1)"
[ -n "$found" ] || { log "ERROR: no cli-plugins/docker-compose in the package"; exit 1; }
cp "$found" "$PLUGIN"
rm -rf "$a" "$DIR/root" "$DIR"/docker-compose_*.deb
log "$("$PLUGIN" version)"
echo "$PLUGIN"
