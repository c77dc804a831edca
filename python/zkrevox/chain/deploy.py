"""Deploy a model's verifier and DPrompt, register the model, and keep the deployment record.

The record, ``deployments/<chainId>.json``, is what later commands read: addresses, the
transactions and block that created them, the compiler, and each model's id and vk hash.
Reading it back checks that the contracts are still there (a restarted anvil forgets them).
A record is never lost: writing a record for another deployment (another DPrompt, another
creation, or another chain with the same chain id) first moves the old one aside to
``deployments/<chainId>.<created_at>.json`` (:func:`archive_deployment`). Records are told apart
by genesis hash and, for a local chain, its RPC URL (two anvils started in the same second share
chain id, genesis and deterministic addresses) as well as chain id: reading the record of a chain
(:func:`load_deployment` with ``w3``) takes the one written on that very chain, kept or current,
so a second anvil never orphans the first.
:func:`live_deployment` tells a live record from one whose contracts are gone.

Batch verifiers (the model's batch-N circuits, ``zkrevox build <model> --batch N``) are
registered with the model by ``deploy(..., batch_sizes=(8,))`` or later with
:func:`register_batch_verifier`; each is recorded under the model's ``batch_verifiers``.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import re
import tempfile
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import Web3Exception

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.networks import fee_fields, network_name
from zkrevox.chain.paths import build_dir, contracts_dir, deployments_dir
from zkrevox.chain.solc import (
    EVM_VERSION,
    OPTIMIZER_RUNS,
    CompiledContract,
    compile_verifier,
    project_contracts,
    solcjs_version,
)
from zkrevox.chain.vocab_table import build_table, onchain_spec, spec_hash
from zkrevox.errors import ArtifactError, ChainError, DeploymentError
from zkrevox.featurize import FeatureSpec

log = logging.getLogger(__name__)

DEFAULT_UNBONDING_DELAY = 3600
# Gas of one ``fulfil`` without its callback a model states at publication (IDPrompt.ModelConfig.fulfilGas)
# unless measured: above the committed ticker's 510,008 (tests/chain/gas_snapshot.json), so a callback
# request DPrompt takes always fits a block beside its proof.
DEFAULT_FULFIL_GAS = 1_000_000


@dataclass(frozen=True)
class ModelParams:
    """Everything a publisher publishes to DPrompt for a model."""

    name: str
    spec: FeatureSpec
    input_scale: int
    num_outputs: int
    vk_sha256: str  # hex
    labels: tuple[str, ...] = ()
    fee_wei: int = 10**15  # 0.001 of the native coin
    min_stake_wei: int = 10**17
    response_window_s: int = 600
    slash_bps: int = 1000
    developer_share_bps: int = 1000  # 10 % of the model fee to the publisher per answer
    # Optimistic mode (README "Optimistic answers"); challenge_window_s 0 with fee and bond 0: not offered.
    challenge_window_s: int = 60  # seconds an optimistic answer can be disputed (short: a local demo)
    optimistic_fee_wei: int | None = None  # least payment of an optimistic request; None: see optimistic_fee
    answer_bond_wei: int | None = None  # stake slashed per overturned answer; None: see answer_bond
    # How the model's own (single) circuit takes the features: None, one scaled instance per feature;
    # {"digits", "bits", "shift"}, packed words (``feature_packing`` of its manifest; IDPrompt.FeaturePacking).
    packing: dict | None = None
    fulfil_gas: int = DEFAULT_FULFIL_GAS  # one ``fulfil`` without its callback, gas (``zkrevox bench`` measures it)
    # The bond rule (zkrevox.chain.economics): the gas price this deployment declares it serves (None: not
    # declared, the rule is not checked), the stake asset's price (native wei per 10^18 of its smallest
    # unit; 1:1 for the native coin), and the dispute's gas (None: measured on the model's own verifier).
    declared_gas_price_wei: int | None = None
    stake_price_wei: int = 10**18
    dispute_gas: int | None = None

    @property
    def optimistic_fee(self) -> int:
        """``optimistic_fee_wei``, by default half the fee but at least the developer's cut (0 without the mode)."""
        if self.optimistic_fee_wei is not None:
            return self.optimistic_fee_wei
        if not self.challenge_window_s:
            return 0
        return max(self.fee_wei // 2, self.fee_wei * self.developer_share_bps // 10_000)

    @property
    def answer_bond(self) -> int:
        """``answer_bond_wei``, by default 1/20 of the minimum stake: a provider at the minimum covers the
        bonds of 16 held requests (the default capacity) with 80 % of its stake (0 without the mode)."""
        if self.answer_bond_wei is not None:
            return self.answer_bond_wei
        return self.min_stake_wei // 20 if self.challenge_window_s else 0

    def config(self) -> tuple:
        """``IDPrompt.ModelConfig`` without the verifier address (see :meth:`config_for`)."""
        return self.config_for("0x0000000000000000000000000000000000000000")

    def config_for(self, verifier: str) -> tuple:
        table = build_table(self.spec)
        return (
            Web3.to_checksum_address(verifier),
            bytes.fromhex(self.vk_sha256),
            spec_hash(self.spec),
            self.fee_wei,
            self.min_stake_wei,
            self.response_window_s,
            self.slash_bps,
            self.developer_share_bps,
            self.input_scale,
            self.num_outputs,
            onchain_spec(self.spec, table),
            self.challenge_window_s,
            self.optimistic_fee,
            self.answer_bond,
            packing_tuple(self.packing),
            self.fulfil_gas,
        )


def packing_tuple(packing: dict | None) -> tuple[int, int, int]:
    """``IDPrompt.FeaturePacking`` of a manifest's ``feature_packing`` (None: ``(0, 0, 0)``, unpacked)."""
    if not packing:
        return (0, 0, 0)
    return (int(packing["digits"]), int(packing["bits"]), int(packing["shift"]))


@dataclass
class ContractRecord:
    address: str
    tx: str
    block: int


@dataclass
class BatchVerifierRecord:
    """A verifier of the model's batch-``size`` circuit, registered with DPrompt."""

    size: int
    verifier: ContractRecord
    verifier_source: str
    verifier_size: int
    vk_sha256: str
    register_tx: str
    packing: dict | None = None  # DPrompt FeaturePacking of a packed-features circuit


@dataclass
class ModelRecord:
    model_id: int
    verifier: ContractRecord
    verifier_source: str
    verifier_size: int
    vk_sha256: str
    spec_sha256: str
    register_tx: str
    fee_wei: int
    num_outputs: int
    input_scale: int
    labels: list[str] = field(default_factory=list)
    batch_verifiers: dict[str, BatchVerifierRecord] = field(default_factory=dict)  # keyed by str(size)
    publisher: str = ""
    developer_share_bps: int = 0
    source_model: str = ""  # the models/<name>/ it was published from, when not the record's name
    # the bond rule it was published under (0: not declared): zkrevox.chain.economics
    dispute_gas: int = 0
    declared_gas_price_wei: int = 0
    stake_price_wei: int = 0

    def batch_verifier(self, size: int) -> BatchVerifierRecord:
        try:
            return self.batch_verifiers[str(size)]
        except KeyError:
            raise DeploymentError(
                f"no batch-{size} verifier in the deployment record (sizes: "
                f"{sorted(int(k) for k in self.batch_verifiers) or 'none'}); register one with "
                f"`zkrevox deploy MODEL --batch {size}` after `zkrevox build MODEL --batch {size}`"
            ) from None


@dataclass
class Deployment:
    chain_id: int
    network: str
    dprompt: ContractRecord
    owner: str
    unbonding_delay: int
    compiler: dict[str, Any]
    models: dict[str, ModelRecord]
    created_at: str
    libraries: dict[str, ContractRecord] = field(default_factory=dict)  # linked into DPrompt, by name
    stake_token: str | None = None  # the ERC-20 providers stake; None: the native coin
    genesis: str | None = None  # hash of the chain's block 0: a restarted local chain has another one
    # the RPC URL it was deployed through, for local (loopback) chains only: two anvils started in the
    # same second share chain id, genesis hash and addresses; only their endpoints tell them apart
    rpc_url: str | None = None
    path: Path | None = None

    def model(self, name: str) -> ModelRecord:
        try:
            return self.models[name]
        except KeyError:
            raise DeploymentError(
                f"model {name!r} is not in the deployment record {self.path} "
                f"(models: {', '.join(self.models) or 'none'}); "
                f"publish it with `zkrevox publish {name}`, or pass --model with a recorded name"
            ) from None

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        data.pop("path")
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any], path: Path | None = None) -> Deployment:
        models = {
            name: ModelRecord(**{
                **m, "verifier": ContractRecord(**m["verifier"]),
                "batch_verifiers": {
                    k: BatchVerifierRecord(**{**b, "verifier": ContractRecord(**b["verifier"])})
                    for k, b in m.get("batch_verifiers", {}).items()
                },
            })
            for name, m in data["models"].items()
        }
        return cls(
            chain_id=int(data["chain_id"]), network=data["network"], dprompt=ContractRecord(**data["dprompt"]),
            owner=data["owner"], unbonding_delay=int(data["unbonding_delay"]), compiler=data["compiler"],
            models=models, created_at=data["created_at"], path=path,
            libraries={name: ContractRecord(**rec) for name, rec in data.get("libraries", {}).items()},
            stake_token=data.get("stake_token"), genesis=data.get("genesis"), rpc_url=data.get("rpc_url"),
        )


