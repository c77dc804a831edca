"""zkrevox on-chain: compile and deploy DPrompt and a model's verifier, and talk to them.

Modules: ``solc`` (pinned solc-js), ``anvil`` (local chain), ``evm_verifier`` (ezkl's
generated verifier, offline), ``vocab_table`` (the featurizer's on-chain tables), ``deploy``
(deployment + record), ``client`` (typed DPrompt client), ``networks`` (presets, RPC, fees),
``keys`` (signing key), ``revert`` (custom errors -> messages), ``proofs`` (what fulfil sends),
``publish`` (a model to an existing deployment, any account), ``models`` (list on-chain models,
check one against local artifacts), ``stake_token`` (the local ERC-20 stake token), ``abi`` (the
ABI JSON files for ethers/viem), ``rex`` (REX staking: sREX, points, the rewards pool, requests paid
with points), ``rex_deploy`` (the REX contracts beside a DPrompt, and their record).
"""

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient, ModelInfo, ProviderInfo, RequestInfo
from zkrevox.chain.deploy import Deployment, ModelParams, deploy, load_deployment, model_params
from zkrevox.chain.keys import load_account
from zkrevox.chain.models import ModelCheck, check_model, list_models
from zkrevox.chain.networks import PRESETS, connect, resolve_rpc
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.publish import publish
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.rex import RexClient
from zkrevox.chain.rex_deploy import RexParams, RexRecord, deploy_rex, load_rex_record

__all__ = [
    "PRESETS",
    "Anvil",
    "ChainProof",
    "DPromptClient",
    "Deployment",
    "ModelCheck",
    "ModelInfo",
    "ModelParams",
    "ProviderInfo",
    "RequestInfo",
    "RevertedError",
    "RexClient",
    "RexParams",
    "RexRecord",
    "check_model",
    "connect",
    "deploy",
    "deploy_rex",
    "list_models",
    "load_account",
    "load_deployment",
    "load_rex_record",
    "model_params",
    "publish",
    "resolve_rpc",
]
