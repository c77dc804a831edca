"""Gas per fulfilled request on a fresh anvil: ``fulfil`` (N = 1) against ``fulfilBatch`` (N > 1).

For each batch size N: N requests (the first N prompts of the realistic held-out set), one real
proof of the model's batch-N circuit (``artifacts/<model>-b<N>/``; N = 1 is the single circuit and
``fulfil``), one fulfilment transaction. Its gas is split three ways, which add up to the receipt's:

- ``verifier``: the STATICCALL of the generated verifier (anvil's call tracer);
- ``calldata``: the transaction's intrinsic gas, 21,000 + 16 per non-zero and 4 per zero byte
  (proof bytes, request ids, outputs as 32-byte field elements);
- ``dprompt``: everything else, DPrompt's own work net of storage refunds (reading the stored
  features, building the instances, answer bitmaps, request and provider state, events).

``zkrevox bench`` calls :func:`measure`; by hand: ``python -m zkrevox.chain.gasbench 1 4 8``.
:func:`measure_optimistic` measures the optimistic mode the same way (``python -m
zkrevox.chain.gasbench --optimistic``): an answer, finalization (one, and sixteen in one call), a
dispute that overturns a wrong answer and one refused because the answer is right.
"""

from __future__ import annotations

import json
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from web3.types import RPCEndpoint

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient, answer_bitmap, bitmap_indices
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.chain.paths import repo_root
from zkrevox.chain.proofs import ChainProof
from zkrevox.errors import ChainError

TX_BASE_GAS = 21_000
STAKE_WEI = 10**17


def eval_prompts(model: str = "ticker", count: int = 16) -> list[str]:
    """The first ``count`` prompts of ``models/<model>/eval/realistic.jsonl``."""
    path = repo_root() / "models" / model / "eval" / "realistic.jsonl"
    with path.open() as f:
        prompts = [json.loads(line)["prompt"] for line, _ in zip(f, range(count), strict=False)]
    if len(prompts) < count:
        raise ChainError(f"{path} holds {len(prompts)} prompts, fewer than the {count} needed")
    return prompts


def intrinsic_gas(data: bytes) -> int:
    """Intrinsic gas of a call transaction with input ``data`` (no access list)."""
    zeros = data.count(0)
    return TX_BASE_GAS + 4 * zeros + 16 * (len(data) - zeros)


def breakdown(w3: Any, receipt: Any) -> dict[str, int]:
    """``{"total", "verifier", "calldata", "dprompt", "calldata_bytes"}`` of a fulfil(Batch) receipt."""
    tx = "0x" + bytes(receipt["transactionHash"]).hex()
    trace = w3.provider.make_request("debug_traceTransaction", [tx, {"tracer": "callTracer"}])
    calls = [c for c in trace["result"].get("calls", []) if c.get("type") == "STATICCALL"]
    if len(calls) != 1:
        raise ChainError(f"expected one verifier STATICCALL in {tx}, found {len(calls)}")
    data = bytes(w3.eth.get_transaction(tx)["input"])
    total = int(receipt["gasUsed"])
    verifier = int(calls[0]["gasUsed"], 16)
    calldata = intrinsic_gas(data)
    return {"total": total, "verifier": verifier, "calldata": calldata, "dprompt": total - verifier - calldata,
            "calldata_bytes": len(data)}


def measure(batch_sizes: Iterable[int] = (1, 8), *, model: str = "ticker") -> dict[str, Any]:
    """Per-request fulfilment gas for each N in ``batch_sizes`` on a fresh anvil, with real proofs.

    Returns ``{"per_request": {"<N>": gas}, "batches": {"<N>": {...}}, "model", "prompts"}``;
    each batch entry holds the transaction's breakdown (``total``, ``verifier``, ``calldata``,
    ``dprompt``), the same per request (``per_request``), the verifier's deployed size, the
    public instances per proof, the proof's size and proving time. Needs the circuits built
    (``zkrevox build <model>`` and ``zkrevox build <model> --batch N``); raises ``ArtifactError``
    naming the command otherwise.
    """
    from eth_account import Account

    from zkrevox.prover import Prover

    sizes = sorted({int(n) for n in batch_sizes})
    if not sizes or sizes[0] < 1:
        raise ValueError(f"batch sizes must be >= 1, got {list(batch_sizes)}")
    provers = {n: Prover.load(model, batch=n) for n in sizes}  # fails early, naming the build command
    params = model_params(model, min_stake_wei=STAKE_WEI)
    prompts = eval_prompts(model, max(sizes))
    owner, provider_acct, user_acct = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:3])
    batches: dict[str, dict[str, Any]] = {}
    with tempfile.TemporaryDirectory(prefix="zkrevox-gasbench-") as tmp, Anvil() as chain:
        w3 = connect(chain.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=Path(tmp), write=False,
                     batch_sizes=[n for n in sizes if n > 1])
        record = dep.models[model]
        provider = DPromptClient(w3, dep.dprompt.address, provider_acct)
        user = DPromptClient(w3, dep.dprompt.address, user_acct)
        provider.stake(record.model_id, STAKE_WEI)
        for n in sizes:
            batch = prompts[:n]
            ids = [user.request(record.model_id, p)[0] for p in batch]
            prover = provers[n]
            proof = prover.prove(batch[0]) if n == 1 else prover.prove_batch(batch)
            chain_proof = ChainProof.from_proof(proof)
            outputs = chain_proof.outputs(n * params.num_outputs)
            if n == 1:
                if provider.public_instances(ids[0], outputs) != chain_proof.instances:
                    raise ChainError("DPrompt's instances differ from the proof's; the verifier is another circuit's")
                receipt = provider.fulfil(ids[0], chain_proof.proof_bytes, outputs)
                verifier_size = record.verifier_size
            else:
                if provider.batch_public_instances(ids, outputs) != chain_proof.instances:
                    raise ChainError("DPrompt's batch instances differ from the proof's; rebuild the batch circuit")
                receipt = provider.fulfil_batch(ids, chain_proof.proof_bytes, outputs)
                verifier_size = record.batch_verifier(n).verifier_size
            labels = list(params.labels)
            stored = [[labels[i] for i in bitmap_indices(user.answer(r), params.num_outputs)] for r in ids]
            if stored != proof.answers:
                raise ChainError(f"answers stored on-chain {stored} differ from the proof's {proof.answers}")
            gas = breakdown(w3, receipt)
            batches[str(n)] = {
                "n": n,
                "function": "fulfil" if n == 1 else "fulfilBatch",
                "circuit": prover.artifacts.name,
                "logrows": int(prover.settings["run_args"]["logrows"]),
                "instances": len(chain_proof.instances),
                "feature_packing": prover.manifest.get("feature_packing"),
                "proof_bytes": len(chain_proof.proof_bytes),
                "verifier_deployed_size": verifier_size,
                "prove_seconds": proof.prove_seconds,
                **gas,
                "per_request": {k: round(gas[k] / n) for k in ("total", "verifier", "calldata", "dprompt")},
            }
    return {
        "model": model,
        "per_request": {k: b["per_request"]["total"] for k, b in batches.items()},
        "batches": batches,
        "prompts": prompts,
        "breakdown": "total = verifier (STATICCALL) + calldata (intrinsic: 21000 + 16/non-zero + 4/zero byte) "
                     "+ dprompt (the rest, net of refunds)",
    }


