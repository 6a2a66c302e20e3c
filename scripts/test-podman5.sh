#!/usr/bin/env bash
# The podman-facing integration tests again against podman 5 (Debian trixie's, scripts/podman5-setup.sh) with a
# store of its own, beside the default run on bookworm's podman 4.3. Needs the stack prepared (prepare.sh) and
# the build in out/.
set -euo pipefail
cd "$(dirname "$0")/.."
source "${CKPT_HOME:-/var/cache/checkpoint-studio}/env.sh"
bash scripts/podman5-setup.sh
export CKPT_PODMAN=$CKPT_HOME/podman5/bin/podman
export CKPT_PODMAN_STORE=$CKPT_HOME/test-store-podman5
tests=(checkpointRestore cli copy archive buildImage preflight sanitize inspectEverywhere registry leftovers diff
  checkpointctl criuStall devcontainer layout scan podmanListing)
node scripts/run-tests.mjs $(printf "out/test/integration/%s.test.js " "${tests[@]}")