def deployment_path(chain_id: int, directory: Path | None = None) -> Path:
    return (directory or deployments_dir()) / f"{chain_id}.json"


def write_deployment(dep: Deployment, directory: Path | None = None) -> Path:
    """Write ``dep``'s record; a record there for another DPrompt is moved aside first, never overwritten."""
    path = deployment_path(dep.chain_id, directory)
    path.parent.mkdir(parents=True, exist_ok=True)
    if path.is_file():
        try:
            old = json.loads(path.read_text())
            old_address, old_genesis, old_created = old["dprompt"]["address"], old.get("genesis"), old.get("created_at")
            old_rpc = old.get("rpc_url")
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError):
            old_address = old_genesis = old_created = old_rpc = None
        other_chain = bool(old_genesis and dep.genesis and old_genesis != dep.genesis) or bool(
            old_rpc and dep.rpc_url and old_rpc != dep.rpc_url)
        # kept unless it is this very deployment's record being updated (same DPrompt, chain and creation)
        if (old_address is None or old_address.lower() != dep.dprompt.address.lower() or other_chain
                or old_created != dep.created_at):
            kept = archive_deployment(path)
            where = f", another chain: {old_rpc or old_genesis}" if other_chain else ""
            log.warning("the previous record of chain %d (DPrompt %s%s) is kept as %s", dep.chain_id,
                        old_address or "unreadable", where, kept)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(dep.to_json(), indent=2, sort_keys=True) + "\n")
    tmp.replace(path)
    dep.path = path
    return path


