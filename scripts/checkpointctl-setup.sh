#!/usr/bin/env bash
# Installs checkpointctl, the reference the tests hold `ckpt inspect` against (issue 12): Debian's package (1.3.0 in
# trixie and sid) and its library closure unpacked into $CKPT_HOME/checkpointctl/SUITE-VERSION, run through that
# prefix's own loader (Debian's build is a dynamically linked Go binary that needs glibc 2.38; bookworm has 2.36),
# and linked as $CKPT_HOME/bin/checkpointctl. Quick when installed. Without the mirror it says so and leaves the
# rest of the setup alone: only the tests that compare against checkpointctl need it. Run by prepare.sh.
set -euo pipefail
cd "$(dirname "$0")/.."

CKPT_HOME=${CKPT_HOME:-/var/cache/checkpoint-studio}
BIN=$CKPT_HOME/bin
# Stable first: the reference's JSON should not change under the tests with sid's next upload.
SUITES=(${CKPT_CHECKPOINTCTL_SUITES:-trixie sid})

LOG_TAG=checkpointctl-setup
source scripts/lib.sh

# What the installed checkpointctl is ("checkpointctl 1.3.0+ds1-2+b5 from Debian trixie"); fails when none runs.
# Debian's build has no --version (its version is not linked in), so the prefix records the package's.
installed() {
  "$BIN/checkpointctl" --help > /dev/null 2>&1 && cat "$(dirname "$(readlink -f "$BIN/checkpointctl")")/../VERSION"
}

if line=$(installed); then
  log "ready: $line"
  exit 0
fi

mkdir -p "$BIN" "$CKPT_HOME/checkpointctl"
# Two setups at once would unpack into the same prefix.
exec 9> "$CKPT_HOME/checkpointctl/.lock"
flock 9

for suite in "${SUITES[@]}"; do
  debian_suite "$suite" || continue
  version=$(debian_version checkpointctl)
  [ -n "$version" ] || { log "Debian $suite has no checkpointctl package"; continue; }
  prefix=$CKPT_HOME/checkpointctl/$suite-$version
  if [ ! -f "$prefix/VERSION" ]; then
    log "fetching checkpointctl $version and its libraries from Debian $suite into $prefix"
    debian_unpack checkpointctl "$prefix.tmp" || { log "could not download checkpointctl $version from Debian $suite"; continue; }
    debian_wrapper "$prefix.tmp" "$prefix" usr/bin/checkpointctl || { log "Debian $suite's libc6 has no x86-64 loader"; continue; }
    echo "checkpointctl $version from Debian $suite" > "$prefix.tmp/VERSION"
    rm -rf "$prefix" && mv "$prefix.tmp" "$prefix"
  fi
  ln -sfn "$prefix/bin/checkpointctl" "$BIN/checkpointctl.tmp" && mv -T "$BIN/checkpointctl.tmp" "$BIN/checkpointctl"
  if line=$(installed); then
    log "ready: $line ($prefix)"
    exit 0
  fi
  log "checkpointctl $version from Debian $suite does not run: $("$BIN/checkpointctl" --help 2>&1 | tail -n 3)"
  rm -f "$BIN/checkpointctl"
done

log "WARNING: checkpointctl is not installed (Debian ${SUITES[*]} could not be read or had none that runs here)."
log "Everything else works; the tests that compare checkpoint inspection with checkpointctl will fail until"
log "'bash scripts/checkpointctl-setup.sh' runs with this machine's Debian mirror reachable."
exit 0
