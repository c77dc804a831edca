"""The agent market's commands: publish a model to a deployment, list the models, check one.

``zkrevox publish NAME`` publishes models/NAME/ (its built artifacts and the verifier generated for
its vk) to the DPrompt of ``deployments/<chainId>.json`` as the signing account, which becomes the
model's publisher and earns its developer share. ``zkrevox models`` lists every on-chain model;
``zkrevox check-model ID`` compares one with the local artifacts and exits 1 when it differs.
"""

from __future__ import annotations

import json
import sys
from decimal import Decimal
from typing import Annotated, Any

import typer

from zkrevox.cli._output import EXIT_USER, emit, handle_errors, step
from zkrevox.cli.chain import (
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
    _optimistic_economics,
    _units,
    _wei,
)
from zkrevox.errors import InputError


def register(app: typer.Typer) -> None:
    app.command()(publish)
    app.command()(models)
    app.command("check-model")(check_model)


@handle_errors
def publish(
    model: Annotated[str, typer.Argument(help="Model to publish: models/NAME/ and its built artifacts.")],
    as_name: Annotated[
        str | None,
        typer.Option("--as", help="Name in the deployment record (default: NAME); "
                     "a live model's name is never reused."),
    ] = None,
    fee: Annotated[str, typer.Option(help="Request fee, in ether units.")] = "0.001",
    min_stake: Annotated[str, typer.Option(help="Least provider stake, in units of the stake asset.")] = "0.1",
    response_window: Annotated[int, typer.Option(help="Seconds a provider has to fulfil (at least 60).")] = 600,
    slash_bps: Annotated[int, typer.Option(help="Stake burned on a missed deadline, basis points.")] = 1000,
    developer_share_bps: Annotated[
        int, typer.Option(help="Part of the fee credited to you, the publisher, per answer, basis points.")
    ] = 1000,
    challenge_window: ChallengeWindowOpt = None,
    optimistic_fee: OptimisticFeeOpt = None,
    answer_bond: AnswerBondOpt = None,
    gas_price: GasPriceOpt = None,
    stake_price: StakePriceOpt = None,
    batch: Annotated[
        list[int] | None,
        typer.Option(help="Register the verifier of the batch-N circuit (repeatable; `zkrevox build --batch N`). "
                     "Default: every batch circuit built locally."),
    ] = None,
    no_batch: Annotated[bool, typer.Option("--no-batch", help="Register no batch verifier.")] = False,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Publish a model to the existing deployment as this account (its publisher: it earns the
    developer share and alone may retire it); records it in deployments/<chainId>.json."""
    from zkrevox.chain.deploy import model_params
    from zkrevox.chain.publish import check_name_free
    from zkrevox.chain.publish import publish as run
    from zkrevox.chain.stake_token import stake_asset
    from zkrevox.node.bootstrap import local_batch_sizes

    for what, bps in (("--slash-bps", slash_bps), ("--developer-share-bps", developer_share_bps)):
        if not 0 <= bps <= 10_000:
            raise InputError(f"{what} is in basis points, 0..10000; got {bps}")
    if not 60 <= response_window <= 7 * 24 * 3600:
        raise InputError("--response-window must be at least 60 s and at most 7 days (604800 s; DPrompt refuses "
                         f"others), got {response_window}")
    if no_batch and batch:
        raise InputError("--no-batch and --batch contradict each other; pass one")
    ctx = _Ctx(rpc, network)
    name = as_name or model
    check_name_free(ctx.w3, ctx.dep, name)  # before any contract is deployed
    _check_funded(ctx)
    asset = stake_asset(ctx.w3, ctx.client.stake_token())
    params = model_params(model, fee_wei=_wei(fee), min_stake_wei=_units(min_stake, asset.decimals),
                          response_window_s=response_window, slash_bps=slash_bps,
                          developer_share_bps=developer_share_bps,
                          **_optimistic_economics(challenge_window, optimistic_fee, answer_bond, asset.decimals,
                                                  chain_id=ctx.chain_id, gas_price=gas_price, stake_price=stake_price,
                                                  token=ctx.client.stake_token() is not None))
    sizes = [] if no_batch else batch if batch is not None else local_batch_sizes(model)
    step(f"publishing {model} as {name!r} to DPrompt {ctx.dep.dprompt.address} on chain {ctx.chain_id} "
         f"from {ctx.account.address}" + (f", batch verifiers {', '.join(map(str, sizes))}" if sizes else ""))
    record = run(ctx.w3, ctx.account, ctx.dep, params, as_name=name, batch_sizes=sizes)
    onchain = ctx.client.model(record.model_id)
    result = {
        "model_id": record.model_id, "name": name, "model": model, "publisher": record.publisher,
        "verifier": record.verifier.address, "tx": record.register_tx,
        "developer_share_bps": record.developer_share_bps, "fee_wei": record.fee_wei,
        "challenge_window_s": onchain.challenge_window, "optimistic_fee_wei": onchain.optimistic_fee,
        "answer_bond": onchain.answer_bond, "dispute_gas": record.dispute_gas,
        "declared_gas_price_wei": record.declared_gas_price_wei,
        "batch_verifiers": {k: b.verifier.address for k, b in record.batch_verifiers.items()},
        "deployment_file": str(ctx.dep.path),
    }
    emit(result, as_json, f"published {model} as model {record.model_id} ({name!r}), "
                          f"verifier {record.verifier.address}; requests: `zkrevox request PROMPT --model {name}` "
                          f"(record {ctx.dep.path})")


@handle_errors
def models(rpc: RpcOpt = None, network: NetworkOpt = "local", as_json: JsonOpt = False) -> None:
    """List every model published to the deployment's DPrompt: publisher, fee, developer share,
    verifier and hashes (check one against local artifacts with `zkrevox check-model ID`)."""
    from zkrevox.chain.models import list_models

    ctx = _Ctx(rpc, network, need_key=False)
    rows = list_models(ctx.client, ctx.dep)
    if as_json:
        sys.stdout.write(json.dumps(rows, sort_keys=True) + "\n")
        return
    if not rows:
        print(f"DPrompt {ctx.dep.dprompt.address} has no models; publish one with `zkrevox publish NAME`")
        return
    for r in rows:
        print(f"{r['id']:>3}  {r['name'] or '-':<16} {r['status']:<7} publisher {r['publisher']}  "
              f"fee {Decimal(r['fee_wei']) / 10**18} share {r['developer_share_bps'] / 100:.2f}%  "
              f"vk {r['vk_hash'][:12]}…  spec {r['spec_hash'][:12]}…  verifier {r['verifier']}" + _rule_text(r))
        for warning in r["provider_warnings"]:
            print(f"warning: model {r['id']} ({r['name'] or 'unnamed'}) is hostile to providers: {warning}",
                  file=sys.stderr)


def _rule_text(row: dict[str, Any]) -> str:
    """The optimistic terms and the bond rule of a ``models`` row, for the text listing."""
    if not row["challenge_window_s"]:
        return ""
    rule = row.get("bond_rule")
    text = f"  window {row['challenge_window_s']}s bond {Decimal(row['answer_bond']) / 10**18}"
    if rule is None:
        return text + " (bond rule: no gas price declared)"
    return text + (f" (bond rule {'kept' if rule['bond_rule_kept'] else 'BROKEN'} at "
                   f"{rule['declared_gas_price_wei'] / 1e9:g} gwei: dispute {rule['dispute_gas']:,} gas, "
                   f"disputer's net {Decimal(rule['disputer_net_wei']) / 10**18})")


@handle_errors
def check_model(
    model_id: Annotated[int, typer.Argument(help="On-chain model id (see `zkrevox models`).")],
    model: Annotated[
        str | None,
        typer.Option("--model", help="Local model to compare with (models/NAME/, artifacts/NAME/); "
                     "default: the one the deployment record says was published."),
    ] = None,
    reuse_generated: Annotated[
        bool, typer.Option(help="Reuse a verifier already generated for the same vk instead of regenerating it.")
    ] = False,
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Check an on-chain model against local artifacts: the deployed verifier's bytecode against the
    verifier regenerated and compiled here, the vk and spec hashes, the featurizer it runs, and each
    registered batch verifier built locally. Prints `verified` (exit 0) or what differs (exit 1)."""
    from zkrevox.chain.models import check_model as run

    ctx = _Ctx(rpc, network, need_key=False)
    step(f"checking model {model_id} of DPrompt {ctx.dep.dprompt.address}"
         + ("" if reuse_generated else " (regenerating its verifiers from the local artifacts)"))
    result = run(ctx.w3, ctx.dep, model_id, model, regenerate=not reuse_generated, progress=step)
    retired = " (retired: it takes no new requests; its pending ones run their course)" if result.retired else ""
    lines = [f"verified{retired}" if result.verified else
             f"NOT verified: model {model_id} differs from the local {result.local_model} in "
             f"{len(result.differences)} of {len(result.comparisons)} checks"]
    lines += [f"  {'ok' if c.ok else 'DIFFERS'}  {c.what}: {c.detail}" for c in result.comparisons]
    lines += [f"  not checked  {n}" for n in result.not_checked]
    emit(result.to_json(), as_json, "\n".join(lines))
    if not result.verified:
        _fail(f"model {model_id} does not match artifacts/{result.local_model}: "
              + "; ".join(f"{c.what}: {c.detail}" for c in result.differences)
              + ". Do not trust its answers as that model's, or check it against the right local model (--model)")


def _fail(message: str) -> Any:
    print(f"error: {message}", file=sys.stderr)
    raise typer.Exit(EXIT_USER)
