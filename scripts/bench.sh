#!/usr/bin/env bash
# `npm run bench` (checkpoint/restore against podman by hand) and `npm run bench:build` (image building from a
# large archive against buildah and pigz): benchmarks with their baselines run in the same script.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
node "out/bench/${1:-checkpointRestore}.js"
