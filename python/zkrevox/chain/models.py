"""Read DPrompt's models, and check one against local artifacts.

Publishing is open to anyone, so trust is something a user checks: :func:`list_models` lists every
model of a deployment's DPrompt with its publisher and hashes; :func:`check_model` regenerates the
verifier from the local artifacts (ezkl's generator, offline), compiles it with the pinned solc and
compares the runtime bytecode deployed at the model's verifier with it (ezkl's verifiers have no
immutables; the project compiles with ``bytecodeHash: none``, so the only metadata is solc's
version tag), the on-chain vk hash with the local verifying key's sha256, the spec hash and the
featurizer parameters and vocabulary table the contract really runs with the local
``input_spec.json``, and each registered batch verifier that has local artifacts the same way.
"""

from __future__ import annotations

import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from web3 import Web3

from zkrevox.chain.client import DPromptClient, ModelInfo
from zkrevox.chain.deploy import Deployment
from zkrevox.errors import ArtifactError, DeploymentError, InputError

MAX_BATCH_SIZE = 64  # ModelRegistry.MAX_BATCH_SIZE: batch sizes a model can register, 2..64


def record_names(dep: Deployment) -> dict[int, str]:
    """Model id -> its name in the deployment record (the first one, if recorded twice)."""
    names: dict[int, str] = {}
    for name, record in dep.models.items():
        names.setdefault(record.model_id, name)
    return names


def model_summary(client: DPromptClient, info: ModelInfo, name: str | None) -> dict[str, Any]:
    return {
        "id": info.model_id,
        "name": name,
        "publisher": info.publisher,
        "status": "retired" if info.retired else "live",
        "fee_wei": info.fee,
        "developer_share_bps": info.developer_share_bps,
        "vk_hash": info.vk_hash.hex(),
        "spec_hash": info.spec_hash.hex(),
        "verifier": info.verifier,
        "min_stake_wei": info.min_stake,
        "response_window_s": info.response_window,
        "slash_bps": info.slash_bps,
        "challenge_window_s": info.challenge_window,  # 0: no optimistic mode
        "optimistic_fee_wei": info.optimistic_fee,
        "answer_bond": info.answer_bond,  # in the stake asset's smallest unit
        "num_outputs": info.num_outputs,
        "input_scale": info.input_scale,
        "developer_earnings_wei": client.developer_earnings(info.model_id),
        "fulfil_gas": info.fulfil_gas,
        "max_callback_gas_limit": client.max_callback_gas_limit(info.model_id),
        "provider_warnings": provider_warnings(info),
    }


# Terms past which a model is hostile to the providers that stake for it (``provider_warnings``).
HOSTILE_SLASH_BPS = 5000  # half a stake or more burned per missed request
LONG_RESPONSE_WINDOW = 24 * 3600  # a stake answers for each request this long
LONG_CHALLENGE_WINDOW = 7 * 24 * 3600  # an optimistic answer's pay waits this long


def provider_warnings(info: ModelInfo) -> list[str]:
    """What in model ``info``'s terms (as stored on chain) a provider should weigh before staking: a slash
    of half its stake or more per miss, windows over a day (response) or a week (challenge), an answer bond
    equal to the whole minimum stake. Empty when none applies."""
    warnings = []
    if info.slash_bps >= HOSTILE_SLASH_BPS:
        warnings.append(f"one missed request burns {info.slash_bps / 100:g} % of the provider's stake")
    if info.response_window > LONG_RESPONSE_WINDOW:
        warnings.append(f"response window {info.response_window} s (over a day): the stake answers for every "
                        "request that long, and requests stay pending that long")
    if info.challenge_window > LONG_CHALLENGE_WINDOW:
        warnings.append(f"challenge window {info.challenge_window} s (over a week): an optimistic answer is paid "
                        "only after it")
    if info.challenge_window and info.answer_bond >= info.min_stake:
        warnings.append("one overturned optimistic answer takes the whole minimum stake (answer bond = min stake)")
    return warnings


def list_models(client: DPromptClient, dep: Deployment) -> list[dict[str, Any]]:
    """Every model of the DPrompt at ``client``, id 1 upwards, named from ``dep`` where recorded, with the
    bond rule it was published under (``bond_rule``: None when no gas price was declared)."""
    names = record_names(dep)
    rows = []
    for i in range(1, client.model_count() + 1):
        info = client.model(i)
        row = model_summary(client, info, names.get(i))
        record = dep.models.get(names[i]) if i in names else None
        row["bond_rule"] = _bond_rule(info, record)
        rows.append(row)
    return rows


