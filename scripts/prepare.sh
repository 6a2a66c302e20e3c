# Sourced by the test, demo and bench scripts: installs and builds everything, idempotently, and exports
# the environment podman and CRIU need (PATH with CRIU 4.1.1 first, CONTAINERS_CONF, CKPT_HOME).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/host-setup.sh
bash scripts/vscode-setup.sh
source "${CKPT_HOME:-/var/cache/checkpoint-studio}/env.sh"
bash scripts/deps.sh
