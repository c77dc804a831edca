"""What a node checks and does before it follows the chain.

The deployment record must point at live contracts on the RPC's chain; the model registered
there must be the one this node proves (its verifying-key hash and featurizer-spec hash equal
the local artifacts'); the provider's stake is topped up to ``--stake`` if it is short, and its
capacity declared if ``--capacity`` is given. The batch sizes the node may use are those built
locally whose verifier is registered on-chain with the same verifying key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from zkrevox.chain.client import DPromptClient, ModelInfo
from zkrevox.chain.deploy import Deployment, ModelParams, load_deployment, model_params
from zkrevox.chain.keys import load_account
from zkrevox.chain.vocab_table import spec_hash
from zkrevox.errors import ArtifactError, ChainError
from zkrevox.node.logs import event
from zkrevox.node.rpc import close_node, connect_node, hexstr

log = logging.getLogger("zkrevox.node")


@dataclass
class Chain:
    """The node's view of one deployment on one chain."""

    w3: Web3
    chain_id: int
    genesis: str
    account: LocalAccount
    deployment: Deployment
    model_id: int
    model: ModelInfo
    client: DPromptClient

    @property
    def scope(self) -> str:
        """The job-store scope: jobs of another chain, deployment or provider never mix with these."""
        return f"{self.chain_id}:{self.genesis[:18]}:{self.deployment.dprompt.address.lower()}:" \
               f"{self.account.address.lower()}"


def local_params(model: str) -> ModelParams:
    """The model as the local artifacts describe it (checked against their manifest)."""
    return model_params(model)


def connect_chain(rpc: str, rpc_timeout: float, model: str, params: ModelParams, account: LocalAccount | None,
                  deployments_dir: Path | None) -> Chain:
    """Connect, read the deployment, and check that its model is the one ``params`` describes.

    Raises ``ChainError`` (the RPC fails: retry) or ``DeploymentError``/``ArtifactError``/``InputError``
    (the set-up is wrong: the message names the fix).
    """
    w3 = connect_node(rpc, rpc_timeout)
    try:
        return _check(w3, rpc, model, params, account, deployments_dir)
    except BaseException:
        close_node(w3)
        raise


def _check(w3: Web3, rpc: str, model: str, params: ModelParams, account: LocalAccount | None,
           deployments_dir: Path | None) -> Chain:
    try:
        chain_id = int(w3.eth.chain_id)
        genesis = hexstr(w3.eth.get_block(0)["hash"])
    except Exception as exc:
        raise ChainError(f"RPC {rpc} does not answer ({type(exc).__name__}: {exc})") from None
    account = account or load_account(chain_id)
    dep = load_deployment(chain_id, deployments_dir, w3=w3)
    record = dep.model(model)
    client = DPromptClient(w3, dep.dprompt.address, account)
    onchain = client.model(record.model_id)
    if onchain.vk_hash.hex() != params.vk_sha256:
        raise ArtifactError(
            f"model {record.model_id} on DPrompt {dep.dprompt.address} is registered with vk sha256 "
            f"{onchain.vk_hash.hex()[:12]}…, the local artifacts' is {params.vk_sha256[:12]}…: this node's proofs "
            f"would be rejected; build the artifacts that were deployed, or deploy these (`zkrevox deploy {model}`)"
        )
    if onchain.spec_hash != spec_hash(params.spec):
        raise ArtifactError(
            f"model {record.model_id}'s featurizer spec on-chain differs from models/{model}/input_spec.json; "
            "the on-chain features would not match this node's proofs: deploy the current model"
        )
    if onchain.num_outputs != params.num_outputs:
        raise ArtifactError(f"model {record.model_id} has {onchain.num_outputs} outputs on-chain, the circuit "
                            f"{params.num_outputs}; deploy the current model")
    if onchain.retired:
        event(log, f"model {record.model_id} is retired: no new requests will come; pending ones are still served",
              level=logging.WARNING, model_id=record.model_id)
    return Chain(w3, chain_id, genesis, account, dep, record.model_id, onchain, client)


