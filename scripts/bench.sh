#!/usr/bin/env bash
# `npm run bench`: benchmarks against baselines run in the same process (see bench/).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/host-setup.sh
source "${CKPT_HOME:-/var/cache/checkpoint-studio}/env.sh"
bash scripts/deps.sh
node out/bench/checkpointRestore.js
