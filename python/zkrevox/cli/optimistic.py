"""Optimistic answers on the command line: ``zkrevox fulfil ID --optimistic [--claim T1,T2]`` (post an
answer without a proof), ``zkrevox finalize ID...`` (after the challenge window: final, provider
paid) and ``zkrevox dispute ID`` (prove the model's answer for the request's stored prompt and
overturn a wrong posted answer). ``zkrevox request --optimistic`` and ``zkrevox answer`` live in
``cli/chain.py``; ``register(app)`` is called from there.
"""

from __future__ import annotations

from typing import Annotated, Any

import typer

from zkrevox.cli._output import emit, handle_errors, step
from zkrevox.cli.chain import (
    JsonOpt,
    ModelOpt,
    NetworkOpt,
    RpcOpt,
    _answer_key,
    _check_fulfillable,
    _Ctx,
    _iso,
    _labels,
    _registered_prover,
    _tx,
)
from zkrevox.errors import InputError
from zkrevox.featurize import prompt_text


def register(app: typer.Typer) -> None:
    app.command()(finalize)
    app.command()(dispute)


def parse_claim(claim: str, labels: list[str], num_outputs: int) -> int:
    """The answer bitmap naming the labels in ``claim`` (comma-separated labels, any case; "" for none)."""
    index = {label.upper(): i for i, label in enumerate(labels[:num_outputs])}
    bitmap = 0
    for name in (part.strip() for part in claim.split(",")):
        if not name:
            continue
        if name.upper() not in index:
            raise InputError(f"--claim names {name!r}, not a label of this model; labels: {', '.join(labels)}")
        bitmap |= 1 << index[name.upper()]
    return bitmap


def predicted_bitmap(prover: Any, prompt: bytes) -> int:
    """The bitmap the model answers ``prompt`` with (a witness of the local build, no proof)."""
    from zkrevox.chain.client import answer_bitmap

    return answer_bitmap(prover.predict(prompt).outputs)


def post_optimistic(ctx: _Ctx, request_id: int, model: str | None, claim: str | None, skip_local_checks: bool,
                    as_json: bool) -> None:
    """``zkrevox fulfil ID --optimistic``: post the claimed (else the predicted) answer of an optimistic
    request, without a proof; anyone may overturn a wrong one during the challenge window."""
    model = ctx.request_model(model, request_id)
    record = ctx.dep.model(model)
    info = ctx.client.request_info(request_id)
    if not skip_local_checks:
        _check_fulfillable(ctx, info, record, model)
        if not info.optimistic:
            raise InputError(f"request {request_id} was not requested optimistically: answer it with a proof "
                             f"(`zkrevox fulfil {request_id}`)")
        if info.status in ("answered", "finalizable", "overturned"):
            raise InputError(f"request {request_id} already has an optimistic answer ({info.status}); read it with "
                             f"`zkrevox answer {request_id}`")
    if claim is not None:
        bitmap = parse_claim(claim, record.labels, record.num_outputs)
        if not skip_local_checks:  # a claim the model disagrees with loses the bond to the first dispute
            data = ctx.client.prompt(request_id, from_block=ctx.dep.dprompt.block)
            predicted = predicted_bitmap(_registered_prover(model, 1, record.vk_sha256, record), data)
            if predicted != bitmap:
                raise InputError(
                    f"--claim {_labels(bitmap, record.labels, record.num_outputs)} is not the model's answer to "
                    f"request {request_id} ({prompt_text(data)!r}): the model says "
                    f"{_labels(predicted, record.labels, record.num_outputs)}. Anyone can dispute a wrong claim and "
                    "take the provider's bond; nothing was sent. Post it anyway with --skip-local-checks")
    else:
        data = ctx.client.prompt(request_id, from_block=ctx.dep.dprompt.block)
        prover = _registered_prover(model, 1, None if skip_local_checks else record.vk_sha256, record)
        step(f"predicting request {request_id}: {prompt_text(data)!r}")
        bitmap = predicted_bitmap(prover, data)
    step(f"posting the optimistic answer {bitmap:#x} for request {request_id}")
    receipt = ctx.client.post_answer(request_id, bitmap, simulate=not skip_local_checks)
    window_end = ctx.client.request_info(request_id).window_end
    answer = _labels(bitmap, record.labels, record.num_outputs)
    result = {"tx": _tx(receipt), "gas_used": int(receipt["gasUsed"]), _answer_key(model, record): answer,
              "mode": "optimistic", "window_end": window_end}
    emit(result, as_json, f"answered request {request_id}: {answer} without a proof (gas {result['gas_used']}, "
                          f"tx {result['tx']}); disputable until {_iso(window_end)}")


