#!/usr/bin/env bash
# `npm run bench`: the performance figures of the README (issue 14), each benchmark with its competitor in the same
# run, one after another (about 25 minutes): start-up, building a gzip image from an archive (pigz), push and pull
# (skopeo), listing 500 images (podman), checkpoint -> push -> pull -> restore (podman + skopeo).
# `npm run bench NAME [NAME...]`: those of bench/ only, with their own defaults (e.g. buildImage, registry,
# checkpointRestore, inspectContents). Installs what the baselines need (pigz, zstd, GNU time; skopeo and buildah
# come with the test stack).
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
LOG_TAG=bench
source scripts/lib.sh
ensure_debs pigz zstd time

if [ $# -gt 0 ]; then
  for name in "$@"; do node "out/bench/$name.js"; done
  exit 0
fi
node out/bench/startup.js
BENCH_SIZES=512,1024 BENCH_SKIP=buildah,engine-none,engine-zstd node out/bench/buildImage.js
BENCH_SIZES=256,512,1024 node out/bench/registry.js
node out/bench/listImages.js
node out/bench/endToEnd.js
