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

# The Debian mirror this machine already uses (its own apt sources), for the suite it runs.
mirror() {
  local codename
  codename=$(. /etc/os-release && echo "$VERSION_CODENAME")
  apt-get indextargets --format '$(REPO_URI) $(RELEASE)' | awk -v c="$codename" '$2 == c { print $1; exit }'
}

# fetch_criu SUITE: unpacks SUITE's criu and its whole library closure into a prefix; prints the prefix.
fetch_criu() {
  local suite=$1 apt=$CKPT_HOME/apt-$1 uri version prefix pkgs
  uri=$(mirror)
  [ -n "$uri" ] || die "no Debian mirror found in this machine's apt sources (apt-get indextargets)"
  mkdir -p "$apt/lists/partial" "$apt/archives/partial"
  echo "deb $uri $suite main" > "$apt/sources.list"
  local opts=(-o "Dir::Etc::SourceList=$apt/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$apt/lists" -o "Dir::State::Status=$apt/status" -o "Dir::Cache::Archives=$apt/archives"
    -o "Dir::Cache=$apt" -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  touch "$apt/status"
  apt-get "${opts[@]}" update -qq >&2 || { log "could not read Debian $suite's package lists from $uri"; return 1; }
  version=$(apt-cache "${opts[@]}" show --no-all-versions criu 2>/dev/null | awk '/^Version:/ { print $2; exit }')
  [ -n "$version" ] || { log "Debian $suite has no criu package"; return 1; }
  prefix=$CKPT_HOME/criu/$suite-$version
  if [ ! -x "$prefix/bin/criu" ]; then
    log "fetching CRIU $version and its libraries from Debian $suite into $prefix"
    pkgs=$(apt-cache "${opts[@]}" depends --recurse --no-recommends --no-suggests --no-conflicts --no-breaks \
      --no-replaces --no-enhances criu | grep -v '^ ' | grep -v '^<' | sort -u)
    rm -f "$apt"/archives/*.deb
    # shellcheck disable=SC2086 # one word per package
    ( cd "$apt/archives" && apt-get "${opts[@]}" download $pkgs >/dev/null ) \
      || { log "could not download CRIU $version from Debian $suite"; return 1; }
    rm -rf "$prefix.tmp" && mkdir -p "$prefix.tmp/bin"
    for deb in "$apt"/archives/*.deb; do dpkg -x "$deb" "$prefix.tmp"; done
    local libdirs="$prefix/usr/lib/x86_64-linux-gnu:$prefix/lib/x86_64-linux-gnu" loader
    # Newer suites ship the loader under usr/lib, older ones under lib.
    loader=$(cd "$prefix.tmp" && ls usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 lib/x86_64-linux-gnu/ld-linux-x86-64.so.2 2>/dev/null | head -1)
    [ -n "$loader" ] || { log "Debian $suite's libc6 has no x86-64 loader"; return 1; }
    # The whole closure, libc included, runs through the suite's own loader; bookworm's libc stays untouched.
    cat > "$prefix.tmp/bin/criu" <<WRAP
#!/bin/sh
exec "$prefix/$loader" --library-path "$libdirs" "$prefix/usr/sbin/criu" "\$@"
WRAP
    chmod 755 "$prefix.tmp/bin/criu"
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