def archive_deployment(path: Path) -> Path:
    """Move the record at ``path`` aside to ``<chainId>.<its created_at>.json`` (never over another)."""
    try:
        stamp = str(json.loads(path.read_text()).get("created_at") or "")
    except (json.JSONDecodeError, AttributeError):
        stamp = ""
    stamp = re.sub(r"[^0-9A-Za-z]+", "", stamp) or _dt.datetime.now(_dt.timezone.utc).strftime("%Y%m%dT%H%M%S")
    target = path.with_name(f"{path.stem}.{stamp}.json")
    n = 1
    while target.exists():
        n += 1
        target = path.with_name(f"{path.stem}.{stamp}-{n}.json")
    path.replace(target)
    return target


def _genesis(w3: Web3) -> str:
    return "0x" + bytes(w3.eth.get_block(0)["hash"]).hex()


def live_deployment(w3: Web3, directory: Path | None = None) -> tuple[Deployment | None, str]:
    """The record of ``w3``'s chain when its contracts are still there, else ``(None, why)``:
    ``"none"`` (no record), ``"gone"`` (its contracts have no code: a restarted chain),
    ``"other-chain"`` (written on another chain with this id, e.g. a second local anvil: kept when a
    new record is written) or ``"corrupted"``. A kept record written on this very chain counts."""
    chain_id = int(w3.eth.chain_id)
    path = deployment_path(chain_id, directory)
    if not path.is_file():
        kept = _same_chain_record(w3, chain_id, directory)
        return (kept, "live") if kept is not None else (None, "none")
    try:
        dep = load_deployment(chain_id, directory)
    except DeploymentError:
        kept = _same_chain_record(w3, chain_id, directory)
        return (kept, "live") if kept is not None else (None, "corrupted")
    try:
        check_deployment(w3, dep)
    except DeploymentError:
        kept = _same_chain_record(w3, chain_id, directory)
        if kept is not None:
            return kept, "live"
        return None, "other-chain" if _other_chain(w3, dep) else "gone"
    if _other_chain(w3, dep):  # another endpoint's record whose contracts answer here: this chain's own if kept
        own = _same_chain_record(w3, chain_id, directory)
        return (own, "live") if own is not None else (dep, "live")
    return dep, "live"


def kept_deployments(chain_id: int, directory: Path | None = None) -> list[Path]:
    """Records of ``chain_id`` moved aside (``<chainId>.<created_at>.json``), newest first."""
    folder = directory or deployments_dir()
    return sorted(folder.glob(f"{chain_id}.*.json"), key=lambda p: p.stat().st_mtime, reverse=True)


def local_endpoint(w3: Web3) -> str | None:
    """``w3``'s RPC URL if it is a loopback one (a local dev chain), else None: only local chains can
    share chain id, genesis and addresses, and a remote URL may hold an API key (never recorded)."""
    from urllib.parse import urlparse

    url = getattr(w3.provider, "endpoint_uri", None)
    if not url:
        return None
    parsed = urlparse(str(url))
    host = (parsed.hostname or "").lower()
    if host not in ("127.0.0.1", "localhost", "::1", "0.0.0.0"):
        return None
    return f"{parsed.scheme}://127.0.0.1:{parsed.port or 80}"  # one spelling per local port


def _other_chain(w3: Web3, dep: Deployment) -> bool:
    """Whether ``dep`` was written on another chain than ``w3``'s: another genesis, or (local chains)
    another endpoint."""
    if dep.genesis and dep.genesis != _genesis(w3):
        return True
    here = local_endpoint(w3)
    return bool(dep.rpc_url and here and dep.rpc_url != here)


def _same_chain_record(w3: Web3, chain_id: int, directory: Path | None) -> Deployment | None:
    """The newest record of ``chain_id`` (the current one first, then the kept ones) written on
    ``w3``'s very chain (same genesis and, for a local chain, the same endpoint) whose contracts are
    all there; None if there is none."""
    for path in [deployment_path(chain_id, directory), *kept_deployments(chain_id, directory)]:
        try:
            dep = Deployment.from_json(json.loads(path.read_text()), path)
        except (OSError, json.JSONDecodeError, KeyError, TypeError, ValueError):
            continue
        if _other_chain(w3, dep):
            continue
        try:
            check_deployment(w3, dep)
        except DeploymentError:
            continue
        return dep
    return None


def load_deployment(chain_id: int, directory: Path | None = None, *, w3: Web3 | None = None) -> Deployment:
    """Read ``deployments/<chain_id>.json``; with ``w3``, also check the contracts are on that chain.

    With ``w3``, when that record is missing, was written on another chain with the same id (another
    genesis, e.g. a second local anvil) or its contracts are gone, the newest kept record written on
    ``w3``'s own chain whose contracts are all there is read instead. Raises ``DeploymentError``."""
    path = deployment_path(chain_id, directory)
    try:
        try:
            dep = Deployment.from_json(json.loads(path.read_text()), path)
        except FileNotFoundError:
            raise DeploymentError(f"no deployment record {path} for chain {chain_id}; run `zkrevox deploy` "
                                  "first") from None
        except (json.JSONDecodeError, KeyError, TypeError) as exc:
            raise DeploymentError(f"deployment record {path} is corrupted ({exc}); run `zkrevox deploy` again "
                                  "(the unreadable record is kept aside)") from None
        if w3 is not None:
            check_deployment(w3, dep)
            if _other_chain(w3, dep):  # its contracts answer here too (same addresses): prefer this chain's own
                own = _same_chain_record(w3, chain_id, directory)
                return own if own is not None else dep
        return dep
    except DeploymentError:
        kept = _same_chain_record(w3, chain_id, directory) if w3 is not None else None
        if kept is None:
            raise
        log.info("deployment record %s belongs to another chain %d; using %s, written on this one", path,
                 chain_id, kept.path)
        return kept


