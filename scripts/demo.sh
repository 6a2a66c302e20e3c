#!/usr/bin/env bash
# `npm start`: shows the engine on a demo container through the ckpt CLI, in a podman store of its own
# (the host's containers are not touched). Installs everything it needs first.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/host-setup.sh
source "${CKPT_HOME:-/var/cache/checkpoint-studio}/env.sh"
bash scripts/deps.sh
export CKPT_PODMAN_STORE="$CKPT_HOME/demo-store"
ckpt() { node dist/cli.js "$@"; }
p() { podman --root "$CKPT_PODMAN_STORE/root" --runroot "$CKPT_PODMAN_STORE/run" --tmpdir "$CKPT_PODMAN_STORE/tmp" "$@"; }
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }

if [ -z "$(p images -q localhost/busybox:latest)" ]; then
  rootfs=$(mktemp -d)
  mkdir -p "$rootfs/bin" "$rootfs/tmp" && cp /bin/busybox "$rootfs/bin/"
  for a in $(/bin/busybox --list); do [ "$a" = busybox ] || ln -s busybox "$rootfs/bin/$a"; done
  tar -C "$rootfs" -cf "$rootfs.tar" . && p import -q "$rootfs.tar" localhost/busybox:latest >/dev/null
  rm -rf "$rootfs" "$rootfs.tar"
fi
p rm -f -t 0 --ignore demo-counter demo-counter-restored >/dev/null
p rmi -f --ignore localhost/demo-counter:checkpoint >/dev/null

step 'A container that counts (podman run)'
p run -d --name demo-counter localhost/busybox sh -c 'i=0; while true; do i=$((i+1)); echo $i > /tmp/count; echo $i; sleep 0.1; done' >/dev/null
sleep 2
ckpt ps
echo "counter is at $(p exec demo-counter cat /tmp/count)"

step 'ckpt host — what a checkpoint image will record about this machine'
ckpt host

step 'ckpt checkpoint demo-counter --image localhost/demo-counter:checkpoint'
ckpt checkpoint demo-counter --image localhost/demo-counter:checkpoint
echo "the original stopped at $(p logs --tail 1 demo-counter)"

step 'ckpt images'
ckpt images

step 'ckpt inspect localhost/demo-counter:checkpoint'
ckpt inspect localhost/demo-counter:checkpoint

step 'ckpt restore localhost/demo-counter:checkpoint --name demo-counter-restored'
ckpt restore localhost/demo-counter:checkpoint --name demo-counter-restored
for _ in 1 2 3; do echo "restored counter: $(p exec demo-counter-restored cat /tmp/count)"; sleep 1; done

step 'Try it yourself'
echo "export CKPT_PODMAN_STORE=$CKPT_PODMAN_STORE PATH=$CKPT_HOME/bin:\$PATH CONTAINERS_CONF=$CONTAINERS_CONF"
echo 'node dist/cli.js --help'
