#!/usr/bin/env bash
# `npm start`: installs what it needs, then opens Checkpoint Studio in a real VS Code (code-server on 127.0.0.1)
# with a demo container running, in a podman store of its own. `npm start -- --screenshots DIR` takes
# screenshots headlessly and exits.
set -euo pipefail
source "$(dirname "$0")/prepare.sh"
export CKPT_PODMAN_STORE="$CKPT_HOME/demo-store"
exec node out/scripts/demo.js "$@"