def check_deployment(w3: Web3, dep: Deployment) -> None:
    chain_id = int(w3.eth.chain_id)
    if chain_id != dep.chain_id:
        raise DeploymentError(f"deployment record {dep.path} is for chain {dep.chain_id}, the RPC serves {chain_id}")
    if dep.genesis and _genesis(w3) != dep.genesis:
        # a restarted local chain deploys to the same addresses: code there proves nothing
        raise DeploymentError(
            f"deployment record {dep.path} was written on another chain {chain_id} (genesis {dep.genesis[:12]}…, "
            f"the RPC's is {_genesis(w3)[:12]}…), and no kept record was written on this one: was the chain "
            "restarted, or is this another local chain? `zkrevox deploy` here writes a new record and keeps "
            f"that one as {dep.path.name if dep.path else 'it'} → {chain_id}.<created_at>.json (a chain still "
            "running keeps finding its own record by its genesis)"
        )
    for what, addr in [("DPrompt", dep.dprompt.address)] + [
        (f"library {n}", rec.address) for n, rec in dep.libraries.items()
    ] + [
        (f"{n} verifier", m.verifier.address) for n, m in dep.models.items()
    ] + [
        (f"{n} batch-{b.size} verifier", b.verifier.address)
        for n, m in dep.models.items() for b in m.batch_verifiers.values()
    ]:
        if not w3.eth.get_code(Web3.to_checksum_address(addr)):
            raise DeploymentError(
                f"deployment record {dep.path} points {what} at {addr}, but there is no contract there "
                "(was the chain restarted?); run `zkrevox deploy`"
            )


def verifier_path(model: str) -> Path:
    return contracts_dir() / "src" / "generated" / f"{_camel(model)}Verifier.sol"


def current_verifier(params: ModelParams) -> Path:
    """The generated verifier for ``params``' verifying key: the committed
    ``src/generated/<Model>Verifier.sol`` when its header names that key, else one generated now
    from the model's artifacts into ``build/generated/`` (a fresh build with a new dev SRS has a
    new key, and the committed file then belongs to another build)."""
    committed = verifier_path(params.name)
    if committed.is_file() and verifier_vk_sha256(committed) == params.vk_sha256:
        return committed
    from zkrevox.chain.evm_verifier import generate_for_model

    out = build_dir() / "generated" / committed.name
    if out.is_file() and verifier_vk_sha256(out) == params.vk_sha256:
        return out
    log.warning("%s does not match the circuit's verifying key; generating %s", committed, out)
    return generate_for_model(params.name, out)


def checked_verifier(params: ModelParams, verifier_sol: Path | None = None) -> tuple[Path, CompiledContract]:
    """The verifier source for ``params`` (default: :func:`current_verifier`), checked against the
    circuit's vk named in its header, and compiled; raises ``DeploymentError`` naming the fix."""
    if verifier_sol is None:
        verifier_sol = current_verifier(params)
    elif not verifier_sol.is_file():
        raise DeploymentError(f"no verifier source at {verifier_sol}")
    named_vk = verifier_vk_sha256(verifier_sol)
    if named_vk is not None and named_vk != params.vk_sha256:
        raise DeploymentError(
            f"{verifier_sol} was generated for vk {named_vk[:12]}…, the circuit's vk is {params.vk_sha256[:12]}…; "
            f"run `zkrevox chain verifier {params.name}`"
        )
    return verifier_sol, compile_verifier(verifier_sol)


def verifier_vk_sha256(path: Path) -> str | None:
    """The vk sha256 named in a generated verifier's header."""
    match = re.search(r"vk\.key sha256: ([0-9a-f]{64})", path.read_text()[:2000])
    return match.group(1) if match else None


def deploy_contract(w3: Web3, account: LocalAccount, compiled: CompiledContract, *args: Any,
                    libraries: dict[str, str] | None = None) -> ContractRecord:
    """Deploy ``compiled`` with constructor ``args``; ``libraries`` maps each external library it
    links (``compiled.link_references``) to its deployed address."""
    bytecode = compiled.linked(libraries or {}) if compiled.link_references else compiled.bytecode
    factory = w3.eth.contract(abi=compiled.abi, bytecode=bytecode)
    ctor = factory.constructor(*args)
    try:
        gas = int(ctor.estimate_gas({"from": account.address}) * 1.2)
        tx = ctor.build_transaction({
            "from": account.address, "nonce": w3.eth.get_transaction_count(account.address, "pending"),
            "chainId": int(w3.eth.chain_id), "gas": gas, **fee_fields(w3),
        })
        tx_hash = w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction)
        receipt = w3.eth.wait_for_transaction_receipt(tx_hash, timeout=180, poll_latency=0.1)
    except (Web3Exception, ValueError, OSError) as exc:
        raise ChainError(f"deploying {compiled.name} failed: {exc}") from None
    if receipt["status"] != 1 or not receipt["contractAddress"]:
        raise ChainError(f"deploying {compiled.name} reverted (tx {tx_hash.hex()})")
    return ContractRecord(receipt["contractAddress"], "0x" + bytes(receipt["transactionHash"]).hex(),
                          int(receipt["blockNumber"]))


