"""What the on-chain command groups share: their options (``--rpc``, ``--network``, ``--json``,
``--model``, ...), ``_Ctx`` (the RPC, the key, the deployment record and the DPrompt client of one
command), amounts in whole units, and thin wrappers of the rules in ``zkrevox.chain.rules``."""

from __future__ import annotations

from decimal import Decimal, InvalidOperation
from typing import Annotated, Any

import typer

from zkrevox.errors import InputError

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
        """``model``, or the deployment's only model (``zkrevox.chain.rules.deployment_model``)."""
        from zkrevox.chain.rules import deployment_model

        return deployment_model(self.dep, model)

    def request_model(self, model: str | None, request_id: int) -> str:
        """``model``, or the recorded model request ``request_id`` was made for
        (``zkrevox.chain.rules.request_model``)."""
        from zkrevox.chain.rules import request_model

        return request_model(self.client, self.dep, model, request_id)


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
    """``model``, or the only model under ``models/`` (``zkrevox.chain.rules.only_local_model``)."""
    from zkrevox.chain.rules import only_local_model

    return only_local_model(model, command)


def _tx(receipt: Any) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


def _labels(bitmap: int, labels: list[str], n: int) -> list[str]:
    """An answer bitmap as the model's label names (``zkrevox.chain.rules.answer_labels``)."""
    from zkrevox.chain.rules import answer_labels

    return answer_labels(bitmap, labels, n)


def _iso(ts: int) -> str:
    """A chain-clock time as ISO 8601 UTC (``zkrevox.chain.rules.iso_time``)."""
    from zkrevox.chain.rules import iso_time

    return iso_time(ts)


def _answer_key(model: str, record: Any = None) -> str:
    """The JSON key of ``model``'s answers (``zkrevox.chain.rules.answer_key``)."""
    from zkrevox.chain.rules import answer_key

    return answer_key(model, record)


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


# A number argument may be negative (`answer -1`, `chain advance -5`): click would read it as an unknown
# option ("No such option: -1"); taken as the argument, the command names what is wrong with it.
NUMBER_ARGS = {"ignore_unknown_options": True}
