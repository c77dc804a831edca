"""On-chain commands: deploy, provider stake/unbond/withdraw, request, fulfil, fulfil-batch,
answer, reclaim, withdraw, chain up, chain verifier (and, from ``cli/optimistic.py``, finalize and
dispute). ``register(app)`` mounts them on the ``zkrevox`` app.

Every command takes ``--rpc URL`` (else ``$ZKREVOX_RPC_URL``, else the ``--network`` preset) and
``--json``. Keys come from the environment only (see ``zkrevox.chain.keys``).
"""

from __future__ import annotations

import sys
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import Annotated, Any

import typer

from zkrevox.cli._output import emit, handle_errors, step
from zkrevox.errors import InputError
from zkrevox.featurize import prompt_text

RpcOpt = Annotated[str | None, typer.Option("--rpc", help="RPC URL (default: $ZKREVOX_RPC_URL, else the network's).")]
NetworkOpt = Annotated[
    str, typer.Option("--network", help="Preset: local, bsc-testnet, opbnb-testnet, sepolia.")
]
JsonOpt = Annotated[bool, typer.Option("--json", help="Print the result as one JSON object on stdout.")]
ModelOpt = Annotated[str | None, typer.Option(
    "--model", help="Model name in the deployment record (default: its only model).")]
SkipChecksOpt = Annotated[
    bool, typer.Option(help="Send even when local checks would refuse (the contract checks on-chain).")
]

provider_app = typer.Typer(help="Provider staking: stake, unbond, withdraw-stake.", no_args_is_help=True)
chain_app = typer.Typer(help="Local chain, local stake token, verifier generation, ABI files.", no_args_is_help=True)


# A number argument may be negative (`answer -1`, `chain advance -5`): click would read it as an unknown
# option ("No such option: -1"); taken as the argument, the command names what is wrong with it.
NUMBER_ARGS = {"ignore_unknown_options": True}


def register(app: typer.Typer) -> None:
    """Mount the on-chain commands on the main ``zkrevox`` app."""
    app.command()(deploy)
    app.command()(request)
    app.command()(fulfil)
    app.command("fulfil-batch")(fulfil_batch)
    app.command(context_settings=NUMBER_ARGS)(answer)
    app.command()(reclaim)
    app.command()(withdraw)
    app.add_typer(provider_app, name="provider")
    app.add_typer(chain_app, name="chain")
    from zkrevox.cli import optimistic

    optimistic.register(app)  # finalize, dispute


# ---------------------------------------------------------------- helpers


class _Ctx:
    def __init__(self, rpc: str | None, network: str, *, need_deployment: bool = True, need_key: bool = True):
        from zkrevox.chain.client import DPromptClient
        from zkrevox.chain.deploy import load_deployment
        from zkrevox.chain.keys import load_account
        from zkrevox.chain.networks import open_network

        # the RPC must answer and serve the chain --network names (default local): never pay on another one
        self.url, self.w3, self.chain_id = open_network(network, rpc)
        self._account = load_account(self.chain_id) if need_key else None
        self._dep = load_deployment(self.chain_id, w3=self.w3) if need_deployment else None
        self._client = DPromptClient(self.w3, self._dep.dprompt.address, self._account) if self._dep else None

    @property
    def account(self) -> Any:
        assert self._account is not None, "command declared need_key=False"
        return self._account

    @property
    def dep(self) -> Any:
        assert self._dep is not None, "command declared need_deployment=False"
        return self._dep

    @property
    def client(self) -> Any:
        assert self._client is not None, "command declared need_deployment=False"
        return self._client

    def model_name(self, model: str | None) -> str:
        """``model``, or the deployment's only model; InputError naming them when it holds several."""
        if model is not None:
            return model
        names = sorted(self.dep.models)
        if len(names) == 1:
            return names[0]
        raise InputError(f"the deployment {self.dep.path} holds models {', '.join(names) or 'none'}: pass "
                         f"--model NAME (e.g. --model {names[0] if names else 'NAME'})")

    def request_model(self, model: str | None, request_id: int) -> str:
        """``model``, or the recorded model request ``request_id`` was made for."""
        if model is not None:
            return model
        model_id = self.client.request_info(request_id).model_id
        for name, record in self.dep.models.items():
            if record.model_id == model_id:
                return name
        raise InputError(f"request {request_id} is for model {model_id}, which the deployment record {self.dep.path} "
                         f"does not hold (models: {', '.join(sorted(self.dep.models)) or 'none'}); publish it with "
                         "`zkrevox publish NAME`, or pass --model NAME")