ZERO_ADDRESS = "0x0000000000000000000000000000000000000000"


def deploy_dprompt(w3: Web3, account: LocalAccount, owner: str, unbonding_delay: int,
                   stake_token: str | None = None) -> tuple[ContractRecord, dict[str, ContractRecord]]:
    """Deploy the external libraries DPrompt links (ModelRegistry, ProviderStaking), then DPrompt
    itself; providers stake ``stake_token`` (an ERC-20 address) or, without one, the native coin."""
    compiled = project_contracts()
    dprompt = compiled["DPrompt"]
    libraries = {name: deploy_contract(w3, account, compiled[name]) for name in sorted(dprompt.link_references)}
    token = Web3.to_checksum_address(stake_token) if stake_token else ZERO_ADDRESS
    record = deploy_contract(w3, account, dprompt, owner, unbonding_delay, token,
                             libraries={name: rec.address for name, rec in libraries.items()})
    return record, libraries


def deploy(
    w3: Web3,
    account: LocalAccount,
    params: ModelParams,
    *,
    verifier_sol: Path | None = None,
    unbonding_delay: int = DEFAULT_UNBONDING_DELAY,
    directory: Path | None = None,
    write: bool = True,
    batch_sizes: Iterable[int] = (),
    stake_token: str | None = None,
) -> Deployment:
    """Deploy ``params.name``'s verifier and a DPrompt, publish the model as ``account``, write the record.

    ``batch_sizes``: also deploy and register the verifiers of the model's batch circuits of those
    sizes (built by ``zkrevox build <model> --batch N``), for ``fulfilBatch``. ``stake_token``: the
    ERC-20 providers stake (default: the native coin), refused with :class:`InputError` naming why when
    DPrompt cannot book it safely (``stake_token.check_stake_token``)."""
    verifier_sol, verifier_compiled = checked_verifier(params, verifier_sol)
    check_economics(params, unbonding_delay)
    check_window_on(w3, params)
    plans = plan_batch_verifiers(params.name, batch_sizes, num_outputs=params.num_outputs,
                                 input_scale=params.input_scale)  # every check before the first transaction
    if stake_token:
        from zkrevox.chain.stake_token import check_stake_token  # it imports this module

        check_stake_token(w3, stake_token)
    chain_id = int(w3.eth.chain_id)

    verifier = deploy_contract(w3, account, verifier_compiled)
    params = apply_bond_rule(w3, account, params, verifier.address)
    dprompt, libraries = deploy_dprompt(w3, account, account.address, unbonding_delay, stake_token)
    client = DPromptClient(w3, dprompt.address, account)
    model_id, receipt = client.publish_model(params.config_for(verifier.address), build_table(params.spec).data)
    model = ModelRecord(
        model_id=model_id, verifier=verifier, verifier_source=str(verifier_sol.relative_to(contracts_dir().parent))
        if verifier_sol.is_relative_to(contracts_dir().parent) else str(verifier_sol),
        verifier_size=verifier_compiled.deployed_size, vk_sha256=params.vk_sha256,
        spec_sha256=spec_hash(params.spec).hex(), register_tx="0x" + bytes(receipt["transactionHash"]).hex(),
        fee_wei=params.fee_wei, num_outputs=params.num_outputs, input_scale=params.input_scale,
        labels=list(params.labels), publisher=account.address, developer_share_bps=params.developer_share_bps,
        **rule_fields(params),
    )
    dep = Deployment(
        chain_id=chain_id, network=network_name(chain_id), dprompt=dprompt, owner=account.address,
        unbonding_delay=unbonding_delay,
        compiler={"solc": solcjs_version(), "evm_version": EVM_VERSION, "optimizer_runs": OPTIMIZER_RUNS},
        models={params.name: model}, libraries=libraries,
        stake_token=Web3.to_checksum_address(stake_token) if stake_token else None,
        created_at=_dt.datetime.now(_dt.timezone.utc).isoformat(timespec="seconds"), genesis=_genesis(w3),
        rpc_url=local_endpoint(w3),
    )
    for plan in plans:
        register_batch_verifier(w3, account, dep, params.name, plan.size, write=False, plan=plan)
    if write:
        write_deployment(dep, directory)
    return dep


MAX_UNBONDING_DELAY = 365 * 24 * 3600  # DPrompt.MAX_UNBONDING_DELAY
MIN_RESPONSE_WINDOW = 60  # ModelRegistry.MIN_RESPONSE_WINDOW
MAX_RESPONSE_WINDOW = 7 * 24 * 3600  # ModelRegistry.MAX_RESPONSE_WINDOW: the deadline fits 32 bits
MIN_FULFIL_GAS, MAX_FULFIL_GAS = 50_000, 15_000_000  # ModelRegistry's bounds of a model's fulfil gas
MIN_CHALLENGE_WINDOW, MAX_CHALLENGE_WINDOW = 60, 30 * 24 * 3600  # ModelRegistry's bounds
MAX_OPTIMISTIC_OUTPUTS = 216  # ModelRegistry.MAX_OPTIMISTIC_OUTPUTS
_UINT96 = 2**96


