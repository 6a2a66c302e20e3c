#!/usr/bin/env bash
# Installs code-server 4.100.3 (VS Code 1.100.3: the newest whose engines accept Node 20) from npm into
# $CKPT_HOME/code-server, for the real-VS-Code test harness in test/vscode/. Idempotent; instant when done.
# Run as root. Facts behind each step: shared docs vscode-harness.md ("the three install traps").
set -euo pipefail

CKPT_HOME=${CKPT_HOME:-/var/cache/checkpoint-studio}
CS_VERSION=4.100.3
# @vscode/ripgrep as pinned in code-server 4.100.3's lib/vscode/npm-shrinkwrap.json, and the rg release it wants.
RG_PKG_VERSION=1.15.11
RG_TARBALL=ripgrep-v13.0.0-10-x86_64-unknown-linux-musl.tar.gz
DIR=$CKPT_HOME/code-server
STAMP=$DIR/.installed-$CS_VERSION
BIN=$DIR/node_modules/.bin/code-server

log() { printf '[vscode-setup] %s\n' "$*" >&2; }
die() { printf '[vscode-setup] ERROR: %s\n' "$*" >&2; exit 1; }

if [ -f "$STAMP" ] && [ -x "$BIN" ]; then
  log "ready: code-server $CS_VERSION at $BIN"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "run as root: apt installs and code-server's native builds (--unsafe-perm) need it."
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) \
  || die "node is not on PATH: install Node 20 first."
[ "$node_major" = 20 ] || die "code-server $CS_VERSION runs on Node 20, this is Node $node_major. \
Use Node 20, or see vscode-harness.md ('Newer VS Code versions') for another Node."

# chromium drives the workbench; libkrb5-dev + pkg-config build code-server's kerberos module;
# ripgrep stands in for the rg that @vscode/ripgrep would download. host-setup.sh installs the same.
DEBS=(chromium libkrb5-dev pkg-config ripgrep)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  log "installing Debian packages: ${missing[*]}"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq || die "apt-get update failed: check that Debian's archive is reachable."
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null \
    || die "apt-get install ${missing[*]} failed: run it by hand to see why."
fi

# An unstamped folder is a half-done install: start over rather than trust it.
rm -rf "$DIR"
mkdir -p "$DIR/tmp"
echo '{"private":true}' > "$DIR/package.json"

# Trap 2: @vscode/ripgrep's postinstall untars this cached archive instead of downloading from GitHub.
rg_cache=$DIR/tmp/vscode-ripgrep-cache-$RG_PKG_VERSION
mkdir -p "$rg_cache"
tar czf "$rg_cache/$RG_TARBALL" -C "$(dirname "$(command -v rg)")" rg

log "installing code-server $CS_VERSION into $DIR (about a minute; log: $DIR/npm-install.log)"
start=$SECONDS
# Trap 3: node-pty's postinstall runs 'npx node-gyp' (needs yes=true) and refuses root without --unsafe-perm.
if ! (cd "$DIR" && TMPDIR="$DIR/tmp" npm_config_yes=true \
      npm install --unsafe-perm --no-audit --no-fund --omit=dev "code-server@$CS_VERSION") \
      > "$DIR/npm-install.log" 2>&1; then
  tail -n 30 "$DIR/npm-install.log" >&2
  die "npm install code-server@$CS_VERSION failed (full log: $DIR/npm-install.log). Common causes: the npm \
registry is unreachable; kerberos headers missing (apt-get install libkrb5-dev pkg-config); a changed \
@vscode/ripgrep version (then the log shows a GitHub download: set RG_PKG_VERSION in this script to the \
version in lib/vscode/npm-shrinkwrap.json)."
fi
rm -rf "$DIR/tmp"

version=$("$BIN" --version 2>/dev/null | head -1) \
  || die "code-server installed but does not start: see $DIR/npm-install.log; delete $DIR and rerun."
touch "$STAMP"
log "ready: code-server $version at $BIN (installed in $((SECONDS - start)) s)"