def _wei(amount: str) -> int:
    return _units(amount, 18)


def _units(amount: str, decimals: int) -> int:
    """``amount`` in whole units (ether, or tokens of ``decimals`` decimals) as the smallest unit."""
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise InputError(f"amount {amount!r} is not a number (whole units, e.g. 1 or 0.5)") from None
    if not value.is_finite():
        raise InputError(f"amount {amount!r} is not a finite number (whole units, e.g. 1 or 0.5)")
    if value <= 0:
        raise InputError(f"amount must be positive, got {amount}")
    units = value * 10**decimals
    if units != units.to_integral_value():
        raise InputError(f"amount {amount} has more than {decimals} decimals")
    if units >= 2**256:
        raise InputError(f"amount {amount} is too large: no balance on any chain holds it (at most "
                         f"{Decimal(2**256 - 1) / 10**decimals:.6e} whole units)")
    return int(units)


ChallengeWindowOpt = Annotated[int | None, typer.Option(
    help="Seconds an optimistic answer can be disputed, 60 s..30 days; 0: the model offers no optimistic mode "
    "[default: 60].")]
OptimisticFeeOpt = Annotated[str | None, typer.Option(
    help="Least payment of an optimistic request, in ether units [default: half the fee, at least the "
    "developer's cut].")]
AnswerBondOpt = Annotated[str | None, typer.Option(
    help="Stake slashed per overturned optimistic answer (half to the disputer, half to the requester), in "
    "units of the stake asset, at most the minimum stake [default: 1/20 of the minimum stake].")]


GasPriceOpt = Annotated[str | None, typer.Option(
    help="Gas price (gwei) this deployment declares it serves: the answer bond must pay a disputer at least a "
    "dispute's gas at it (measured on the model's verifier) [default: the network preset's, local 2].")]
StakePriceOpt = Annotated[str | None, typer.Option(
    help="With an ERC-20 stake: what one whole stake token is worth in the native coin, for the bond rule "
    "[default: 1 on a local chain; required elsewhere].")]


def _optimistic_economics(challenge_window: int | None, optimistic_fee: str | None, answer_bond: str | None,
                          decimals: int, *, chain_id: int = 31337, gas_price: str | None = None,
                          stake_price: str | None = None, token: bool = False) -> dict[str, int | None]:
    """``ModelParams`` fields of the optimistic mode from the command line (window 0: not offered): the
    window (default: the network preset's), fee, bond, and the bond rule's declared prices."""
    from zkrevox.chain.networks import is_local_chain, preset_of_chain

    net = preset_of_chain(chain_id)
    window = net.challenge_window_s if challenge_window is None else challenge_window
    if window == 0:
        if optimistic_fee is not None or answer_bond is not None:
            raise InputError("--challenge-window 0 offers no optimistic mode: drop --optimistic-fee/--answer-bond")
        return {"challenge_window_s": 0, "optimistic_fee_wei": 0, "answer_bond_wei": 0}
    if token and stake_price is None and not is_local_chain(chain_id):
        raise InputError("with an ERC-20 stake, declare what one stake token is worth in the native coin "
                         f"(--stake-price, e.g. 0.01 {net.native}): the bond rule values the disputer's share with it")
    gwei = Decimal(str(net.gas_price_gwei)) if gas_price is None else _decimal(gas_price, "--gas-price")
    return {"challenge_window_s": window,
            "optimistic_fee_wei": None if optimistic_fee is None else _wei(optimistic_fee),
            "answer_bond_wei": None if answer_bond is None else _units(answer_bond, decimals),
            "declared_gas_price_wei": int(gwei * 10**9),
            "stake_price_wei": 10**18 if stake_price is None else _wei(stake_price)}


