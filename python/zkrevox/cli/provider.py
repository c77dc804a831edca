"""``zkrevox provider stake|capacity|unbond|withdraw-stake``: a provider's stake in the model's pool."""

from __future__ import annotations

import sys
from decimal import Decimal
from typing import Annotated

import typer

from zkrevox.cli._chainctx import (
    JsonOpt,
    ModelOpt,
    NetworkOpt,
    RpcOpt,
    _Ctx,
    _tx,
    _units,
)
from zkrevox.cli._output import emit, handle_errors
from zkrevox.errors import InputError

provider_app = typer.Typer(help="Provider staking: stake, unbond, withdraw-stake.", no_args_is_help=True)


@provider_app.command("stake")
@handle_errors
def provider_stake(
    amount: Annotated[str, typer.Argument(help="Stake to add, in whole units of the stake asset (ether or tokens).")],
    model: ModelOpt = None,
    below_minimum: Annotated[bool, typer.Option(
        "--below-minimum", help="Send a stake that leaves the total below the model's minimum (the provider is "
        "then assigned no requests until it stakes more).")] = False,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Stake the deployment's stake asset (the native coin, or its ERC-20: approved first) as a
    provider of the model (joins the assignment pool at the minimum stake). A stake that would leave
    the total below the model's minimum is refused before sending, unless --below-minimum."""
    from zkrevox.chain.stake_token import stake_asset

    ctx = _Ctx(rpc, network)
    model = ctx.model_name(model)
    model_id = ctx.dep.model(model).model_id
    asset = stake_asset(ctx.w3, ctx.client.stake_token())
    add = _units(amount, asset.decimals)
    before = ctx.client.provider(model_id, ctx.account.address).stake
    floor = ctx.client.model(model_id).min_stake
    if before + add < floor and not below_minimum:
        def whole(wei: int) -> str:
            return f"{Decimal(wei) / 10**asset.decimals:f}"

        raise InputError(
            f"staking {amount} {asset.symbol} leaves the stake at {whole(before + add)} {asset.symbol}, below model "
            f"{model!r}'s minimum of {whole(floor)} {asset.symbol}: the provider would be assigned no requests. "
            f"Stake at least {whole(floor - before)} (`zkrevox provider stake {whole(floor - before)}`), or pass "
            "--below-minimum to send it anyway. Nothing was sent")
    receipt = ctx.client.stake(model_id, add)
    state = ctx.client.provider(model_id, ctx.account.address)
    min_stake = ctx.client.model(model_id).min_stake
    missing = max(0, min_stake - state.stake)
    result = {"tx": _tx(receipt), "stake": str(Decimal(state.stake) / 10**asset.decimals), "stake_wei": state.stake,
              "eligible": state.eligible, "asset": asset.to_json(), "min_stake_wei": min_stake,
              "missing_wei": missing}
    emit(result, as_json, f"staked; stake is now {result['stake']} {asset.symbol} (tx {result['tx']})")
    if not state.eligible:
        def units(wei: int) -> str:
            return f"{Decimal(wei) / 10**asset.decimals:f}"

        if missing:
            why = (f"the stake {units(state.stake)} {asset.symbol} is below the minimum of model {model!r}, "
                   f"{units(min_stake)} {asset.symbol}: stake {units(missing)} more "
                   f"(`zkrevox provider stake {units(missing)}`) to be assigned requests")
        elif state.withdrawable_at:
            why = ("this provider is unbonding: it gets no new requests; withdraw with "
                   "`zkrevox provider withdraw-stake` once the delay is over")
        else:
            why = "not in the assignment pool"
        print(f"warning: not eligible for requests: {why}", file=sys.stderr)


@provider_app.command("capacity")
@handle_errors
def provider_capacity(
    capacity: Annotated[int, typer.Argument(help="Most requests this provider may hold pending (1..65535).")],
    model: ModelOpt = None,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Declare how many requests the provider can hold pending and still answer each in time;
    DPrompt assigns it no more while it holds that many (default until declared: 16)."""
    if not 1 <= capacity <= 2**16 - 1:
        raise InputError(f"capacity must be 1..65535, got {capacity}; to take no new requests, "
                         "run `zkrevox provider unbond`")
    ctx = _Ctx(rpc, network)
    model = ctx.model_name(model)
    model_id = ctx.dep.model(model).model_id
    receipt = ctx.client.set_capacity(model_id, capacity)
    state = ctx.client.provider(model_id, ctx.account.address)
    emit({"tx": _tx(receipt), "capacity": state.capacity, "pending": state.pending}, as_json,
         f"capacity {state.capacity} ({state.pending} pending) (tx {_tx(receipt)})")


@provider_app.command("unbond")
@handle_errors
def provider_unbond(
    model: ModelOpt = None, rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False
) -> None:
    """Leave the assignment pool; the stake is withdrawable after the unbonding delay once no request
    it holds is pending (warns about those: answer them, or they are settled after their deadline)."""
    from zkrevox.chain.settlement import open_requests

    ctx = _Ctx(rpc, network)
    model = ctx.model_name(model)
    model_id = ctx.dep.model(model).model_id
    receipt = ctx.client.unbond(model_id)
    state = ctx.client.provider(model_id, ctx.account.address)
    held = open_requests(ctx.client, model_id, ctx.account.address) if state.pending else []
    expired = [i.request_id for i in held if i.status == "expired"]
    if state.pending:
        print(f"warning: {state.pending} request(s) of model {model!r} still hold this stake"
              + (f" ({', '.join(str(i.request_id) for i in held)})" if held else "")
              + ": keep the node running to answer them; the stake is locked until each is answered or settled"
              + (f"; expired, to settle with `zkrevox reclaim ID` (burns the slash): {', '.join(map(str, expired))}"
                 if expired else ""), file=sys.stderr)
    emit({"tx": _tx(receipt), "withdrawable_at": state.withdrawable_at, "pending": state.pending,
          "pending_request_ids": [i.request_id for i in held], "expired_request_ids": expired}, as_json)


@provider_app.command("withdraw-stake")
@handle_errors
def provider_withdraw_stake(
    model: ModelOpt = None, rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False
) -> None:
    """After unbonding: move the stake to credit and withdraw it (a token stake, with any token credit
    from disputes, through `withdrawTokens`: paid pro rata if the token's balance fell short)."""
    ctx = _Ctx(rpc, network)
    model = ctx.model_name(model)
    model_id = ctx.dep.model(model).model_id
    r1 = ctx.client.withdraw_stake(model_id)
    r2 = ctx.client.withdraw_tokens() if ctx.client.stake_token() else ctx.client.withdraw()
    emit({"tx": _tx(r1), "withdraw_tx": _tx(r2)}, as_json)