def _bond_rule(info: ModelInfo, record: Any) -> dict[str, Any] | None:
    """The bond rule's terms: the on-chain bond against the recorded dispute gas and declared prices."""
    from zkrevox.chain.economics import BondTerms

    if record is None or not getattr(record, "declared_gas_price_wei", 0) or not info.challenge_window:
        return None
    return BondTerms(info.answer_bond, record.dispute_gas, record.declared_gas_price_wei,
                     record.stake_price_wei or 10**18).to_json()


@dataclass(frozen=True)
class Comparison:
    what: str  # e.g. "verifier bytecode", "batch-4 vk hash"
    ok: bool
    detail: str  # what matched, or exactly what differs


@dataclass
class ModelCheck:
    model_id: int
    local_model: str
    comparisons: list[Comparison] = field(default_factory=list)
    not_checked: list[str] = field(default_factory=list)  # registered parts without local artifacts
    retired: bool = False  # the model takes no new requests (its publisher retired it)

    @property
    def verified(self) -> bool:
        return all(c.ok for c in self.comparisons)

    @property
    def differences(self) -> list[Comparison]:
        return [c for c in self.comparisons if not c.ok]

    def to_json(self) -> dict[str, Any]:
        return {
            "model_id": self.model_id, "local_model": self.local_model, "verified": self.verified,
            "comparisons": [c.__dict__ for c in self.comparisons],
            "differences": [f"{c.what}: {c.detail}" for c in self.differences],
            "not_checked": self.not_checked, "retired": self.retired,
        }


def strip_metadata(code: bytes) -> bytes:
    """Runtime code without solc's trailing CBOR metadata (its length is in the last two bytes)."""
    if len(code) < 2:
        return code
    n = int.from_bytes(code[-2:], "big")
    if 0 < n <= len(code) - 2 and code[-n - 2] & 0xE0 == 0xA0:  # a CBOR map
        return code[: -n - 2]
    return code


def compare_code(what: str, address: str, deployed: bytes, compiled: bytes, source: str) -> Comparison:
    if not deployed:
        return Comparison(what, False, f"no contract at {address}")
    if deployed == compiled:
        return Comparison(what, True, f"the {len(deployed)} bytes at {address} are {source}, compiled here")
    if strip_metadata(deployed) == strip_metadata(compiled):
        return Comparison(what, True, f"{address} runs the code of {source}; only solc's metadata tag differs "
                                      "(compiled by another solc version)")
    first = next((i for i, (a, b) in enumerate(zip(deployed, compiled, strict=False)) if a != b),
                 min(len(deployed), len(compiled)))
    return Comparison(what, False, f"the {len(deployed)} bytes at {address} are not {source} compiled "
                                   f"({len(compiled)} bytes; first difference at byte {first})")


def compare_value(what: str, onchain: str, local: str, local_from: str) -> Comparison:
    if onchain == local:
        return Comparison(what, True, f"{onchain} equals {local_from}")
    return Comparison(what, False, f"on-chain {onchain}, {local_from} {local}")


def check_model(
    w3: Web3, dep: Deployment, model_id: int, local_model: str | None = None, *, regenerate: bool = True,
    progress: Callable[[str], None] | None = None,
) -> ModelCheck:
    """Compare on-chain model ``model_id`` with the artifacts of ``local_model`` (default: the model the
    deployment record says it was published from). ``regenerate=False`` reuses a verifier already
    generated for the same vk (``current_verifier``) instead of running ezkl's generator afresh.
    ``progress(message)`` is called before each long step (generating, compiling, each batch size)."""
    client = DPromptClient(w3, dep.dprompt.address)
    count = client.model_count()
    if not 1 <= model_id <= count:
        raise InputError(f"DPrompt {dep.dprompt.address} has no model {model_id} (models 1..{count}); "
                         "list them with `zkrevox models`")
    name = local_model or _local_name(dep, model_id)
    info = client.model(model_id)
    result = ModelCheck(model_id, name, retired=bool(info.retired))
    say = progress or (lambda _message: None)
    with tempfile.TemporaryDirectory(prefix="zkrevox-check-") as tmp:
        say(f"model {model_id}: {'generating' if regenerate else 'reusing'} the verifier of artifacts/{name} and "
            "compiling it")
        _check_single(w3, info, name, Path(tmp), regenerate, result)
        _check_batches(w3, client, info, name, Path(tmp), regenerate, result, say)
    return result


def _local_name(dep: Deployment, model_id: int) -> str:
    for name, record in dep.models.items():
        if record.model_id == model_id:
            return record.source_model or name
    raise InputError(f"model {model_id} is not in the deployment record {dep.path}; name the local model "
                     f"to compare it with: `zkrevox check-model {model_id} --model NAME` "
                     "(models/NAME/, artifacts/NAME/)")