def _decimal(amount: str, what: str) -> Decimal:
    try:
        value = Decimal(amount)
    except InvalidOperation:
        raise InputError(f"{what} {amount!r} is not a number") from None
    if not value.is_finite() or value <= 0:
        raise InputError(f"{what} must be a positive number, got {amount}")
    return value


def _only_model(model: str | None, command: str) -> str:
    """``model``, or the only model under ``models/``; InputError naming them when there are several."""
    from zkrevox.model_files import known_models

    if model is not None:
        return model
    known = known_models()
    if len(known) == 1:
        return known[0]
    raise InputError(f"name the model: `zkrevox {command} NAME` (models: {', '.join(known) or 'none'})")


def _tx(receipt: Any) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


def _labels(bitmap: int, labels: list[str], n: int) -> list[str]:
    """An answer bitmap as the model's label names (``#i`` for an output without a name)."""
    from zkrevox.chain.client import bitmap_indices

    idx = bitmap_indices(bitmap, n)
    return [labels[i] if i < len(labels) else f"#{i}" for i in idx]


def _iso(ts: int) -> str:
    """A chain-clock time (unix seconds) as ISO 8601 UTC, e.g. 2026-12-08T01:40:00+00:00."""
    import datetime as dt

    return dt.datetime.fromtimestamp(int(ts), tz=dt.timezone.utc).isoformat(timespec="seconds")


def _answer_key(model: str, record: Any = None) -> str:
    """The JSON key of ``model``'s answers: its agent's (``tickers``, ``intents``; a model published
    under another name, the agent it was built from), else ``labels``."""
    from zkrevox.agents import answer_key

    return answer_key(getattr(record, "source_model", None) or model)


# ---------------------------------------------------------------- commands


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


def _check_funded(ctx: _Ctx) -> None:
    if ctx.w3.eth.get_balance(ctx.account.address) == 0:
        raise InputError(f"{ctx.account.address} has no funds on chain {ctx.chain_id} to pay for gas; fund it "
                         "or sign with another key. Nothing was sent")


def _token_address(ctx: _Ctx, address: str) -> str:
    from web3 import Web3

    if not Web3.is_address(address):
        raise InputError(f"--stake-token {address!r} is not an address (0x and 40 hex digits)")
    from zkrevox.chain.stake_token import check_stake_token

    checksummed = Web3.to_checksum_address(address)
    if not ctx.w3.eth.get_code(checksummed):
        raise InputError(f"no contract at --stake-token {checksummed} on chain {ctx.chain_id}; deploy a local one "
                         "with `zkrevox chain stake-token`, or pass the token's address on this chain")
    check_stake_token(ctx.w3, checksummed)
    return checksummed


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