def apply_bond_rule(w3: Web3, account: LocalAccount, params: ModelParams, verifier: str) -> ModelParams:
    """``params`` with the bond rule applied (``zkrevox.chain.economics``), when it declares a gas price:
    the dispute's gas measured on ``verifier`` (a proof of the model made here), the default bond raised
    to the rule's floor, and a bond that breaks the rule refused (``DeploymentError`` naming the floor).
    Without a declared gas price, ``params`` as given."""
    from dataclasses import replace

    from zkrevox.chain.economics import BondTerms, check_bond, default_bond

    price = params.declared_gas_price_wei
    if price is None or not params.challenge_window_s:
        return params
    gas = params.dispute_gas
    if gas is None:
        gas = _measure_dispute_gas(w3, account, params, verifier)
    floor = BondTerms(2, gas, price, params.stake_price_wei).floor
    bond = params.answer_bond_wei if params.answer_bond_wei is not None else default_bond(params.min_stake_wei, floor)
    params = replace(params, dispute_gas=gas, answer_bond_wei=bond)
    check_bond(BondTerms(bond, gas, price, params.stake_price_wei),
               min_stake=params.min_stake_wei)
    check_economics(params)  # the raised default bond must still fit the minimum stake
    return params


def check_window_on(w3: Web3, params: ModelParams) -> None:
    """Refuse a challenge window below the floor in blocks of ``w3``'s chain (``economics.check_window``)."""
    from zkrevox.chain.economics import check_window
    from zkrevox.chain.networks import preset_of_chain

    net = preset_of_chain(int(w3.eth.chain_id))
    check_window(params.challenge_window_s, net.block_time_s, net.name)


DISPUTE_GAS_PROMPT = "swap 2 bnb for cake"  # any prompt: the verifier's gas does not depend on it
_DISPUTE_GAS: dict[tuple[int, str, bytes], int] = {}  # (chain id, vk, verifier code hash) -> measured gas


def _measure_dispute_gas(w3: Web3, account: LocalAccount, params: ModelParams, verifier: str) -> int:
    """The dispute gas of ``params``' model on ``w3``'s chain: a proof made here, ``verifyProof`` estimated on
    ``verifier`` (once per chain, vk and verifier code in this process)."""
    from zkrevox import Prover
    from zkrevox.chain.economics import measure_dispute_gas
    from zkrevox.chain.proofs import ChainProof

    code = w3.eth.get_code(Web3.to_checksum_address(verifier))
    key = (int(w3.eth.chain_id), params.vk_sha256, bytes(Web3.keccak(code)))
    if key not in _DISPUTE_GAS:
        with tempfile.TemporaryDirectory(prefix="zkrevox-dispute-gas-") as tmp:
            proof = Prover.load(params.name, vk_sha256=params.vk_sha256).prove(DISPUTE_GAS_PROMPT, Path(tmp))
            _DISPUTE_GAS[key] = measure_dispute_gas(w3, verifier, ChainProof.from_proof(proof), account.address)
    return _DISPUTE_GAS[key]


def rule_fields(params: ModelParams) -> dict[str, Any]:
    """The bond rule's terms as the deployment record keeps them (0: not declared)."""
    if params.declared_gas_price_wei is None:
        return {}
    return {"dispute_gas": int(params.dispute_gas or 0), "declared_gas_price_wei": params.declared_gas_price_wei,
            "stake_price_wei": params.stake_price_wei}


def check_economics(params: ModelParams, unbonding_delay: int | None = None) -> None:
    """The contract's rules for a model's economics (and DPrompt's unbonding delay), checked offline."""
    problems = []
    if not 0 < params.fee_wei < _UINT96:
        problems.append(f"fee {params.fee_wei} wei must be positive and below 2^96")
    if not 0 < params.min_stake_wei < _UINT96:
        problems.append(f"minimum stake {params.min_stake_wei} must be positive and below 2^96")
    if not MIN_RESPONSE_WINDOW <= params.response_window_s <= MAX_RESPONSE_WINDOW:
        problems.append(f"response window {params.response_window_s} s is outside {MIN_RESPONSE_WINDOW} s..7 days "
                        f"({MAX_RESPONSE_WINDOW} s): a provider's stake answers for a request that long at most")
    if not MIN_FULFIL_GAS <= params.fulfil_gas <= MAX_FULFIL_GAS:
        problems.append(f"fulfil gas {params.fulfil_gas} is outside {MIN_FULFIL_GAS:,}..{MAX_FULFIL_GAS:,}")
    if not 0 <= params.slash_bps <= 10_000:
        problems.append(f"slash {params.slash_bps} bps is outside 0..10000")
    if not 0 <= params.developer_share_bps <= 10_000:
        problems.append(f"developer share {params.developer_share_bps} bps is outside 0..10000")
    problems += _optimistic_problems(params)
    if unbonding_delay is not None and not 0 <= unbonding_delay <= MAX_UNBONDING_DELAY:
        problems.append(f"unbonding delay {unbonding_delay} s is outside 0..{MAX_UNBONDING_DELAY} (365 days)")
    if problems:
        raise DeploymentError("; ".join(problems) + "; nothing was sent")


def _optimistic_problems(params: ModelParams) -> list[str]:
    """ModelRegistry's rules for the optimistic mode's fields (all zero: the mode is not offered)."""
    window, fee, bond = params.challenge_window_s, params.optimistic_fee, params.answer_bond
    if window == 0:
        return [] if fee == bond == 0 else [
            "an optimistic fee or answer bond needs a challenge window (or set both to 0: no optimistic mode)"]
    problems = []
    if not MIN_CHALLENGE_WINDOW <= window <= MAX_CHALLENGE_WINDOW:
        problems.append(f"challenge window {window} s is outside {MIN_CHALLENGE_WINDOW} s..30 days "
                        "(0: no optimistic mode)")
    if params.num_outputs > MAX_OPTIMISTIC_OUTPUTS:
        problems.append(f"{params.num_outputs} outputs: optimistic mode takes at most {MAX_OPTIMISTIC_OUTPUTS} "
                        "(set the challenge window to 0)")
    if not 2 <= bond <= params.min_stake_wei:
        problems.append(f"answer bond {bond} must be at least 2 and at most the minimum stake {params.min_stake_wei}")
    cut = params.fee_wei * params.developer_share_bps // 10_000
    if not cut <= fee < _UINT96:
        problems.append(f"optimistic fee {fee} wei must cover the developer's cut {cut} wei and be below 2^96")
    return problems


