#!/usr/bin/env bash
# `npm test`: sets up the real checkpoint stack, installs and builds, type-checks, then runs every test.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/host-setup.sh
bash scripts/vscode-setup.sh
source "${CKPT_HOME:-/var/cache/checkpoint-studio}/env.sh"
bash scripts/deps.sh
npm run --silent typecheck
# One file at a time: the tests share one podman store, and CRIU and the workbench are CPU-heavy on 2 cores.
node --test --test-concurrency=1 out/test/unit out/test/integration out/test/vscode out/test/e2e
