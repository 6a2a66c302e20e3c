#!/usr/bin/env bash
# `npm run bench`: benchmarks against baselines run in the same process (see bench/).
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
node out/bench/checkpointRestore.js
