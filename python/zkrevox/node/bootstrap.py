"""What a node checks and does before it follows the chain.

The deployment record must point at live contracts on the RPC's chain; the model registered
there must be the one this node proves (its verifying-key hash and featurizer-spec hash equal
the local artifacts'); the provider's stake is topped up to ``--stake`` if it is short, and its
capacity declared if ``--capacity`` is given. The batch sizes the node may use are those built
locally whose verifier is registered on-chain with the same verifying key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path

from eth_account.signers.local import LocalAccount
from web3 import Web3

from zkrevox.chain.client import DPromptClient, ModelInfo
from zkrevox.chain.deploy import Deployment, ModelParams, load_deployment, model_params
from zkrevox.chain.keys import load_account
from zkrevox.chain.vocab_table import spec_hash
from zkrevox.errors import ArtifactError, ChainError, DeploymentError
from zkrevox.node.logs import event
from zkrevox.node.rpc import close_node, connect_node, hexstr

log = logging.getLogger("zkrevox.node")


# what works on a chain with a live deployment (`zkrevox deploy MODEL` alone refuses there)
_PUT_ON_CHAIN = ("`zkrevox publish NAME` adds a model to this DPrompt (then run the node with --model NAME), "
                 "`zkrevox deploy {model} --new` deploys a new DPrompt (the old record is kept)")


class WrongNetwork(DeploymentError):
    """The RPC serves another chain than ``--network`` names: the node refuses to start (nothing sent)."""


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
    # batch size -> the vk sha256 registered for it (1: the model's own verifier); the node proves each
    # size with the build that has that vk (``Prover.load(..., vk_sha256=...)``), kept builds included
    vks: dict[int, str] = field(default_factory=dict)

    @property
    def scope(self) -> str:
        """The job-store scope: jobs of another chain, deployment or provider never mix with these."""
        return f"{self.chain_id}:{self.genesis[:18]}:{self.deployment.dprompt.address.lower()}:" \
               f"{self.account.address.lower()}"


def local_params(model: str) -> ModelParams:
    """The model as the local artifacts describe it (checked against their manifest)."""
    return model_params(model)


def connect_chain(rpc: str, rpc_timeout: float, model: str, params: ModelParams, account: LocalAccount | None,
                  deployments_dir: Path | None, *, network: str | None = None, rpc_source: str = "--rpc") -> Chain:
    """Connect, check the chain is ``network``'s (if given; ``WrongNetwork`` naming both chain ids if
    not), read the deployment, and check that its model is the one ``params`` describes.

    Raises ``ChainError`` (the RPC fails: retry) or ``DeploymentError``/``ArtifactError``/``InputError``
    (the set-up is wrong: the message names the fix).
    """
    w3 = connect_node(rpc, rpc_timeout)
    try:
        return _check(w3, rpc, model, params, account, deployments_dir, network, rpc_source)
    except BaseException:
        close_node(w3)
        raise


def connect_chains(rpc: str, rpc_timeout: float, models: list[tuple[str, ModelParams]], account: LocalAccount | None,
                   deployments_dir: Path | None, *, network: str | None = None,
                   rpc_source: str = "--rpc") -> list[Chain]:
    """``connect_chain`` for each ``(name, params)`` of a node serving several models: one connection,
    each model checked as ``connect_chain`` checks one; the first model's account signs for all."""
    w3 = connect_node(rpc, rpc_timeout)
    try:
        chains: list[Chain] = []
        for name, params in models:
            chains.append(_check(w3, rpc, name, params, chains[0].account if chains else account, deployments_dir,
                                 network, rpc_source))
        return chains
    except BaseException:
        close_node(w3)
        raise


def _check(w3: Web3, rpc: str, model: str, params: ModelParams, account: LocalAccount | None,
           deployments_dir: Path | None, network: str | None = None, rpc_source: str = "--rpc") -> Chain:
    from zkrevox.chain.networks import check_network

    try:
        chain_id = int(w3.eth.chain_id)
        genesis = hexstr(w3.eth.get_block(0)["hash"])
    except Exception as exc:
        raise ChainError(f"RPC {rpc} does not answer ({type(exc).__name__}: {exc})") from None
    if network is not None:
        try:
            check_network(network, chain_id, rpc, rpc_source)
        except ChainError as exc:
            raise WrongNetwork(str(exc).replace("nothing was sent", "the node did not start")) from None
    account = account or load_account(chain_id)
    dep = load_deployment(chain_id, deployments_dir, w3=w3)
    record = dep.model(model)
    client = DPromptClient(w3, dep.dprompt.address, account)
    onchain = client.model(record.model_id)
    registered = onchain.vk_hash.hex()
    if registered != params.vk_sha256:
        missing = _kept_build(params.name, 1, registered)
        if missing is not None:
            raise ArtifactError(
                f"model {record.model_id} on DPrompt {dep.dprompt.address} is registered with vk sha256 "
                f"{registered[:12]}…, the local artifacts' is {params.vk_sha256[:12]}… and no kept build has it "
                f"({missing}): this node's proofs would be rejected; build the artifacts that were deployed, or put "
                f"these on-chain: {_PUT_ON_CHAIN.format(model=model)}"
            )
        event(log, f"model {record.model_id} is registered with vk {registered[:12]}…, not the current build's "
              f"{params.vk_sha256[:12]}…: proving with the kept build that has it", event="kept-build", size=1)
    if onchain.spec_hash != spec_hash(params.spec):
        raise ArtifactError(
            f"model {record.model_id}'s featurizer spec on-chain differs from models/{params.name}/input_spec.json; "
            f"the on-chain features would not match this node's proofs; put the current model on-chain: "
            f"{_PUT_ON_CHAIN.format(model=model)}"
        )
    if onchain.num_outputs != params.num_outputs:
        raise ArtifactError(f"model {record.model_id} has {onchain.num_outputs} outputs on-chain, the circuit "
                            f"{params.num_outputs}; put the current model on-chain: "
                            f"{_PUT_ON_CHAIN.format(model=model)}")
    if onchain.retired:
        event(log, f"model {record.model_id} is retired: no new requests will come; pending ones are still served",
              level=logging.WARNING, model_id=record.model_id)
    return Chain(w3, chain_id, genesis, account, dep, record.model_id, onchain, client, {1: registered})


def _kept_build(model: str, size: int, vk_sha256: str) -> str | None:
    """None if a build of the batch-``size`` circuit with this vk is found (the current one or one kept
    under ``by-vk/``, checked against its manifest); else why not."""
    from zkrevox import Prover

    try:
        Prover.load(model, batch=size, vk_sha256=vk_sha256)
    except ArtifactError as exc:
        return str(exc)
    return None


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
    """1, and every batch size registered on-chain for the node's model whose registered verifying key
    a local build has (the current one or one kept under ``by-vk/``, checked against its manifest);
    ``wanted`` restricts them. Records each size's vk in ``chain.vks``."""
    candidates = local_batch_sizes(model) if wanted is None else sorted(set(wanted) - {1})
    sizes = [1]
    for n in candidates:
        why = None
        onchain = chain.client.batch_verifier(chain.model_id, n)
        if onchain is None:
            why = f"no batch verifier of that size is registered on-chain (`zkrevox deploy {model} --batch {n}`)"
        else:
            missing = _kept_build(model, n, onchain[1].hex())
            if missing is not None:
                why = f"no local build has the registered verifier's vk ({missing})"
        if why is None and onchain is not None:
            sizes.append(n)
            chain.vks[n] = onchain[1].hex()
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