def _check_single(w3: Web3, info: ModelInfo, name: str, tmp: Path, regenerate: bool, out: ModelCheck) -> None:
    from zkrevox.chain.deploy import current_verifier, model_params
    from zkrevox.chain.evm_verifier import generate_for_model
    from zkrevox.chain.solc import compile_verifier
    from zkrevox.chain.vocab_table import build_table, onchain_spec, spec_hash

    params = model_params(name)  # checks the artifacts against their manifest
    sol = generate_for_model(name, tmp / f"{name}.sol") if regenerate else current_verifier(params)
    source = f"the verifier generated from artifacts/{name}"
    out.comparisons.append(compare_code("verifier bytecode", info.verifier, _code(w3, info.verifier),
                                        compile_verifier(sol).deployed_bytecode, source))
    out.comparisons.append(compare_value("vk hash", info.vk_hash.hex(), params.vk_sha256,
                                         f"the sha256 of artifacts/{name}/vk.key"))
    out.comparisons.append(compare_value("spec hash", info.spec_hash.hex(), spec_hash(params.spec).hex(),
                                         f"the hash of models/{name}/input_spec.json"))
    table = build_table(params.spec)
    local_spec = onchain_spec(params.spec, table)
    fields = ("maxBytes", "vocabSize", "trigramBuckets", "clip", "fuzzyMinLen", "tableBits", "table", "contextSlots")
    diffs = [f"{f} {a} ≠ {b}" for f, a, b in zip(fields, info.spec, local_spec, strict=True)
             if f != "table" and int(a) != int(b)]
    diffs += [f"{what} {a} ≠ {b}" for what, a, b in (("numOutputs", info.num_outputs, params.num_outputs),
                                                    ("inputScale", info.input_scale, params.input_scale))
              if int(a) != int(b)]
    out.comparisons.append(Comparison(
        "featurizer parameters", not diffs,
        f"on-chain ≠ local: {', '.join(diffs)}" if diffs else f"equal models/{name}/input_spec.json and the circuit's"))
    out.comparisons.append(compare_value("feature packing", _packing(info.packing), _packing(params.packing),
                                         f"artifacts/{name}/manifest.json's"))
    table_code = _code(w3, info.table)
    out.comparisons.append(Comparison(
        "vocabulary table", table_code[1:] == table.data,
        f"the table contract {info.table} holds the one built from models/{name}/input_spec.json"
        if table_code[1:] == table.data else
        f"the table contract {info.table} ({len(table_code)} bytes) is not the one built from "
        f"models/{name}/input_spec.json ({len(table.data) + 1} bytes)"))


def _check_batches(w3: Web3, client: DPromptClient, info: ModelInfo, name: str, tmp: Path, regenerate: bool,
                   out: ModelCheck, say: Callable[[str], None] = lambda _message: None) -> None:
    from zkrevox.chain.deploy import batch_circuit, current_batch_verifier
    from zkrevox.chain.evm_verifier import generate_verifier
    from zkrevox.chain.solc import compile_verifier

    for size in range(2, MAX_BATCH_SIZE + 1):
        registered = client.batch_verifier(info.model_id, size)
        if registered is None:
            continue
        address, vk_hash = registered
        try:
            circuit = batch_circuit(name, size)
        except (ArtifactError, DeploymentError) as exc:
            out.not_checked.append(f"batch-{size} verifier {address}: no usable local batch-{size} circuit ({exc})")
            continue
        say(f"batch-{size} verifier: {'generating' if regenerate else 'reusing'} it and compiling it")
        if regenerate:
            sol = generate_verifier(f"{name}-b{size}", circuit.vk, circuit.settings, circuit.srs,
                                    tmp / f"{name}-b{size}.sol")
        else:
            sol = current_batch_verifier(circuit)
        what = f"batch-{size}"
        out.comparisons.append(compare_code(f"{what} verifier bytecode", address, _code(w3, address),
                                            compile_verifier(sol).deployed_bytecode,
                                            f"the verifier generated from artifacts/{name}-b{size}"))
        out.comparisons.append(compare_value(f"{what} vk hash", vk_hash.hex(), circuit.vk_sha256,
                                             f"the sha256 of artifacts/{name}-b{size}/vk.key"))
        packing = client.batch_packing(info.model_id, size)
        local = {k: int(circuit.packing[k]) for k in ("digits", "bits", "shift")} if circuit.packing else None
        out.comparisons.append(compare_value(f"{what} feature packing", _packing(packing), _packing(local),
                                             f"artifacts/{name}-b{size}/manifest.json's"))


def _packing(packing: dict | None) -> str:
    if not packing:
        return "none (one instance per feature)"
    return f"digits {packing['digits']}, bits {packing['bits']}, shift {packing['shift']}"


def _code(w3: Web3, address: str) -> bytes:
    return bytes(w3.eth.get_code(Web3.to_checksum_address(address)))
