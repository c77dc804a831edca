"""``zkrevox deploy``: a new DPrompt with the model's verifier, or batch verifiers added to the live one."""

from __future__ import annotations

from typing import Annotated, Any

import typer

from zkrevox.cli._chainctx import (
    AnswerBondOpt,
    ChallengeWindowOpt,
    GasPriceOpt,
    JsonOpt,
    NetworkOpt,
    OptimisticFeeOpt,
    RpcOpt,
    StakePriceOpt,
    _check_funded,
    _Ctx,
    _only_model,
    _optimistic_economics,
    _token_address,
    _units,
    _wei,
)
from zkrevox.cli._output import emit, handle_errors, step
from zkrevox.errors import InputError

_NEW_DEPLOYMENT_OPTIONS = ("--fee", "--min-stake", "--response-window", "--slash-bps", "--unbonding-delay",
                           "--stake-token", "--challenge-window", "--optimistic-fee", "--answer-bond", "--gas-price",
                           "--stake-price")


@handle_errors
def deploy(
    model: Annotated[str | None, typer.Argument(
        help="Model to deploy (built artifacts + generated verifier) [default: the only model in models/].")] = None,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    fee: Annotated[str | None, typer.Option(help="Request fee, in ether units [default: 0.001].")] = None,
    min_stake: Annotated[
        str | None, typer.Option(help="Least provider stake, in units of the stake asset [default: 0.1].")
    ] = None,
    response_window: Annotated[
        int | None, typer.Option(help="Seconds a provider has to fulfil, at least 60 [default: 600].")
    ] = None,
    slash_bps: Annotated[
        int | None, typer.Option(help="Stake slashed on a missed deadline, basis points [default: 1000].")
    ] = None,
    unbonding_delay: Annotated[
        int | None, typer.Option(help="Seconds between unbond and withdrawal [default: 3600].")
    ] = None,
    challenge_window: ChallengeWindowOpt = None,
    optimistic_fee: OptimisticFeeOpt = None,
    answer_bond: AnswerBondOpt = None,
    gas_price: GasPriceOpt = None,
    stake_price: StakePriceOpt = None,
    batch: Annotated[
        list[int] | None,
        typer.Option(help="Register the verifier of the batch-N circuit (repeatable; `zkrevox build MODEL --batch N`). "
                     "On a new deployment, default: every batch circuit built locally; on the live "
                     "deployment: adds the batch-N verifier to it."),
    ] = None,
    stake_token: Annotated[
        str | None,
        typer.Option(help="ERC-20 providers stake (default: the native coin); "
                     "a local one: `zkrevox chain stake-token`."),
    ] = None,
    rex: Annotated[
        str | None,
        typer.Option("--rex", help="The REX token (a burnable ERC-20) to stake as sREX, or `new`; default on a local "
                     "chain or testnet: deploy REX (3 billion; the dev accounts get some locally). Also deploys "
                     "StakedRex and the points paymaster (deployments/rex/<chainId>.json); with a live DPrompt, "
                     "adds them beside it."),
    ] = None,
    new: Annotated[
        bool, typer.Option("--new", help="Deploy a new DPrompt although a live one is recorded for this chain "
                           "(the old record is kept as deployments/<chainId>.<created_at>.json).")
    ] = False,
    as_json: JsonOpt = False,
) -> None:
    """Deploy the model's verifier and DPrompt, register the model and its batch verifiers, write
    deployments/<chainId>.json. With a live deployment recorded for the chain, only `--batch N` (add
    batch verifiers to it) or `--new` (a new deployment, the old record kept) are accepted."""
    from zkrevox.chain.deploy import live_deployment

    ctx = _Ctx(rpc, network, need_deployment=False)
    existing, state = live_deployment(ctx.w3)
    if model is None and existing is not None and len(existing.models) == 1 and not new:
        model = next(iter(existing.models))  # the live deployment's model: what its refusal names
    model = _only_model(model, "deploy")
    if existing is not None and not new:
        given = [name for name, value in zip(
            _NEW_DEPLOYMENT_OPTIONS, (fee, min_stake, response_window, slash_bps, unbonding_delay, stake_token,
                                      challenge_window, optimistic_fee, answer_bond, gas_price, stake_price),
            strict=True) if value is not None]
        if rex is not None and not batch and not given:  # the REX contracts beside the live DPrompt
            from zkrevox.cli.rex import deploy_rex_beside

            emit({"dprompt": existing.dprompt.address, "new_deployment": False,
                  "rex": deploy_rex_beside(ctx.w3, ctx.account, existing, rex)}, as_json)
            return
        _add_to_live_deployment(ctx, existing, model, batch, given, as_json)
        return
    if existing is not None:
        step(f"--new: the live record {existing.path} (DPrompt {existing.dprompt.address}) is kept as "
             f"deployments/{ctx.chain_id}.<created_at>.json once the new deployment is written")
    elif state in ("gone", "corrupted", "other-chain"):
        from zkrevox.chain.deploy import deployment_path

        why = {"gone": f"its contracts are no longer on chain {ctx.chain_id} (was the chain restarted?)",
               "corrupted": "it is unreadable",
               "other-chain": f"it was written on another chain with id {ctx.chain_id} (another genesis: another "
                              "local chain?), which still finds it by its genesis"}[state]
        step(f"the record {deployment_path(ctx.chain_id)} is kept as deployments/{ctx.chain_id}.<created_at>.json "
             f"once the new deployment is written: {why}")
    _deploy_new(ctx, model, fee=fee or "0.001", min_stake=min_stake or "0.1",
                response_window=600 if response_window is None else response_window,
                slash_bps=1000 if slash_bps is None else slash_bps,
                unbonding_delay=3600 if unbonding_delay is None else unbonding_delay,
                batch=batch, stake_token=stake_token, as_json=as_json,
                optimistic=(challenge_window, optimistic_fee, answer_bond), gas_price=gas_price,
                stake_price=stake_price, rex=rex)


