# Sourced by the test, demo and bench scripts: installs and builds everything, idempotently, picks the CRIU
# that proves itself on this kernel (criu-setup.sh, which needs the built CLI), and exports the environment
# podman and CRIU need (PATH with that CRIU first, CONTAINERS_CONF, CKPT_HOME).
cd "$(dirname "${BASH_SOURCE[0]}")/.."
bash scripts/host-setup.sh
bash scripts/vscode-setup.sh
source "${CKPT_HOME:-/var/cache/checkpoint-studio}/env.sh"
bash scripts/deps.sh
bash scripts/criu-setup.sh
bash scripts/checkpointctl-setup.sh