@dataclass(frozen=True)
class BatchCircuit:
    """A model's batch-``size`` circuit as its artifacts describe it (checked against the manifest)."""

    model: str
    size: int
    vk_sha256: str
    num_features: int
    num_outputs: int
    input_scale: int
    vk: Path
    settings: Path
    srs: Path
    packing: dict | None = None


def batch_circuit(name: str, size: int) -> BatchCircuit:
    """The batch-``size`` circuit of model ``name`` from ``artifacts/<name>-b<size>/``."""
    from zkrevox.artifacts import Artifacts
    from zkrevox.circuit import variant_name
    from zkrevox.model_files import ModelFiles, model_dir

    if size < 2:
        raise DeploymentError(f"batch size {size}: batch verifiers answer 2 or more requests; size 1 is `fulfil`")
    artifacts = Artifacts.for_model(variant_name(name, size), ModelFiles(model_dir(name)))
    manifest = artifacts.check(("settings", "vk", "srs"))
    settings = json.loads(artifacts.file("settings").read_text())
    shapes = settings.get("model_instance_shapes") or []
    if int(manifest.get("batch", 1)) != size or len(shapes) != 2 or any(int(s[0]) != size for s in shapes):
        raise DeploymentError(
            f"{artifacts.path} is not a batch-{size} circuit (instance shapes {shapes}); "
            f"run `{artifacts.build_command}`"
        )
    return BatchCircuit(
        model=name, size=size, vk_sha256=manifest["files"]["vk"]["sha256"],
        num_features=int(shapes[0][1]), num_outputs=int(shapes[1][1]),
        input_scale=int(manifest.get("input_scale", settings["run_args"]["input_scale"])),
        vk=artifacts.file("vk"), settings=artifacts.file("settings"), srs=artifacts.file("srs"),
        packing=manifest.get("feature_packing"),
    )


def batch_verifier_path(name: str, size: int) -> Path:
    """Where the batch-``size`` verifier is generated: ``build/generated/<Model>B<size>Verifier.sol``
    (git-ignored: it belongs to the local build's keys)."""
    return build_dir() / "generated" / f"{_camel(name)}B{size}Verifier.sol"


def current_batch_verifier(circuit: BatchCircuit) -> Path:
    """The generated verifier of ``circuit``: reused when its header names the circuit's vk,
    else generated now (offline, ``zkrevox.chain.evm_verifier``)."""
    from zkrevox.chain.evm_verifier import generate_verifier

    out = batch_verifier_path(circuit.model, circuit.size)
    if out.is_file() and verifier_vk_sha256(out) == circuit.vk_sha256:
        return out
    log.info("generating the batch-%d verifier of %s into %s", circuit.size, circuit.model, out)
    regenerate = (f"zkrevox.chain.deploy.current_batch_verifier(batch_circuit({circuit.model!r}, {circuit.size})); "
                  "deploy and register_batch_verifier do it when the vk changes")
    return generate_verifier(f"{circuit.model}-b{circuit.size}", circuit.vk, circuit.settings, circuit.srs, out,
                             regenerate=regenerate)


MAX_BATCH_SIZE = 64  # ModelRegistry.MAX_BATCH_SIZE


def built_batch_sizes(name: str) -> list[int]:
    """Batch sizes with a built circuit directory ``artifacts/<name>-b<N>/``."""
    from zkrevox.artifacts import artifacts_root

    root = artifacts_root()
    return sorted(int(m.group(1)) for p in root.glob(f"{name}-b*")
                  if p.is_dir() and (m := re.fullmatch(rf"{re.escape(name)}-b(\d+)", p.name)))


@dataclass(frozen=True)
class BatchPlan:
    """A batch verifier checked and compiled, ready to deploy and register (no transaction yet)."""

    size: int
    verifier_sol: Path
    vk_sha256: str
    packing: dict | None
    compiled: CompiledContract


def plan_batch_verifier(name: str, size: int, *, num_outputs: int, input_scale: int) -> BatchPlan:
    """Check everything about registering the batch-``size`` circuit of local model ``name`` that can be
    checked offline (size in range, circuit built, outputs and scale as the model's, verifier generated
    and within EIP-170), so that a deployment refuses before its first transaction."""
    if not 2 <= size <= MAX_BATCH_SIZE:
        raise DeploymentError(
            f"batch size {size}: DPrompt takes batches of 2..{MAX_BATCH_SIZE} requests (size 1 is `fulfil`); "
            f"built here: {built_batch_sizes(name) or 'none'}"
        )
    try:
        circuit = batch_circuit(name, size)
    except ArtifactError as exc:
        raise DeploymentError(
            f"the batch-{size} circuit of {name} is not built ({exc}); built sizes: "
            f"{built_batch_sizes(name) or 'none'}; build it with `zkrevox build {name} --batch {size}` or leave "
            f"--batch {size} out"
        ) from None
    if circuit.num_outputs != num_outputs or circuit.input_scale != input_scale:
        raise DeploymentError(
            f"the batch-{size} circuit of {name} has {circuit.num_outputs} outputs at input scale "
            f"{circuit.input_scale}, the registered model {num_outputs} at {input_scale}; "
            f"rebuild both from the same model (`zkrevox build {name}` and `zkrevox build {name} --batch {size}`)"
        )
    verifier_sol = current_batch_verifier(circuit)
    named_vk = verifier_vk_sha256(verifier_sol)
    if named_vk is not None and named_vk != circuit.vk_sha256:
        raise DeploymentError(
            f"{verifier_sol} was generated for vk {named_vk[:12]}…, the batch-{size} circuit's vk is "
            f"{circuit.vk_sha256[:12]}…"
        )
    return BatchPlan(size, verifier_sol, circuit.vk_sha256, circuit.packing, compile_verifier(verifier_sol))


