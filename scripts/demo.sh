#!/usr/bin/env bash
# `npm start`: installs what it needs, then opens Checkpoint Studio in a real VS Code (code-server on 127.0.0.1)
# with a demo container running, in a podman store of its own. `npm start -- --screenshots DIR` takes
# screenshots headlessly and exits.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/host-setup.sh
bash scripts/vscode-setup.sh
source "${CKPT_HOME:-/var/cache/checkpoint-studio}/env.sh"
bash scripts/deps.sh
export CKPT_PODMAN_STORE="$CKPT_HOME/demo-store"
exec node out/scripts/demo.js "$@"
