ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
export ZKREVOX_ARTIFACTS=$ROOT/artifacts
export ZKREVOX_DEPLOYMENTS=${SCRATCH:-/tmp/zkrevox-attacks}/deployments
export ZKREVOX_RPC_URL=http://127.0.0.1:28545
export RPC=http://127.0.0.1:28545
Z=$ROOT/.venv/bin/zkrevox
# anvil dev keys
. $ROOT/docs/attacks/keys.sh
export PATH=$ROOT/node_modules/@foundry-rs/cast-linux-amd64/bin:$PATH