FINALIZE_BATCH = 16


def measure_optimistic(*, model: str = "ticker") -> dict[str, Any]:
    """Gas of the optimistic mode on a fresh anvil with the model's real single circuit.

    Returns ``{"answer", "finalize_single", "finalize_per_request_16", "dispute_overturned",
    "dispute_overturned_verifier", "dispute_refused", "challenge_window_s", ...}``: each a
    receipt's gas (``dispute_refused``: the gas of the mined, reverted transaction;
    ``dispute_overturned_verifier``: the verifier's STATICCALL inside the successful dispute).
    """
    from eth_account import Account

    from zkrevox.chain.revert import RevertedError
    from zkrevox.prover import Prover

    prover = Prover.load(model)  # fails early, naming the build command
    params = model_params(model, min_stake_wei=STAKE_WEI)
    prompts = eval_prompts(model, FINALIZE_BATCH)
    owner, provider_acct, user_acct, watcher_acct = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:4])
    with tempfile.TemporaryDirectory(prefix="zkrevox-gasbench-") as tmp, Anvil() as chain:
        w3 = connect(chain.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=Path(tmp), write=False)
        model_id = dep.models[model].model_id
        provider, user, watcher = (DPromptClient(w3, dep.dprompt.address, a)
                                   for a in (provider_acct, user_acct, watcher_acct))
        provider.stake(model_id, 2 * STAKE_WEI)  # still above the minimum after one slashed bond
        provider.set_capacity(model_id, 2 * FINALIZE_BATCH)
        rights = {p: answer_bitmap(prover.predict(p).outputs) for p in prompts}
        ids = [user.request(model_id, p, optimistic=True)[0] for p in prompts]
        answer_gas = [int(provider.post_answer(r, rights[p])["gasUsed"]) for r, p in zip(ids, prompts, strict=True)]
        proof = ChainProof.from_proof(prover.prove(prompts[0]))
        outputs = proof.outputs(params.num_outputs)
        try:
            watcher.dispute(ids[0], proof.proof_bytes, outputs, simulate=False)
            raise ChainError("a dispute of a right answer went through")
        except RevertedError as err:
            if err.error_name != "DPromptAnswerNotWrong":
                raise
            refused = int(err.gas_used or 0)
        wrong, _ = user.request(model_id, prompts[0], optimistic=True)
        provider.post_answer(wrong, rights[prompts[0]] ^ 1)
        receipt = watcher.dispute(wrong, proof.proof_bytes, outputs)
        overturned = breakdown(w3, receipt)
        single, _ = user.request(model_id, prompts[1], optimistic=True)
        provider.post_answer(single, rights[prompts[1]])
        w3.provider.make_request(RPCEndpoint("evm_increaseTime"), [params.challenge_window_s])
        w3.provider.make_request(RPCEndpoint("evm_mine"), [])
        finalize_single = int(watcher.finalize([single])["gasUsed"])
        finalize_batch = int(watcher.finalize(ids)["gasUsed"])
    return {
        "model": model,
        "challenge_window_s": params.challenge_window_s,
        "answer": max(answer_gas),
        "finalize_single": finalize_single,
        "finalize_per_request_16": finalize_batch // FINALIZE_BATCH,
        "dispute_overturned": overturned["total"],
        "dispute_overturned_verifier": overturned["verifier"],
        "dispute_refused": refused,
    }


def main(argv: list[str]) -> int:
    if argv == ["--optimistic"]:
        print(json.dumps(measure_optimistic(), indent=1))
        return 0
    sizes = [int(a) for a in argv] or [1, 8]
    print(json.dumps(measure(sizes), indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