def _deploy_new(ctx: _Ctx, model: str, *, fee: str, min_stake: str, response_window: int, slash_bps: int,
                unbonding_delay: int, batch: list[int] | None, stake_token: str | None, as_json: bool,
                optimistic: tuple[int | None, str | None, str | None] = (None, None, None),
                gas_price: str | None = None, stake_price: str | None = None, rex: str | None = None) -> None:
    from zkrevox.chain.deploy import check_economics, model_params, plan_batch_verifiers
    from zkrevox.chain.deploy import deploy as run
    from zkrevox.chain.stake_token import stake_asset
    from zkrevox.node.bootstrap import local_batch_sizes

    # everything that can be checked is checked before the first transaction
    if stake_token is not None:
        stake_token = _token_address(ctx, stake_token)
    asset = stake_asset(ctx.w3, stake_token)
    params = model_params(model, fee_wei=_wei(fee), min_stake_wei=_units(min_stake, asset.decimals),
                          response_window_s=response_window, slash_bps=slash_bps,
                          **_optimistic_economics(*optimistic, asset.decimals, chain_id=ctx.chain_id,
                                                  gas_price=gas_price, stake_price=stake_price,
                                                  token=stake_token is not None))
    check_economics(params, unbonding_delay)
    sizes = sorted(set(batch if batch is not None else local_batch_sizes(model)))
    plan_batch_verifiers(model, sizes, num_outputs=params.num_outputs, input_scale=params.input_scale)
    _check_funded(ctx)
    step(f"deploying {model} verifier + DPrompt to chain {ctx.chain_id} at {ctx.url}, stake in {asset.symbol}"
         + (f", batch verifiers {', '.join(map(str, sizes))}" if sizes else ""))
    dep = run(ctx.w3, ctx.account, params, unbonding_delay=unbonding_delay, batch_sizes=sizes,
              stake_token=stake_token)
    record = dep.models[model]
    result = {
        "chain_id": dep.chain_id,
        "dprompt": dep.dprompt.address,
        "verifier": record.verifier.address,
        "model_id": record.model_id,
        "batch_verifiers": {k: b.verifier.address for k, b in record.batch_verifiers.items()},
        "added_batch_verifiers": sorted(int(k) for k in record.batch_verifiers),
        "new_deployment": True,
        "deployment_file": str(dep.path),
        "stake_asset": asset.to_json(),
    }
    from zkrevox.cli.rex import deploy_rex_beside

    result["rex"] = deploy_rex_beside(ctx.w3, ctx.account, dep, rex)
    emit(result, as_json, f"DPrompt {dep.dprompt.address}, verifier {result['verifier']}, stake in {asset.symbol} "
                          f"(record {dep.path})")