@handle_errors
def finalize(
    request_ids: Annotated[list[int], typer.Argument(help="Answered requests whose challenge window is over.")],
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Make optimistic answers final after their challenge window: each provider is paid and each
    consumer called back. Anyone may send it."""
    ctx = _Ctx(rpc, network)
    if len(set(request_ids)) != len(request_ids):
        raise InputError(f"request ids {request_ids} repeat one; each request is finalized once")
    for rid in request_ids:
        info = ctx.client.request_info(rid)
        if info.status == "answered":
            raise InputError(f"request {rid}'s challenge window runs until {_iso(info.window_end)}; finalize it "
                             "then (until then anyone may dispute it)")
        if info.status != "finalizable":
            raise InputError(f"request {rid} is {info.status}: only an optimistic answer past its challenge window "
                             f"can be finalized (`zkrevox answer {rid}`)")
    receipt = ctx.client.finalize(request_ids)
    gas = int(receipt["gasUsed"])
    result = {"tx": _tx(receipt), "gas_used": gas, "gas_per_request": gas // len(request_ids),
              "finalized": request_ids}
    emit(result, as_json, f"finalized {request_ids} (gas {gas}, tx {result['tx']})")


@handle_errors
def dispute(
    request_id: Annotated[int, typer.Argument(help="Optimistic request whose posted answer is wrong.")],
    model: ModelOpt = None,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Compute the model's answer for the request's prompt with the local build; if it differs from
    the posted answer, prove it and dispute: the proven answer replaces the posted one and the
    provider's bond is slashed, half to this account, half to the requester."""
    from web3.logs import DISCARD

    from zkrevox.chain.proofs import ChainProof

    ctx = _Ctx(rpc, network)
    model = ctx.request_model(model, request_id)
    record = ctx.dep.model(model)
    info = ctx.client.request_info(request_id)
    if not info.optimistic or info.status not in ("answered", "finalizable"):
        raise InputError(f"request {request_id} is {info.status}{'' if info.optimistic else ' (not optimistic)'}: "
                         "only a posted optimistic answer can be disputed")
    if info.status == "finalizable":
        raise InputError(f"request {request_id}'s challenge window ended at {_iso(info.window_end)}: it can no "
                         "longer be disputed")
    if info.model_id != record.model_id:
        raise InputError(f"request {request_id} is for model {info.model_id}, not {model!r} (model "
                         f"{record.model_id}); pass its --model")
    data = ctx.client.prompt(request_id, from_block=ctx.dep.dprompt.block)
    prover = _registered_prover(model, 1, record.vk_sha256, record)
    posted = _labels(info.answer, record.labels, record.num_outputs)
    if predicted_bitmap(prover, data) == info.answer:
        raise InputError(f"request {request_id}'s posted answer {posted} is the model's answer: nothing to dispute")
    step(f"proving request {request_id}: {prompt_text(data)!r}")
    chain_proof = ChainProof.from_proof(prover.prove(data))
    outputs = chain_proof.outputs(record.num_outputs)
    if ctx.client.public_instances(request_id, outputs) != chain_proof.instances:
        raise InputError(f"the proof's public inputs are not request {request_id}'s stored features; the local "
                         "featurizer differs from the model's on-chain spec (`zkrevox check-model`)")
    step(f"disputing request {request_id}")
    receipt = ctx.client.dispute(request_id, chain_proof.proof_bytes, outputs)
    (slash,) = ctx.client.contract.events.DPromptBondSlashed().process_receipt(receipt, errors=DISCARD)
    proven = _labels(ctx.client.answer(request_id), record.labels, record.num_outputs)
    result = {"tx": _tx(receipt), "gas_used": int(receipt["gasUsed"]), "posted": posted,
              _answer_key(model, record): proven,
              "bond_wei": int(slash.args.bond), "to_disputer_wei": int(slash.args.toDisputer),
              "to_requester_wei": int(slash.args.toRequester)}
    emit(result, as_json, f"overturned request {request_id}: {posted} -> {proven}; bond {result['bond_wei']} "
                          f"slashed, {result['to_disputer_wei']} to you (tx {result['tx']})")

