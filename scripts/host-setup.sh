#!/usr/bin/env bash
# Prepares this machine for real checkpoint/restore: podman + runc + CRIU 4.1.1 + a loopback registry.
# Idempotent and fast when already done. Run as root. Writes nothing outside $CKPT_HOME except apt installs.
# Facts behind every step: shared docs test-host.md (bookworm's CRIU 3.17 cannot dump on kernels >= 6.13).
set -euo pipefail

CKPT_HOME=${CKPT_HOME:-/var/cache/checkpoint-studio}
CRIU_PREFIX=$CKPT_HOME/criu-4.1.1
BIN=$CKPT_HOME/bin
TRIXIE_CACHE=$CKPT_HOME/trixie-apt
STAMP=$CKPT_HOME/.host-setup-v1

LOG_TAG=host-setup
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "checkpoint/restore needs root (CRIU dumps other processes). Run as root, e.g. 'sudo npm test'."

ensure_debs podman runc conmon buildah skopeo docker-registry busybox-static apache2-utils uidmap git openssl

mkdir -p "$CKPT_HOME" "$BIN"

# CRIU 4.1.1 from trixie, unpacked into a private prefix: its libraries need glibc >= 2.38, so the whole
# library closure (libc included) comes from trixie and runs through trixie's own dynamic loader.
CRIU_PKGS=(criu libcompel1 libc6 libgnutls30t64 libnet1 libnftables1 libnl-3-200 libprotobuf-c1 libuuid1
  libbsd0 libmd0 libnftnl11 libmnl0 libjansson4 libxtables12 libp11-kit0 libidn2-0 libunistring5 libtasn1-6
  libnettle8t64 libhogweed6t64 libgmp10 libffi8 libedit2 libtinfo6 libbpf1 libelf1t64 zlib1g libzstd1)
if [ ! -x "$CRIU_PREFIX/usr/sbin/criu" ]; then
  log "fetching CRIU 4.1.1 and its libraries from Debian trixie into $CRIU_PREFIX"
  mkdir -p "$TRIXIE_CACHE/lists/partial" "$TRIXIE_CACHE/archives/partial"
  echo 'deb http://deb.debian.org/debian trixie main' > "$TRIXIE_CACHE/sources.list"
  APT_OPTS=(-o "Dir::Etc::SourceList=$TRIXIE_CACHE/sources.list" -o Dir::Etc::SourceParts=/dev/null
    -o "Dir::State::Lists=$TRIXIE_CACHE/lists" -o "Dir::Cache::Archives=$TRIXIE_CACHE/archives"
    -o Debug::NoLocking=1 -o APT::Sandbox::User=root)
  apt-get "${APT_OPTS[@]}" update -qq || die "could not read Debian trixie's package lists"
  ( cd "$TRIXIE_CACHE/archives" && apt-get "${APT_OPTS[@]}" download "${CRIU_PKGS[@]}" >/dev/null ) \
    || die "could not download CRIU 4.1.1 from trixie"
  rm -rf "$CRIU_PREFIX.tmp" && mkdir -p "$CRIU_PREFIX.tmp"
  for deb in "$TRIXIE_CACHE"/archives/*.deb; do dpkg -x "$deb" "$CRIU_PREFIX.tmp"; done
  rm -rf "$CRIU_PREFIX" && mv "$CRIU_PREFIX.tmp" "$CRIU_PREFIX"
fi

LIBDIRS="$CRIU_PREFIX/usr/lib/x86_64-linux-gnu:$CRIU_PREFIX/lib/x86_64-linux-gnu"
cat > "$BIN/criu.tmp" <<WRAP
#!/bin/sh
exec "$CRIU_PREFIX/usr/lib/x86_64-linux-gnu/ld-linux-x86-64.so.2" --library-path "$LIBDIRS" "$CRIU_PREFIX/usr/sbin/criu" "\$@"
WRAP
chmod 755 "$BIN/criu.tmp" && mv "$BIN/criu.tmp" "$BIN/criu"

if ! out=$("$BIN/criu" check 2>&1); then
  die "'criu check' failed, so checkpoints cannot work on this kernel:
$out
Next step: the kernel lacks a feature CRIU needs, or the CRIU in $CRIU_PREFIX is damaged (delete it and rerun)."
fi

# containers.conf for runc + cgroupfs + file events (no systemd here) and ulimits root can actually set.
cat > "$CKPT_HOME/containers.conf" <<'CONF'
[containers]
default_ulimits = ["nofile=20000:20000", "nproc=32768:32768"]
[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
CONF

# Everything a process needs to find this stack. Sourced by the test and demo scripts.
cat > "$CKPT_HOME/env.sh" <<ENV
export PATH="$BIN:\$PATH"
export CONTAINERS_CONF="$CKPT_HOME/containers.conf"
export CKPT_HOME="$CKPT_HOME"
ENV

touch "$STAMP"
log "ready: $("$BIN/criu" --version | head -1), $(podman --version)"