def ensure_stake(chain: Chain, stake_wei: int | None) -> None:
    """Top the provider's stake up to ``stake_wei`` (if given); warn when it is below the model's minimum."""
    state = chain.client.provider(chain.model_id, chain.account.address)
    if stake_wei is not None and state.stake < stake_wei:
        add = stake_wei - state.stake
        receipt = chain.client.stake(chain.model_id, add)
        state = chain.client.provider(chain.model_id, chain.account.address)
        event(log, f"staked {add} wei for model {chain.model_id}; stake is now {state.stake} wei "
              f"(tx {hexstr(receipt['transactionHash'])})", event="staked", stake_wei=state.stake)
    if not state.eligible:
        event(log, f"provider {chain.account.address} is not in model {chain.model_id}'s pool (stake "
              f"{state.stake} wei, minimum {chain.model.min_stake} wei): it will be assigned no new requests; "
              "pass --stake",
              level=logging.WARNING, stake_wei=state.stake)


def local_batch_sizes(model: str) -> list[int]:
    """Sizes N >= 2 of the model's batch circuits found under the artifacts root (``<model>-bN/``)."""
    from zkrevox.artifacts import artifacts_root

    root = artifacts_root()
    out = []
    for path in root.glob(f"{model}-b*"):
        tail = path.name[len(model) + 2:]
        if path.is_dir() and tail.isdigit() and int(tail) >= 2:
            out.append(int(tail))
    return sorted(out)


def usable_batch_sizes(chain: Chain, model: str, wanted: tuple[int, ...] | None) -> tuple[int, ...]:
    """1, and every batch size that is built locally (artifacts checked against their manifest) and
    registered on-chain for the node's model with the same verifying key; ``wanted`` restricts them."""
    from zkrevox import Prover

    candidates = local_batch_sizes(model) if wanted is None else sorted(set(wanted) - {1})
    sizes = [1]
    for n in candidates:
        why = None
        try:
            local_vk = Prover.load(model, batch=n).manifest["files"]["vk"]["sha256"]
        except ArtifactError as exc:
            why = f"not built locally ({exc})"
        else:
            onchain = chain.client.batch_verifier(chain.model_id, n)
            if onchain is None:
                why = "no batch verifier of that size is registered on-chain"
            elif onchain[1].hex() != local_vk:
                why = (f"the registered verifier's vk is {onchain[1].hex()[:12]}…, the local circuit's "
                       f"{local_vk[:12]}…")
        if why is None:
            sizes.append(n)
        elif wanted is not None:
            event(log, f"batch size {n} is not used: {why}", level=logging.WARNING, event="batch-size", size=n)
    return tuple(sizes)


CONTRACT_DEFAULT_CAPACITY = 16  # what DPrompt assumes for a provider that never declared one
AUTO_PER_REQUEST_S = 5.0  # prove time per request assumed before any is measured (batch-1 ~1 s here)


def auto_capacity(response_window: int, workers: int, per_request_s: float = AUTO_PER_REQUEST_S) -> int:
    """Requests this node can surely prove in half a response window (the other half is margin)."""
    return max(1, min(65535, int(workers * (response_window / 2) / per_request_s)))


def ensure_capacity(chain: Chain, capacity: int | None, workers: int) -> None:
    """Declare on-chain how many requests this provider may hold pending: ``capacity`` if given;
    otherwise (auto), if the provider never declared one, what ``auto_capacity`` says it can prove
    in time, so that DPrompt's default of 16 does not refuse a burst the node can answer."""
    current = chain.client.provider(chain.model_id, chain.account.address).capacity
    if capacity is None:
        if current != CONTRACT_DEFAULT_CAPACITY:
            return  # declared before (by `zkrevox provider capacity` or a node): kept
        capacity = auto_capacity(chain.model.response_window, workers)
    if current == capacity:
        return
    receipt = chain.client.set_capacity(chain.model_id, capacity)
    event(log, f"declared capacity {capacity} for model {chain.model_id} (was {current}; tx "
          f"{hexstr(receipt['transactionHash'])})", event="capacity", capacity=capacity)
