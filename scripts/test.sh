#!/usr/bin/env bash
# `npm test`: sets up the real checkpoint stack and VS Code, installs and builds, type-checks, runs every test.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
npm run --silent typecheck
# One file at a time (the tests share one podman store, and CRIU and the workbench are CPU-heavy on 2 cores),
# each under a hard timeout that also ends the podman, CRIU and browser processes it started.
node scripts/run-tests.mjs out/test/unit out/test/integration out/test/vscode out/test/e2e
# The podman-facing integration tests again on podman 5 (Debian trixie's, beside bookworm's 4.3): about 3 minutes.
bash scripts/test-podman5.sh
