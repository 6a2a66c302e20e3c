#!/usr/bin/env bash
# Prepares this machine for real checkpoint/restore: podman + runc + a loopback registry's packages, and the
# environment the scripts share. CRIU is chosen afterwards, by proof, in criu-setup.sh (bookworm's CRIU 3.17
# cannot dump on kernels >= 6.13; which newer one works depends on the kernel).
# Idempotent and fast when already done. Run as root. Writes nothing outside $CKPT_HOME except apt installs.
set -euo pipefail

CKPT_HOME=${CKPT_HOME:-/var/cache/checkpoint-studio}
BIN=$CKPT_HOME/bin

LOG_TAG=host-setup
source "$(dirname "$0")/lib.sh"

[ "$(id -u)" = 0 ] || die "checkpoint/restore needs root (CRIU dumps other processes). Run as root, e.g. 'sudo npm test'."

ensure_debs podman runc conmon buildah skopeo docker-registry busybox-static apache2-utils uidmap git openssl

mkdir -p "$CKPT_HOME" "$BIN"

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

log "ready: $(podman --version), $(runc --version | head -1)"