def _add_to_live_deployment(ctx: _Ctx, dep: Any, model: str, batch: list[int] | None, given: list[str],
                            as_json: bool) -> None:
    """`zkrevox deploy --batch N` on a chain with a live deployment: register the batch verifiers there."""
    from zkrevox.chain.client import DPromptClient
    from zkrevox.chain.deploy import plan_batch_verifiers, register_batch_verifier
    from zkrevox.chain.stake_token import stake_asset

    live = (f"{dep.path} records a live DPrompt {dep.dprompt.address} on chain {ctx.chain_id} "
            f"(models: {', '.join(dep.models) or 'none'})")
    how = (f"to add batch verifiers to it: `zkrevox deploy {model} --batch N`; to add a model: "
           f"`zkrevox publish NAME`; to deploy a new DPrompt anyway (the old record is kept): "
           f"`zkrevox deploy {model} --new`")
    if given:
        raise InputError(f"{live}; {', '.join(given)} set up a new deployment and would not change this one. "
                         f"Nothing was sent; {how}")
    if not batch:
        raise InputError(f"{live}; `zkrevox deploy` never replaces a live deployment. Nothing was sent; {how}")
    if model not in dep.models:
        raise InputError(f"{live}; {model!r} is not one of its models: publish it first with "
                         f"`zkrevox publish {model}` (it registers its batch verifiers too)")
    record = dep.model(model)
    publisher = DPromptClient(ctx.w3, dep.dprompt.address).model(record.model_id).publisher
    if publisher.lower() != ctx.account.address.lower():
        raise InputError(f"only {model}'s publisher {publisher} may register its batch verifiers, this key is "
                         f"{ctx.account.address}; sign with the publisher's key. Nothing was sent")
    sizes = sorted(set(batch))
    already = [n for n in sizes if str(n) in record.batch_verifiers]
    todo = [n for n in sizes if n not in already]
    plans = plan_batch_verifiers(record.source_model or model, todo, num_outputs=record.num_outputs,
                                 input_scale=record.input_scale)
    if already:
        step(f"{model} already has the batch-{', '.join(map(str, already))} verifier(s) in {dep.path} "
             "(registrations never change)")
    if plans:
        _check_funded(ctx)
        step(f"adding batch verifiers {', '.join(map(str, todo))} of {model} to the live DPrompt "
             f"{dep.dprompt.address} on chain {ctx.chain_id}")
    for plan in plans:
        register_batch_verifier(ctx.w3, ctx.account, dep, model, plan.size, plan=plan)
    asset = stake_asset(ctx.w3, dep.stake_token)
    result = {
        "chain_id": dep.chain_id,
        "dprompt": dep.dprompt.address,
        "verifier": record.verifier.address,
        "model_id": record.model_id,
        "batch_verifiers": {k: b.verifier.address for k, b in record.batch_verifiers.items()},
        "added_batch_verifiers": todo,
        "new_deployment": False,
        "deployment_file": str(dep.path),
        "stake_asset": asset.to_json(),
    }
    emit(result, as_json, f"added batch verifier(s) {todo or 'none'} to DPrompt {dep.dprompt.address} "
                          f"(record {dep.path})")