@handle_errors
def request(
    prompt: Annotated[str, typer.Argument(help="The prompt (UTF-8 text).")],
    model: ModelOpt = None,
    value: Annotated[
        str | None, typer.Option(help="Payment in ether units (default: the model's fee, or its optimistic fee).")
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
    payment = _wei(value) if value else (info_model.optimistic_fee if optimistic else info_model.fee)
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
    """What `fulfil` would refuse on-chain, read from the chain before anything is proven or sent."""
    rid = info.request_id
    if info.status == "none":
        raise InputError(f"no request {rid} on DPrompt {ctx.dep.dprompt.address}; check the id "
                         f"(`zkrevox answer {rid}`)")
    if info.status == "fulfilled":
        raise InputError(f"request {rid} is already fulfilled; read it with `zkrevox answer {rid}`")
    if info.status == "reclaimed":
        raise InputError(f"request {rid} was settled after its missed deadline; it can no longer be "
                         "fulfilled")
    if info.status == "expired":
        raise InputError(f"request {rid}'s deadline ({_iso(info.deadline)}) has passed; it can no longer be "
                         "fulfilled, only settled (`zkrevox reclaim ID`, by anyone)")
    if info.provider.lower() != ctx.account.address.lower():
        raise InputError(
            f"request {rid} is assigned to {info.provider}, not to this key ({ctx.account.address}); only the "
            "assigned provider can fulfil it: sign with its key"
        )
    if info.model_id != record.model_id:
        names = [n for n, r in ctx.dep.models.items() if r.model_id == info.model_id]
        hint = f"pass --model {names[0]}" if names else "its model is not in the deployment record"
        raise InputError(f"request {rid} is for model {info.model_id}, not {model!r} (model {record.model_id}); "
                         + hint)
    if ctx.client.model(record.model_id).verifier.lower() != record.verifier.address.lower():
        raise InputError(f"model {record.model_id} on-chain has another verifier than {ctx.dep.path} records; "
                         "the record is stale: check it with `zkrevox models`")


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
    if vk is not None and vk != record.vk_sha256:
        raise InputError(f"proof was made with vk {vk[:12]}…, the registered model's is {record.vk_sha256[:12]}…")
    expected = ctx.client.public_instances(info.request_id, outputs)
    if expected != chain_proof.instances:
        about = f" (it proves {claimed_prompt!r})" if claimed_prompt is not None else ""
        raise InputError(
            f"proof's public inputs are not request {info.request_id}'s: it was made for another prompt{about}, "
            f"the request's prompt is {prompt!r}; prove this prompt, or pass --skip-local-checks to let the "
            "contract refuse it on-chain"
        )


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


@chain_app.command("up")
@handle_errors
def chain_up(
    chain_id: Annotated[int, typer.Option(help="Chain id of the local chain.")] = 31337,
    port: Annotated[
        int | None, typer.Option(help="Port (default: 8545, the local preset's, when free; else a free one).")
    ] = None,
    as_json: JsonOpt = False,
) -> None:
    """Run a local anvil on 127.0.0.1 in the foreground; prints its URL. Ctrl-C stops it."""
    import signal

    from zkrevox.chain.anvil import Anvil, port_free
    from zkrevox.chain.networks import PRESETS

    default_url = PRESETS["local"].default_rpc
    default_port = int(default_url.rsplit(":", 1)[1])
    asked = port  # --port as given: only a port picked for the user is explained as "taken"
    if port is None and port_free(default_port):
        port = default_port
    # SIGTERM unwinds like Ctrl-C, so the context manager stops anvil instead of orphaning it.
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    with Anvil(chain_id=chain_id, port=port) as chain:
        if chain.url == default_url:
            note = "the default of --network local; no export needed"
        else:
            note = (f"port {default_port} is taken" if asked is None and chain.port != default_port else "") + \
                   f"; other commands need `export ZKREVOX_RPC_URL={chain.url}` (or --rpc {chain.url})"
            note = note.lstrip("; ")
        if chain.url != default_url:
            print(f"export ZKREVOX_RPC_URL={chain.url}", file=sys.stderr, flush=True)
        emit({"rpc": chain.url, "chain_id": chain_id, "pid": chain.pid, "export": chain.url != default_url}, as_json,
             f"anvil running at {chain.url} (chain id {chain_id}); {note}")
        try:
            code = chain.wait()
        except KeyboardInterrupt:
            code = 0
    if code:
        print(f"anvil exited with {code}", file=sys.stderr)


@chain_app.command("advance", context_settings=NUMBER_ARGS)
@handle_errors
def chain_advance(
    seconds: Annotated[int, typer.Argument(help="Seconds to move the chain's clock forward (then one block).")],
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Local chains only: move time forward and mine a block (evm_increaseTime + evm_mine), e.g. past a
    request's deadline to try `zkrevox reclaim`, or past the unbonding delay."""
    from zkrevox.chain.networks import is_local_chain

    if seconds <= 0:
        raise InputError(f"SECONDS must be positive, got {seconds}")
    ctx = _Ctx(rpc, network, need_deployment=False, need_key=False)
    if not is_local_chain(ctx.chain_id):
        raise InputError(f"chain {ctx.chain_id} is not a local chain: only a local dev chain's clock can be moved")
    before = int(ctx.w3.eth.get_block("latest")["timestamp"])
    try:
        ctx.w3.provider.make_request("evm_increaseTime", [seconds])
        ctx.w3.provider.make_request("evm_mine", [])
    except Exception as exc:  # an RPC without the dev methods
        raise InputError(f"RPC {ctx.url} does not move time (evm_increaseTime/evm_mine: {exc}); "
                         "this needs anvil, hardhat or ganache") from None
    block = ctx.w3.eth.get_block("latest")
    emit({"timestamp": int(block["timestamp"]), "advanced_s": int(block["timestamp"]) - before,
          "block": int(block["number"])}, as_json,
         f"chain time now {int(block['timestamp'])} (+{int(block['timestamp']) - before} s), block {block['number']}")


@chain_app.command("verifier")
@handle_errors
def chain_verifier(
    model: Annotated[str | None, typer.Argument(
        help="Model whose circuit artifacts to use [default: the only model in models/].")] = None,
    as_json: JsonOpt = False,
) -> None:
    """Generate verifier-contracts/src/generated/<Model>Verifier.sol from artifacts/<model>/ (offline)."""
    from zkrevox.chain.evm_verifier import generate_for_model
    from zkrevox.chain.solc import compile_verifier

    model = _only_model(model, "chain verifier")
    path = generate_for_model(model)
    size = compile_verifier(path).deployed_size
    emit({"verifier_source": str(path), "deployed_size": size}, as_json, f"wrote {path} ({size} bytes deployed)")


@chain_app.command("stake-token")
@handle_errors
def chain_stake_token(
    supply: Annotated[str, typer.Option(help="Tokens to mint to this account (18 decimals).")] = "1000000",
    to: Annotated[
        list[str] | None,
        typer.Option(help="Give tokens to ADDR (repeatable): ADDR for --amount each, or ADDR=AMOUNT."),
    ] = None,
    amount: Annotated[str, typer.Option(help="Tokens each --to ADDR gets unless it names an amount.")] = "1000",
    rpc: RpcOpt = None,
    network: NetworkOpt = "local",
    as_json: JsonOpt = False,
) -> None:
    """Deploy LocalStakeToken (ZKRS, an OpenZeppelin ERC-20; local chains and testnets only) and hand
    tokens to providers; then `zkrevox deploy --stake-token ADDRESS`."""
    from web3 import Web3

    from zkrevox.chain.stake_token import DECIMALS, deploy_local_stake_token

    recipients = []
    for item in to or []:
        addr, _, each = item.partition("=")
        if not Web3.is_address(addr):
            raise InputError(f"--to {item!r}: {addr!r} is not an address (0x and 40 hex digits)")
        recipients.append((addr, _units(each or amount, DECIMALS)))
    ctx = _Ctx(rpc, network, need_deployment=False)
    record, transfers = deploy_local_stake_token(ctx.w3, ctx.account, _units(supply, DECIMALS), recipients)
    result = {"token": record.address, "tx": record.tx, "symbol": "ZKRS", "decimals": DECIMALS,
              "supply": _units(supply, DECIMALS), "holder": ctx.account.address, "transfers": transfers}
    emit(result, as_json, f"LocalStakeToken (ZKRS) at {record.address}; {len(transfers)} transfer(s); "
                          f"deploy with `zkrevox deploy --stake-token {record.address}`")


@chain_app.command("abi")
@handle_errors
def chain_abi(
    check: Annotated[bool, typer.Option(help="Only compare; exit 1 if a committed ABI file is out of date.")] = False,
    as_json: JsonOpt = False,
) -> None:
    """Write verifier-contracts/abi/<Name>.json (DPrompt with every error it can revert with, the
    consumer interface and base, TickerConsumer, LocalStakeToken) for ethers/viem users."""
    from zkrevox.chain import abi

    if check:
        bad = abi.stale()
        if bad:
            raise InputError(f"out of date in {abi.abi_dir()}: {', '.join(bad)}; run {abi.REGENERATE}")
        emit({"abi_dir": str(abi.abi_dir()), "stale": []}, as_json, f"{abi.abi_dir()}: up to date")
        return
    paths = abi.write()
    emit({"abi_dir": str(abi.abi_dir()), "files": [p.name for p in paths]}, as_json,
         "\n".join(str(p) for p in paths))


app = typer.Typer(help="zkrevox on-chain commands (standalone).", no_args_is_help=True, add_completion=False,
                  pretty_exceptions_enable=False)
register(app)

if __name__ == "__main__":
    app()
