"""``zkrevox rex …``: stake REX as sREX, unstake it (with its age deduction), AI points, the rewards
pool. A thin shell over ``zkrevox.chain.rex``; ``register(app)`` mounts the group.

Amounts on the command line are REX (``1000``, ``0.5``). In ``--json`` every REX, sREX and points
figure is an integer in the smallest unit (18 decimals: ``decimals``), so they add up exactly:
``rex unstake`` → ``deduction == burned + pooled``, and ``rex balance`` → ``rex_total_supply`` falls by
``burned``.
"""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer

from zkrevox.cli._output import emit, handle_errors
from zkrevox.errors import InputError

RpcOpt = Annotated[str | None, typer.Option("--rpc", help="RPC URL (default: $ZKREVOX_RPC_URL, else the network's).")]
NetworkOpt = Annotated[str, typer.Option("--network", help="Preset: local, bsc-testnet, opbnb-testnet, sepolia.")]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object on stdout.")]

rex_app = typer.Typer(help="REX staking: balance, stake, unstake, points, enroll, claim, refund.", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(rex_app, name="rex")


def open_rex(rpc: str | None, network: str, *, need_key: bool = True) -> Any:
    """The ``RexClient`` of the chain's live deployment, as this machine's account."""
    from zkrevox.chain.deploy import load_deployment
    from zkrevox.chain.keys import load_account
    from zkrevox.chain.networks import open_network
    from zkrevox.chain.rex import RexClient
    from zkrevox.chain.rex_deploy import load_rex_record

    _url, w3, chain_id = open_network(network, rpc)
    account = load_account(chain_id)  # reads name this account too
    dep = load_deployment(chain_id, w3=w3)
    return RexClient(w3, load_rex_record(w3, dep.dprompt.address), account)


def _tx(receipt: Any) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


@rex_app.command("balance")
@handle_errors
def balance(rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False) -> None:
    """This account's REX, its stake (sREX) and lots, points, pool position, and REX's total supply."""
    from zkrevox.chain.rex import format_rex

    client = open_rex(rpc, network)
    staked = client.staked()
    pool = client.pool()
    result = {
        "account": client.address(), "decimals": 18, "rex": client.rex_balance(), "staked": staked,
        "rex_total_supply": client.rex_total_supply(), "srex_total_supply": client.srex_total_supply(),
        "points": client.points(), "points_cap": client.points_cap(), "enrolled": pool.enrolled,
        "claimable": pool.claimable, "deduction_if_all_unstaked": client.deduction_of(staked) if staked else 0,
        **client.lots(),
    }
    emit(result, as_json, f"{result['account']}: {format_rex(result['rex'])} REX, {format_rex(staked)} staked "
                          f"({format_rex(result['points'])} points; pool: "
                          + (f"enrolled, {format_rex(pool.claimable)} REX to claim" if pool.enrolled
                             else "not enrolled") + f"); REX supply {format_rex(result['rex_total_supply'])}")


@rex_app.command("stake")
@handle_errors
def stake(
    amount: Annotated[str, typer.Argument(help="REX to stake (e.g. 1000 or 0.5).")],
    rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False,
) -> None:
    """Stake AMOUNT REX for as much sREX (non-transferable; points accrue from now)."""
    from zkrevox.chain.rex import format_rex, parse_rex

    units = parse_rex(amount)
    client = open_rex(rpc, network)
    receipt = client.stake(units)
    result = {"account": client.address(), "decimals": 18, "amount": units, "staked": client.staked(),
              "tx": _tx(receipt)}
    emit(result, as_json, f"staked {format_rex(units)} REX; {format_rex(result['staked'])} staked (tx {result['tx']})")


@rex_app.command("unstake")
@handle_errors
def unstake(
    amount: Annotated[str, typer.Argument(help="sREX to redeem for REX (oldest stake first).")],
    max_deduction: Annotated[str | None, typer.Option(
        "--max-deduction", help="Refuse if the deduction is above this percentage of AMOUNT (e.g. 5).")] = None,
    rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False,
) -> None:
    """Redeem AMOUNT sREX for REX, less the age deduction (20 % of a fresh stake, falling to 0 at 180
    days): half of it burned, half streamed to the rewards pool."""
    from zkrevox.chain.rex import format_rex, parse_rex

    units = parse_rex(amount)
    limit = None if max_deduction is None else _percent_of(units, max_deduction)
    client = open_rex(rpc, network)
    if limit is not None and (expected := client.deduction_of(units)) > limit:
        raise InputError(f"unstaking {format_rex(units)} now takes a deduction of {format_rex(expected)} REX, above "
                         f"--max-deduction {max_deduction}% ({format_rex(limit)}); wait for the stake to age, or "
                         "raise the limit")
    r = client.redeem(units, limit)
    result = {"account": client.address(), "decimals": 18, "amount": r.amount, "out": r.out,
              "deduction": r.deduction, "burned": r.burned, "pooled": r.pooled, "staked": client.staked(),
              "rex_total_supply": client.rex_total_supply(), "tx": r.tx}
    emit(result, as_json, f"unstaked {format_rex(r.amount)}: {format_rex(r.out)} REX to you, deduction "
                          f"{format_rex(r.deduction)} ({format_rex(r.burned)} burned, {format_rex(r.pooled)} to the "
                          f"pool) (tx {r.tx})")


def _percent_of(units: int, pct: str) -> int:
    try:
        value = Decimal(pct.strip().rstrip("%"))
    except InvalidOperation:
        raise InputError(f"--max-deduction {pct!r} is not a percentage (e.g. 5 or 0.5)") from None
    if not value.is_finite() or not 0 <= value <= 100:
        raise InputError(f"--max-deduction {pct!r} must be between 0 and 100 (percent of the amount)")
    return int(units * value / 100)


@rex_app.command("points")
@handle_errors
def points(rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False) -> None:
    """This account's AI points (18 decimals), their cap, and the price of a request paid with them."""
    from zkrevox.chain.rex import format_rex

    client = open_rex(rpc, network)
    have, price = client.points(), client.points_price()
    result = {"account": client.address(), "decimals": 18, "points": have, "points_cap": client.points_cap(),
              "points_price": price, "requests": have // price if price else None}
    emit(result, as_json, f"{format_rex(have)} points (cap {format_rex(result['points_cap'])}); a request costs "
                          f"{format_rex(price)}: {result['requests']} request(s) "
                          "(`zkrevox request PROMPT --pay points`)")


@rex_app.command("enroll")
@handle_errors
def enroll(rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False) -> None:
    """Enroll this account's whole stake in the rewards pool (the foundation's stream and re-streamed
    deductions, per staked second)."""
    client = open_rex(rpc, network)
    receipt = client.enroll()
    emit({"account": client.address(), "enrolled": True, "tx": _tx(receipt)}, as_json,
         f"{client.address()} enrolled in the rewards pool (tx {_tx(receipt)})")


@rex_app.command("claim")
@handle_errors
def claim(rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False) -> None:
    """Claim this account's pool reward, in REX."""
    from zkrevox.chain.rex import format_rex

    client = open_rex(rpc, network)
    if client.pool().claimable == 0:
        raise InputError(f"{client.address()} has no pool reward to claim"
                         + ("" if client.pool().enrolled else "; enroll first (`zkrevox rex enroll`)"))
    amount, receipt = client.claim()
    emit({"account": client.address(), "decimals": 18, "claimed": amount, "tx": _tx(receipt)}, as_json,
         f"claimed {format_rex(amount)} REX (tx {_tx(receipt)})")


@rex_app.command("refund")
@handle_errors
def refund(
    request_id: Annotated[int, typer.Argument(help="A points request past its deadline without an answer.")],
    rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False,
) -> None:
    """Give a missed points request's points back to its user (anyone may, once, after the deadline)."""
    from zkrevox.chain.rex import format_rex

    client = open_rex(rpc, network)
    user, _points, refunded = client.paid_request(request_id)
    if int(user, 16) == 0:
        raise InputError(f"request {request_id} was not paid with points (not sent through the paymaster)")
    if refunded:
        raise InputError(f"request {request_id}'s points were already refunded to {user}")
    points, receipt = client.refund(request_id)
    emit({"request_id": request_id, "user": user, "points": points, "decimals": 18, "tx": _tx(receipt)}, as_json,
         f"refunded {format_rex(points)} points to {user} for missed request {request_id} (tx {_tx(receipt)})")


def request_with_points(ctx: Any, model_id: int, prompt: str, as_json: bool) -> None:
    """``zkrevox request PROMPT --pay points``: the paymaster sends the request for this account."""
    from zkrevox.chain.rex import RexClient, format_rex
    from zkrevox.chain.rex_deploy import load_rex_record

    client = RexClient(ctx.w3, load_rex_record(ctx.w3, ctx.dep.dprompt.address), ctx.account)
    before = client.points()
    request_id, spent, receipt = client.request_with_points(model_id, prompt)
    info = ctx.client.request_info(request_id)
    result = {"request_id": request_id, "tx": _tx(receipt), "provider": info.provider, "deadline": info.deadline,
              "mode": "proven", "fee_wei": info.fee, "pay": "points", "points_spent": spent,
              "points_before": before, "points": client.points(), "paymaster": client.record.paymaster,
              "decimals": 18}
    emit(result, as_json, f"proven request {request_id} assigned to {info.provider}, paid with "
                          f"{format_rex(spent)} points through the paymaster (tx {result['tx']}); if it misses its "
                          f"deadline, `zkrevox rex refund {request_id}` gives the points back")


def deploy_rex_beside(w3: Any, account: Any, dep: Any, rex: str | None) -> dict[str, Any] | None:
    """``zkrevox deploy``'s REX part: REX (or ``--rex``), StakedRex and the paymaster beside ``dep``'s
    DPrompt; on the local chain the dev accounts get REX. None (with a note) on another chain without --rex."""
    from zkrevox.chain.keys import ANVIL_DEV_KEYS_ALL, LOCAL_CHAIN_ID
    from zkrevox.chain.networks import BY_CHAIN_ID
    from zkrevox.chain.rex_deploy import deploy_rex
    from zkrevox.cli._output import step

    rex = None if rex in (None, "new") else rex
    if rex is None and dep.chain_id not in BY_CHAIN_ID:
        step("no REX contracts: pass --rex ADDRESS (the REX token) to deploy StakedRex and the points paymaster")
        return None
    grants = []
    if dep.chain_id == LOCAL_CHAIN_ID:
        from eth_account import Account

        grants = [Account.from_key(k).address for k in ANVIL_DEV_KEYS_ALL]
    step("deploying " + ("REX, " if rex is None else "") + "StakedRex and the points paymaster"
         + (" (1,000,000 REX to each dev account)" if grants else ""))
    record = deploy_rex(w3, account, dep.dprompt.address, rex=rex, grants=grants)
    return {"rex": record.rex, "srex": record.srex, "paymaster": record.paymaster, "file": str(record.path)}