def plan_batch_verifiers(name: str, sizes: Iterable[int], *, num_outputs: int, input_scale: int) -> list[BatchPlan]:
    return [plan_batch_verifier(name, size, num_outputs=num_outputs, input_scale=input_scale)
            for size in sorted(set(sizes))]


def register_batch_verifier(
    w3: Web3,
    account: LocalAccount,
    dep: Deployment,
    model: str,
    size: int,
    *,
    verifier_sol: Path | None = None,
    vk_sha256: str | None = None,
    directory: Path | None = None,
    write: bool = True,
    artifacts_model: str | None = None,
    plan: BatchPlan | None = None,
) -> BatchVerifierRecord:
    """Deploy the verifier of ``model``'s batch-``size`` circuit, register it with DPrompt
    (``registerBatchVerifier``, the model's publisher only) and add it to the deployment record.

    By default the circuit comes from ``artifacts/<model>-b<size>/`` (checked: same model files,
    ``size`` prompts of the registered feature and output counts); ``artifacts_model`` names
    another local model when the record's name is an alias (``zkrevox publish --as``);
    ``verifier_sol`` and ``vk_sha256`` together name another verifier (tests); ``plan``: one made by
    :func:`plan_batch_verifier` (checked before any transaction)."""
    record = dep.model(model)
    local = artifacts_model or record.source_model or model
    if str(size) in record.batch_verifiers:
        raise DeploymentError(f"{model} already has a batch-{size} verifier in {dep.path}; registrations never change")
    if plan is None:
        if verifier_sol is None or vk_sha256 is None:
            plan = plan_batch_verifier(local, size, num_outputs=record.num_outputs, input_scale=record.input_scale)
        else:
            named_vk = verifier_vk_sha256(verifier_sol)
            if named_vk is not None and named_vk != vk_sha256:
                raise DeploymentError(
                    f"{verifier_sol} was generated for vk {named_vk[:12]}…, the batch-{size} circuit's vk is "
                    f"{vk_sha256[:12]}…"
                )
            plan = BatchPlan(size, verifier_sol, vk_sha256, None, compile_verifier(verifier_sol))
    verifier_sol, vk_sha256, packing, compiled = plan.verifier_sol, plan.vk_sha256, plan.packing, plan.compiled
    verifier = deploy_contract(w3, account, compiled)
    client = DPromptClient(w3, dep.dprompt.address, account)
    receipt = client.register_batch_verifier(
        record.model_id, size, verifier.address, bytes.fromhex(vk_sha256), packing=packing
    )
    batch = BatchVerifierRecord(
        size=size, verifier=verifier, verifier_source=_display_path(verifier_sol), verifier_size=compiled.deployed_size,
        vk_sha256=vk_sha256, register_tx="0x" + bytes(receipt["transactionHash"]).hex(), packing=packing,
    )
    record.batch_verifiers[str(size)] = batch
    if write:
        write_deployment(dep, directory or (dep.path.parent if dep.path else None))
    return batch


def _display_path(path: Path) -> str:
    root = contracts_dir().parent
    return str(path.relative_to(root)) if path.is_relative_to(root) else str(path)


def model_params(name: str = "ticker", **economics: Any) -> ModelParams:
    """``ModelParams`` from a built model's artifacts (checked against their manifest)."""
    from zkrevox.artifacts import Artifacts
    from zkrevox.model_files import ModelFiles, model_dir

    model = ModelFiles(model_dir(name))
    artifacts = Artifacts.for_model(name, model)
    manifest = artifacts.check(("settings", "vk"))
    settings = json.loads(artifacts.file("settings").read_text())
    spec = model.spec()
    labels = tuple(model.labels())
    num_outputs = _num_outputs(settings, len(labels))
    input_scale = int(manifest.get("input_scale", settings["run_args"]["input_scale"]))
    packing = manifest.get("feature_packing")
    return ModelParams(
        name=name, spec=spec, input_scale=input_scale, num_outputs=num_outputs,
        vk_sha256=manifest["files"]["vk"]["sha256"], labels=labels,
        packing={k: int(packing[k]) for k in ("digits", "bits", "shift")} if packing else None, **economics,
    )


def _num_outputs(settings: dict[str, Any], default: int) -> int:
    shapes = settings.get("model_instance_shapes") or []
    if len(shapes) >= 2:
        n = 1
        for d in shapes[-1]:
            n *= int(d)
        return n
    return default


def _camel(name: str) -> str:
    return "".join(part.capitalize() for part in re.split(r"[^0-9a-zA-Z]+", name) if part)
