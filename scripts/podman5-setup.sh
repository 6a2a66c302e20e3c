#!/usr/bin/env bash
# Podman 5 beside bookworm's podman 4.3 (issue 13): Debian trixie's podman with conmon, netavark, aardvark-dns and
# catatonit, unpacked with their library closure into $CKPT_HOME/podman5/trixie-VERSION and relinked to that
# prefix's own loader (they need trixie's glibc). Runtime: bookworm's runc (trixie's crun is not needed; the CRIU
# in $CKPT_HOME/bin is found through PATH as for podman 4). Prints nothing but the ready line when installed.
# Use: CKPT_PODMAN=$CKPT_HOME/podman5/bin/podman with a store of its own (podman 5 cannot share podman 4's).
set -euo pipefail
cd "$(dirname "$0")/.."

CKPT_HOME=${CKPT_HOME:-/var/cache/checkpoint-studio}
HOME5=$CKPT_HOME/podman5
SUITE=${CKPT_PODMAN5_SUITE:-trixie}
# The helpers podman 5 runs itself; each must be in the prefix or podman fails only when it first needs it.
HELPERS=(usr/bin/conmon usr/lib/podman/netavark usr/lib/podman/aardvark-dns usr/bin/catatonit)

LOG_TAG=podman5-setup
source scripts/lib.sh

installed() {
  "$HOME5/bin/podman" --version > /dev/null 2>&1 && cat "$HOME5/prefix/VERSION"
}

if line=$(installed); then
  log "ready: $line ($HOME5/bin/podman)"
  exit 0
fi

ensure_debs patchelf runc iptables
mkdir -p "$HOME5"
exec 9> "$HOME5/.lock"
flock 9

debian_suite "$SUITE" || die "cannot read Debian $SUITE's package lists: podman 5 comes from there"
version=$(debian_version podman)
[ -n "$version" ] || die "Debian $SUITE has no podman package"
prefix=$HOME5/$SUITE-$version
if [ ! -f "$prefix/VERSION" ]; then
  log "fetching podman $version, conmon, netavark, aardvark-dns, catatonit and their libraries from Debian $SUITE"
  tmp=$prefix.tmp
  rm -rf "$tmp"
  for pkg in podman conmon netavark aardvark-dns catatonit; do
    # One closure per package, merged: debian_unpack makes its directory afresh.
    debian_unpack "$pkg" "$tmp.$pkg" || die "could not download $pkg (and its libraries) from Debian $SUITE"
    mkdir -p "$tmp" && cp -a "$tmp.$pkg/." "$tmp/" && rm -rf "$tmp.$pkg"
  done
  for f in usr/bin/podman "${HELPERS[@]}"; do
    [ -f "$tmp/$f" ] || die "Debian $SUITE's packages have no $f, which podman 5 needs"
  done
  # All relinked (catatonit is static and stays as it is), so none of them meets bookworm's older glibc.
  debian_relink "$tmp" "$prefix" usr/bin/podman "${HELPERS[@]}" || die "could not relink podman to its own loader (patchelf)"
  echo "podman $version from Debian $SUITE" > "$tmp/VERSION"
  rm -rf "$prefix" && mv "$tmp" "$prefix"
fi

# A containers.conf of its own: podman 5's helpers from the prefix, plus this host's settings (no systemd, runc).
mkdir -p "$HOME5/bin" "$HOME5/libexec"
cat > "$HOME5/containers.conf" <<CONF
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[network]
network_backend = "netavark"
firewall_driver = "iptables"
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
conmon_path = ["$prefix/usr/bin/conmon"]
helper_binaries_dir = ["$prefix/usr/lib/podman", "$prefix/usr/bin"]
CONF
# The wrapper only sets the environment: podman itself is the relinked binary, so /proc/self/exe re-execs work.
# Podman 5 warns on every command that cgroups v1 (this host's hybrid layout) is deprecated; the warning would
# land in every error the engine reports.
cat > "$HOME5/bin/podman" <<WRAP
#!/bin/sh
export CONTAINERS_CONF="$HOME5/containers.conf" PODMAN_IGNORE_CGROUPSV1_WARNING=1
exec "$prefix/usr/bin/podman" "\$@"
WRAP
chmod 755 "$HOME5/bin/podman"
ln -sfn "$prefix" "$HOME5/prefix"
line=$(installed) || die "podman 5 does not run: $("$HOME5/bin/podman" --version 2>&1 | tail -n 3)"
log "ready: $line ($HOME5/bin/podman)"
