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

LOG_TAG=vscode-setup
source "$(dirname "$0")/lib.sh"

# chromium drives the workbench; libkrb5-dev + pkg-config build code-server's kerberos module;
# ripgrep stands in for the rg that @vscode/ripgrep would download.
ensure_debs chromium libkrb5-dev pkg-config ripgrep

if [ -f "$STAMP" ] && [ -x "$BIN" ]; then
  log "ready: code-server $CS_VERSION at $BIN"
  exit 0
fi

[ "$(id -u)" = 0 ] || die "run as root: apt installs and code-server's native builds (--unsafe-perm) need it."
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) \
  || die "node is not on PATH: install Node 20 first."
[ "$node_major" = 20 ] || die "code-server $CS_VERSION runs on Node 20, this is Node $node_major. \
Use Node 20, or see vscode-harness.md ('Newer VS Code versions') for another Node."

# An unstamped folder is a half-done install: start over rather than trust it.
rm -rf "$DIR"
mkdir -p "$DIR/tmp"
echo '{"private":true}' > "$DIR/package.json"

# Trap 2: @vscode/ripgrep's postinstall untars this cached archive instead of downloading from GitHub.
rg_cache=$DIR/tmp/vscode-ripgrep-cache-$RG_PKG_VERSION
mkdir -p "$rg_cache"
rg_bin=$(command -v rg) || die "ripgrep is missing: apt-get install -y ripgrep (code-server needs an rg binary)."
tar czf "$rg_cache/$RG_TARBALL" -C "$(dirname "$rg_bin")" rg

log "installing code-server $CS_VERSION into $DIR (about a minute; log: $DIR/npm-install.log)"
start=$SECONDS
# Trap 3: node-pty's postinstall runs 'npx node-gyp' (needs yes=true); code-server's own postinstall refuses
# root unless npm_config_unsafe_perm=true, which --unsafe-perm sets (npm 11 warns it is unknown: harmless).
if ! (cd "$DIR" && TMPDIR="$DIR/tmp" npm_config_yes=true \
      npm install --unsafe-perm --no-audit --no-fund --omit=dev "code-server@$CS_VERSION") \
      > "$DIR/npm-install.log" 2>&1; then
  tail -n 30 "$DIR/npm-install.log" >&2
  die "npm install code-server@$CS_VERSION failed (full log: $DIR/npm-install.log). Common causes: the npm \
registry is unreachable; kerberos headers missing (apt-get install libkrb5-dev pkg-config); a changed \
@vscode/ripgrep version (then the log shows a GitHub download: set RG_PKG_VERSION in this script to the \
version in lib/vscode/npm-shrinkwrap.json)."
fi

# Any code-server run writes a config into $XDG_CONFIG_HOME (the user's home by default): keep it in tmp.
version=$(XDG_CONFIG_HOME="$DIR/tmp/xdgc" XDG_DATA_HOME="$DIR/tmp/xdgd" "$BIN" --version 2>/dev/null \
  | grep -m1 "with Code") \
  || die "code-server installed but does not start: see $DIR/npm-install.log; delete $DIR and rerun."
rm -rf "$DIR/tmp"
touch "$STAMP"
log "ready: code-server $version at $BIN (installed in $((SECONDS - start)) s)"
