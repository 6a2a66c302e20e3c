#!/usr/bin/env bash
# `npm run bench [NAME]`: a benchmark of bench/ (default: checkpointRestore) with its baselines run in the same
# script. Installs what the baselines need (pigz, zstd, GNU time; skopeo and buildah come with the test stack).
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
LOG_TAG=bench
source scripts/lib.sh
ensure_debs pigz zstd time
node "out/bench/${1:-checkpointRestore}.js"
