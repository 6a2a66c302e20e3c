#!/usr/bin/env bash
# Picks the CRIU this machine's checkpoints use, by proof: each candidate (newest first) is unpacked into a prefix
# of its own and must pass a real checkpoint and restore (`ckpt host --check`); the first that passes becomes
# $CKPT_HOME/bin/criu. The choice is remembered per kernel release and proved again when the kernel changes:
# a CRIU that worked on the last kernel can hang on the next one while `criu check` still says "Looks good".
# Needs the built CLI (dist/cli.js) and podman; run by prepare.sh after deps.sh. Facts: shared docs test-host.md.
set -euo pipefail
cd "$(dirname "$0")/.."

CKPT_HOME=${CKPT_HOME:-/var/cache/checkpoint-studio}
BIN=$CKPT_HOME/bin
KERNEL=$(uname -r)
PROVEN=$CKPT_HOME/criu-proven/$KERNEL
# Newest first. Debian builds of CRIU need a newer glibc than bookworm's, so each runs with its own library closure.
SUITES=(${CKPT_CRIU_SUITES:-sid trixie})
# A stall in the smoke test is a failed candidate, not a wait: CRIU makes progress every second when it works.
STALL_SECONDS=${CKPT_CRIU_STALL_SECONDS:-20}

LOG_TAG=criu-setup
source scripts/lib.sh

use_prefix() {
  ln -sfn "$1/bin/criu" "$BIN/criu.tmp" && mv -T "$BIN/criu.tmp" "$BIN/criu"
}

if [ -f "$PROVEN" ] && prefix=$(cat "$PROVEN") && [ -x "$prefix/bin/criu" ]; then
  use_prefix "$prefix"
  log "ready: CRIU $("$BIN/criu" --version | awk '/Version:/ { print $2; exit }') (proved on kernel $KERNEL; $prefix)"
  exit 0
fi

# fetch_criu SUITE: unpacks SUITE's criu and its whole library closure into a prefix; prints the prefix.
fetch_criu() {
  local suite=$1 version prefix
  debian_suite "$suite" || return 1
  version=$(debian_version criu)
  [ -n "$version" ] || { log "Debian $suite has no criu package"; return 1; }
  prefix=$CKPT_HOME/criu/$suite-$version
  if [ ! -x "$prefix/bin/criu" ]; then
    log "fetching CRIU $version and its libraries from Debian $suite into $prefix"
    debian_unpack criu "$prefix.tmp" || { log "could not download CRIU $version from Debian $suite"; return 1; }
    debian_wrapper "$prefix.tmp" "$prefix" usr/sbin/criu || { log "Debian $suite's libc6 has no x86-64 loader"; return 1; }
    rm -rf "$prefix" && mv "$prefix.tmp" "$prefix"
  fi
  echo "$prefix"
}

report=()
for suite in "${SUITES[@]}"; do
  prefix=$(fetch_criu "$suite") || { report+=("Debian $suite: could not be fetched"); continue; }
  version=$("$prefix/bin/criu" --version 2>&1 | awk '/Version:/ { print $2; exit }' || true)
  version=${version:-"of Debian $suite (its version unreadable)"}
  log "proving CRIU $version ($suite) on kernel $KERNEL: a real checkpoint and restore"
  out=$CKPT_HOME/criu-check-$suite.log
  if PATH="$prefix/bin:$PATH" node dist/cli.js host --check --stall-timeout "$STALL_SECONDS" \
      --podman-store "$CKPT_HOME/check-store" > "$out" 2>&1; then
    mkdir -p "$(dirname "$PROVEN")"
    echo "$prefix" > "$PROVEN.tmp" && mv "$PROVEN.tmp" "$PROVEN"
    use_prefix "$prefix"
    sed 's/^/  /' "$out" >&2
    log "ready: CRIU $version from Debian $suite passed the smoke test on kernel $KERNEL"
    exit 0
  fi
  report+=("CRIU $version (Debian $suite) failed:
$(tail -n 25 "$out" | sed 's/^/    /')")
  log "CRIU $version ($suite) failed the smoke test; trying the next candidate"
done

die "no CRIU could checkpoint and restore a container on kernel $KERNEL.
$(printf '  %s\n' "${report[@]}")
Next step: a CRIU release newer than these may support this kernel; build it, put it first in PATH, and run
'ckpt host --check' to prove it (or set CKPT_CRIU_SUITES to other Debian suites to try)."
