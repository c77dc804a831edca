"""The request lifecycle: ``zkrevox request``, ``fulfil``, ``fulfil-batch``, ``answer``, ``reclaim``,
``withdraw``. The checks before a fulfilment are ``zkrevox.chain.rules``' (the web server and the node
use the same)."""

from __future__ import annotations

from decimal import Decimal
from pathlib import Path
from typing import Annotated, Any

import typer

from zkrevox.cli._chainctx import (
    JsonOpt,
    ModelOpt,
    NetworkOpt,
    RpcOpt,
    SkipChecksOpt,
    _answer_key,
    _Ctx,
    _iso,
    _labels,
    _tx,
    _wei,
)
from zkrevox.cli._output import emit, handle_errors, step
from zkrevox.errors import InputError
from zkrevox.featurize import prompt_text


@handle_errors
def request(
    prompt: Annotated[str, typer.Argument(help="The prompt (UTF-8 text).")],
    model: ModelOpt = None,
    value: Annotated[
        str | None, typer.Option(help="Payment in ether units (default: the model's fee, or a decline's 75,000 gas at "
                                 "the gas price + 1 gwei when more; or its optimistic fee).")
    ] = None,
    optimistic: Annotated[bool, typer.Option(
        "--optimistic", help="Answered at once without a proof, final after the model's challenge window unless "
        "a dispute proves it wrong (the model's optimistic fee).")] = False,
    pay: Annotated[str, typer.Option(
        "--pay", help="native: pay the fee in the native coin; points: spend AI points (`zkrevox rex points`), "
        "the points paymaster pays the fee.")] = "native",
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Pay for an answer to PROMPT; quotes the total on stderr before sending, prints the request id.
    A proven request's provider may decline it, refunding it all, while the base fee is above what
    the payment covers of its fulfilment (the quote says where; pay more with --value to raise it).
    With --pay points the points paymaster pays the fee for AI points (`zkrevox rex points`)."""
    from zkrevox.chain.quote import quote_request

    if pay not in ("native", "points"):
        raise InputError(f"--pay {pay!r}: use native or points")
    ctx = _Ctx(rpc, network)
    model = ctx.model_name(model)
    model_id = ctx.dep.model(model).model_id
    if pay == "points":
        from zkrevox.cli.rex import request_with_points

        if optimistic or value:
            raise InputError("--pay points sends a proven request at the paymaster's published price; drop "
                             "--optimistic and --value")
        request_with_points(ctx, model_id, prompt, as_json)
        return
    info_model = ctx.client.model(model_id)
    if optimistic and not info_model.challenge_window:
        raise InputError(f"model {model!r} offers no optimistic mode (its challenge window is 0); request it "
                         "without --optimistic")
    payment = _wei(value) if value else ctx.client.least_payment(model_id, optimistic=optimistic)
    quote = quote_request(ctx.client, model_id, prompt.encode("utf-8"), payment=payment, optimistic=optimistic)
    step(f"quote: {Decimal(quote.total_wei) / 10**18:f} in all = payment {Decimal(payment) / 10**18:f} + request gas "
         f"~{quote.request_gas:,} at {Decimal(quote.gas_price_wei) / 10**9:f} gwei"
         + ("" if quote.decline_above_base_fee_wei is None else
            f"; the provider may decline it (refunded less the decline's ~75k gas) above a base fee of "
            f"{Decimal(quote.decline_above_base_fee_wei) / 10**9:f} gwei "
            f"(now {Decimal(quote.base_fee_wei) / 10**9:f})"))
    request_id, receipt = ctx.client.request(model_id, prompt, value=payment, optimistic=optimistic)
    info = ctx.client.request_info(request_id)
    result = {"request_id": request_id, "tx": _tx(receipt), "provider": info.provider, "deadline": info.deadline,
              "mode": "optimistic" if optimistic else "proven", "fee_wei": info.fee, "quote": quote.to_json()}
    emit(result, as_json, f"{result['mode']} request {request_id} assigned to {info.provider} (tx {result['tx']})")


@handle_errors
def fulfil(
    request_id: Annotated[int, typer.Argument(help="Request to answer.")],
    proof: Annotated[Path | None, typer.Option(help="Submit this proof (proof.json or its directory).")] = None,
    skip_local_checks: SkipChecksOpt = False,
    optimistic: Annotated[bool, typer.Option(
        "--optimistic", help="Post the answer of an optimistic request without a proof (the local model's "
        "prediction, or --claim).")] = False,
    claim: Annotated[str | None, typer.Option(
        help="With --optimistic: post these labels (comma-separated, e.g. BNB,PEPE; '' for none) instead "
        "of the model's answer. A wrong claim loses the provider its bond to a dispute.")] = None,
    model: ModelOpt = None,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Prove the request's prompt (or take --proof) and submit the answer; with --optimistic, post
    the answer of an optimistic request without a proof."""
    from zkrevox.chain.proofs import ChainProof

    if claim is not None and not optimistic:
        raise InputError("--claim posts an answer without a proof: it needs --optimistic")
    if optimistic and proof is not None:
        raise InputError("--optimistic posts no proof; drop --proof (or --optimistic to answer with the proof)")
    ctx = _Ctx(rpc, network)
    if optimistic:
        from zkrevox.cli.optimistic import post_optimistic

        post_optimistic(ctx, request_id, model, claim, skip_local_checks, as_json)
        return
    model = ctx.request_model(model, request_id)
    record = ctx.dep.model(model)
    info = ctx.client.request_info(request_id)
    if not skip_local_checks:  # the cheap checks before the expensive proof
        _check_fulfillable(ctx, info, record, model)
    data = ctx.client.prompt(request_id, from_block=ctx.dep.dprompt.block)  # any bytes: prove them, not a text form
    prompt = prompt_text(data)
    claimed_prompt: str | None = None
    vk: str | None = None
    if proof is None:
        prover = _registered_prover(model, 1, None if skip_local_checks else record.vk_sha256, record)
        step(f"proving request {request_id}: {prompt!r}")
        made = prover.prove(data)
        chain_proof = ChainProof.from_proof(made)
        claimed_prompt, vk = made.prompt, made.vk_sha256
    else:
        chain_proof = ChainProof.from_file(proof)
        claimed_prompt, vk = _proof_meta(proof)
    outputs = chain_proof.outputs(record.num_outputs)
    if not skip_local_checks:
        _local_checks(ctx, info, record, chain_proof, outputs, prompt, claimed_prompt, vk)
    step(f"submitting fulfil for request {request_id}")
    receipt = ctx.client.fulfil(request_id, chain_proof.proof_bytes, outputs, simulate=not skip_local_checks)
    bitmap = ctx.client.answer(request_id)
    answer = _labels(bitmap, record.labels, record.num_outputs)
    result = {"tx": _tx(receipt), "gas_used": int(receipt["gasUsed"]), _answer_key(model, record): answer}
    emit(result, as_json, f"fulfilled request {request_id}: {answer} (gas {result['gas_used']}, tx {result['tx']})")


def _proof_meta(path: Path) -> tuple[str | None, str | None]:
    """Prompt and vk hash from a zkrevox proof directory's answer.json, if there is one."""
    from zkrevox import Proof, ProofError

    try:
        meta = Proof.from_file(path)
    except ProofError:  # a bare ezkl proof.json: no answer.json to check against
        return None, None
    return meta.prompt, meta.vk_sha256


def _check_fulfillable(ctx: _Ctx, info: Any, record: Any, model: str) -> None:
    """What `fulfil` would refuse on-chain, read from the chain before anything is proven or sent
    (``zkrevox.chain.rules.check_fulfillable``)."""
    from zkrevox.chain.rules import check_fulfillable

    check_fulfillable(ctx.client, ctx.dep, ctx.account.address, info, record, model)


def _registered_prover(model: str, size: int, registered: str | None, record: Any = None) -> Any:
    """The prover of ``model``'s batch-``size`` circuit whose vk is ``registered`` (the deployment's): the
    current build, or one a rebuild kept under ``artifacts/<variant>/by-vk/``; None: the current build.
    A model published under another name (``publish --as``) is proved by the local model it came from
    (``chain.local_build``: the record's ``source_model``, else the one with the registered vk)."""
    from zkrevox import Prover
    from zkrevox.chain.local_build import local_model, registered_prover
    from zkrevox.errors import ArtifactError

    try:
        if registered is None:
            return Prover.load(local_model(model, source_model=getattr(record, "source_model", "")), batch=size)
        return registered_prover(model, record, registered, batch=size)
    except ArtifactError as exc:
        circuit = model if size == 1 else f"batch-{size} circuit of {model}"
        raise InputError(f"no local build of the {circuit} has the registered vk: {exc}. A proof made with "
                         "another would be refused (nothing was proven or sent)") from None


def _local_checks(ctx: _Ctx, info: Any, record: Any, chain_proof: Any, outputs: list[int], prompt: str,
                  claimed_prompt: str | None, vk: str | None) -> None:
    """The proof is the registered vk's and its instances are the request's
    (``zkrevox.chain.rules.check_proof_matches``)."""
    from zkrevox.chain.rules import check_proof_matches

    check_proof_matches(ctx.client, info, record, chain_proof, outputs, prompt, claimed_prompt, vk)


@handle_errors
def fulfil_batch(
    request_ids: Annotated[list[int], typer.Argument(help="Requests to answer with one proof, in this order.")],
    skip_local_checks: SkipChecksOpt = False,
    model: ModelOpt = None,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Prove N requests' prompts with one proof of the batch-N circuit and submit one fulfilBatch."""
    from zkrevox.chain.proofs import ChainProof

    ctx = _Ctx(rpc, network)
    model = ctx.request_model(model, request_ids[0]) if request_ids else ctx.model_name(model)
    record = ctx.dep.model(model)
    n = len(request_ids)
    if n < 2:
        raise InputError("fulfil-batch answers 2 or more requests with one proof; use `zkrevox fulfil ID` for one")
    if len(set(request_ids)) != n:
        raise InputError(f"request ids {request_ids} repeat one; each request is answered once")
    batch = record.batch_verifiers.get(str(n))
    if batch is None:
        raise InputError(
            f"{model} has no batch-{n} verifier in {ctx.dep.path} (registered: "
            f"{sorted(int(k) for k in record.batch_verifiers) or 'none'}); build and register one "
            f"(`zkrevox build {model} --batch {n}`, then `zkrevox deploy {model} --batch {n}`, which adds it to "
            "this deployment), or answer them with a registered size"
        )
    if not skip_local_checks:  # the cheap checks before the expensive proof
        for request_id in request_ids:
            _check_fulfillable(ctx, ctx.client.request_info(request_id), record, model)
    prompts = [ctx.client.prompt(r, from_block=ctx.dep.dprompt.block) for r in request_ids]  # bytes, as stored
    prover = _registered_prover(model, n, None if skip_local_checks else batch.vk_sha256, record)
    step(f"proving requests {request_ids} with one batch-{n} proof")
    made = prover.prove_batch(prompts)
    chain_proof = ChainProof.from_proof(made)
    outputs = chain_proof.outputs(n * record.num_outputs)
    if not skip_local_checks:
        if made.vk_sha256 != batch.vk_sha256:
            raise InputError(
                f"the local batch-{n} circuit's vk is {made.vk_sha256[:12]}…, the registered one's "
                f"{batch.vk_sha256[:12]}…; prove with the artifacts that deployment registered"
            )
        if ctx.client.batch_public_instances(request_ids, outputs) != chain_proof.instances:
            raise InputError(
                "the proof's public inputs are not these requests' (the batch circuit takes features "
                "another way than the registered verifier); pass "
                "--skip-local-checks to let the contract refuse it on-chain"
            )
    step(f"submitting fulfilBatch for {n} requests")
    receipt = ctx.client.fulfil_batch(request_ids, chain_proof.proof_bytes, outputs, simulate=not skip_local_checks)
    answers = {
        str(r): _labels(ctx.client.answer(r), record.labels, record.num_outputs) for r in request_ids
    }
    gas = int(receipt["gasUsed"])
    result = {"tx": _tx(receipt), "gas_used": gas, "gas_per_request": gas // n, _answer_key(model, record): answers}
    emit(result, as_json, f"fulfilled {n} requests with one proof (gas {gas}, {gas // n} per request): {answers}")


@handle_errors
def answer(
    request_id: Annotated[int, typer.Argument(help="Request to read.")],
    model: Annotated[
        str | None, typer.Option("--model", help="Model whose labels name the answer (default: the request's).")
    ] = None,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Read a request's status and, once fulfilled, its answer (under the agent's key: ``tickers``,
    ``intents``; ``labels`` for a model without an agent); for a consumer contract's request, its
    callback (gas limit, then whether it ran and succeeded)."""
    if request_id < 0:
        raise InputError(f"request ids are 0 or more, got {request_id}; list the requests with `zkrevox node-jobs` "
                         "or read the id `zkrevox request` printed")
    ctx = _Ctx(rpc, network, need_key=False)
    info = ctx.client.request_info(request_id)
    if model is not None:
        labels, n = ctx.dep.model(model).labels, ctx.dep.model(model).num_outputs
    else:  # the record of the request's model, else the bare output indices
        model = next((name for name, r in ctx.dep.models.items() if r.model_id == info.model_id), None)
        record = ctx.dep.models[model] if model is not None else None
        labels, n = (record.labels, record.num_outputs) if record else ([], 256)
    fulfilled = info.status == "fulfilled"
    has_answer = info.status in ("fulfilled", "overturned", "answered", "finalizable")
    answer = _labels(info.answer, labels, n) if has_answer else []
    from_block = ctx.dep.dprompt.block
    result = {
        "request_id": request_id,
        "status": info.status,
        # the posted, not yet final answer while answered/finalizable (see "final")
        _answer_key(model, ctx.dep.models.get(model)) if model is not None else "labels": answer,
        "fulfil_tx": ctx.client.fulfil_tx(request_id, from_block=from_block) if fulfilled else None,
        "mode": "optimistic" if info.optimistic else "proven",
        "final": info.final,
        "answer_tx": ctx.client.answer_tx(request_id, from_block=from_block) if has_answer else None,
        "window_end": info.window_end or None,
        "provider": info.provider,
        "deadline": info.deadline,
        "callback_gas_limit": info.callback_gas_limit,
        "callback": ctx.client.callback_outcome(request_id, from_block=ctx.dep.dprompt.block)
        if info.callback_gas_limit else None,
    }
    result["deadline_utc"] = _iso(info.deadline)  # chain-clock times, also as ISO 8601 (UTC)
    result["window_end_utc"] = _iso(info.window_end) if info.window_end else None
    human = f"request {request_id}: {info.status} {answer if has_answer else ''}".rstrip()
    if info.optimistic:
        human += {
            "answered": f" (optimistic, window open until {_iso(info.window_end)}: not final, anyone may dispute it "
                        "until then)",
            "finalizable": f" (optimistic, window closed at {_iso(info.window_end)}: not final until someone runs "
                           f"`zkrevox finalize {request_id}`)",
            "fulfilled": " (optimistic, final)",
            "overturned": " (optimistic, overturned by a dispute: this is the proven answer, final)",
        }.get(info.status, f" (optimistic; deadline {_iso(info.deadline)})")
    elif info.status == "fulfilled":
        human += " (proven, final)"
    else:
        human += f" (deadline {_iso(info.deadline)})"
    if info.callback_gas_limit:
        cb = result["callback"]
        human += (f"; callback to {info.requester} ({info.callback_gas_limit} gas): "
                  + ("not run yet" if cb is None else "succeeded" if cb["success"] else "failed (answer stands)"))
    emit(result, as_json, human)


@handle_errors
def reclaim(
    request_id: Annotated[int, typer.Argument(help="Expired request to settle (anyone's).")],
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Settle any request past its deadline: its payment becomes its requester's credit (withdrawn
    here when this account is the requester), the provider's slash is burned (paid to no one), and
    the provider's stake is no longer held by it."""
    from zkrevox.chain.settlement import settle

    ctx = _Ctx(rpc, network)
    done = settle(ctx.client, request_id)
    withdraw_tx = None
    if done.requester == ctx.account.address and ctx.client.credits(ctx.account.address):
        withdraw_tx = _tx(ctx.client.withdraw())
    human = (f"settled request {request_id}: {done.refund_wei} wei credited to its requester {done.requester}"
             + (" and withdrawn" if withdraw_tx else " (it withdraws it with `zkrevox withdraw` or DPrompt.withdraw)")
             + f"; {done.slashed} of provider {done.provider}'s stake burned")
    emit({"tx": done.tx, "withdraw_tx": withdraw_tx, "refund_wei": done.refund_wei, "slashed_wei": done.slashed,
          "requester": done.requester, "provider": done.provider}, as_json, human)


@handle_errors
def withdraw(
    model: ModelOpt = None, rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False
) -> None:
    """Withdraw this account's credit: refunds, withdrawn native stake, fees earned as a provider,
    and developer shares of the model if this account published it."""
    ctx = _Ctx(rpc, network)
    model = ctx.model_name(model)
    model_id = ctx.dep.model(model).model_id
    collect_tx = developer_tx = None
    if ctx.client.provider(model_id, ctx.account.address).earned:
        collect_tx = _tx(ctx.client.collect_earnings(model_id))
    info = ctx.client.model(model_id)
    if info.publisher == ctx.account.address and ctx.client.developer_earnings(model_id):
        developer_tx = _tx(ctx.client.collect_developer_earnings(model_id))
    amount = ctx.client.credits(ctx.account.address)
    receipt = ctx.client.withdraw()
    emit({"tx": _tx(receipt), "collect_tx": collect_tx, "developer_collect_tx": developer_tx,
          "amount_wei": amount}, as_json)
