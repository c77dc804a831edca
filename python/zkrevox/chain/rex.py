"""REX staking from Python: stake REX for sREX, redeem it (with its age deduction), AI points, the
rewards pool, and requests paid with points through the PointsPaymaster.

One API for the CLI (``zkrevox rex …``, ``zkrevox request --pay points``), the node and the web
page. Amounts are integers in the smallest unit (REX and sREX have 18 decimals; points too);
``parse_rex`` reads a decimal amount of REX. Contracts: ``verifier-contracts/src/rex/``; the
deployment's addresses: ``RexRecord`` (``zkrevox.chain.rex_deploy``).
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, Web3Exception
from web3.logs import DISCARD

from zkrevox.chain.networks import fee_fields
from zkrevox.chain.revert import ErrorDecoder, RevertedError, revert_data
from zkrevox.chain.rex_deploy import RexRecord
from zkrevox.chain.solc import project_contracts
from zkrevox.errors import ChainError, InputError

DECIMALS = 18
UNIT = 10**DECIMALS
GAS_MARGIN = 1.2
# An estimate runs in the block of the last update; mined a second later, the same call settles the
# pool's accumulator first (up to five fresh storage slots, ~100,000 gas more): headroom on top of the margin.
GAS_HEADROOM = 150_000
RECEIPT_TIMEOUT_S = 180
# Where a REX transaction's revert data can come from.
_DECODED = ("StakedRex", "PointsPaymaster", "Rex", "DPrompt", "ModelRegistry", "ProviderStaking", "Featurizer",
            "SafeERC20", "IERC20Errors")


def parse_rex(amount: str, what: str = "amount") -> int:
    """``"1000"`` or ``"0.5"`` REX as smallest units; InputError for anything else."""
    try:
        value = Decimal(amount.strip())
    except (InvalidOperation, AttributeError):
        raise InputError(f"{what} {amount!r} is not a number of REX (e.g. 1000 or 0.5)") from None
    units = value * UNIT
    if not value.is_finite() or value <= 0 or units != units.to_integral_value():
        raise InputError(f"{what} {amount!r} must be a positive number of REX with at most {DECIMALS} decimals")
    return int(units)


def format_rex(units: int) -> str:
    """Smallest units as a decimal string of REX (``1500000000000000000`` -> ``1.5``)."""
    whole, frac = divmod(int(units), UNIT)
    return f"{whole}" + (f".{frac:0{DECIMALS}d}".rstrip("0") if frac else "")


@dataclass(frozen=True)
class Redemption:
    """What ``redeem`` did: ``amount`` sREX in, ``out`` REX paid, ``deduction = burned + pooled``."""

    amount: int
    out: int
    deduction: int
    burned: int
    pooled: int
    tx: str


@dataclass(frozen=True)
class PoolState:
    enrolled: bool
    claimable: int
    reward_per_token: int
    enrolled_supply: int
    reserve: int
    funded: int
    pooled: int
    claimed: int


class RexClient:
    """The REX, sREX and paymaster contracts of ``record``, as ``account`` (None: reads only)."""

    def __init__(self, w3: Web3, record: RexRecord, account: LocalAccount | None = None) -> None:
        compiled = project_contracts()
        self.w3 = w3
        self.record = record
        self.account = account
        self.rex = w3.eth.contract(address=Web3.to_checksum_address(record.rex), abi=compiled["Rex"].abi)
        self.srex = w3.eth.contract(address=Web3.to_checksum_address(record.srex), abi=compiled["StakedRex"].abi)
        self.paymaster = (w3.eth.contract(address=Web3.to_checksum_address(record.paymaster),
                                          abi=compiled["PointsPaymaster"].abi) if record.paymaster else None)
        self.errors = ErrorDecoder(*(compiled[n].abi for n in _DECODED if n in compiled))

    # ------------------------------------------------------------ reads

    def address(self, account: str | None = None) -> str:
        if account is not None:
            return Web3.to_checksum_address(account)
        if self.account is None:
            raise ChainError("this client has no account; pass one or name the account to read")
        return self.account.address

    def rex_balance(self, account: str | None = None) -> int:
        return int(self._call(self.rex.functions.balanceOf(self.address(account))))

    def staked(self, account: str | None = None) -> int:
        """sREX held (REX staked), smallest units."""
        return int(self._call(self.srex.functions.balanceOf(self.address(account))))

    def rex_total_supply(self) -> int:
        return int(self._call(self.rex.functions.totalSupply()))

    def srex_total_supply(self) -> int:
        return int(self._call(self.srex.functions.totalSupply()))

    def points(self, account: str | None = None) -> int:
        """AI points now (accrued, capped), 18 decimals."""
        return int(self._call(self.srex.functions.pointsOf(self.address(account))))

    def points_cap(self, account: str | None = None) -> int:
        return int(self._call(self.srex.functions.pointsCap(self.staked(account))))

    def deduction_of(self, amount: int, account: str | None = None) -> int:
        """The deduction redeeming ``amount`` would take now."""
        return int(self._call(self.srex.functions.deductionOf(self.address(account), amount)))

    def lots(self, account: str | None = None) -> dict[str, Any]:
        times, amounts, matured = self._call(self.srex.functions.lotsOf(self.address(account)))
        return {"lots": [{"time": int(t), "amount": int(a)} for t, a in zip(times, amounts, strict=True)],
                "matured": int(matured)}

    def pool(self, account: str | None = None) -> PoolState:
        who = self.address(account)
        funded, pooled, claimed = self._call(self.srex.functions.rewardTotals())
        return PoolState(
            enrolled=bool(self._call(self.srex.functions.isEnrolled(who))),
            claimable=int(self._call(self.srex.functions.claimable(who))),
            reward_per_token=int(self._call(self.srex.functions.rewardPerToken())),
            enrolled_supply=int(self._call(self.srex.functions.enrolledSupply())),
            reserve=int(self._call(self.srex.functions.rewardReserve())),
            funded=int(funded), pooled=int(pooled), claimed=int(claimed),
        )

    def points_price(self) -> int:
        return int(self._call(self._paymaster().functions.pointsPrice()))

    def budget(self) -> int:
        """The paymaster's native-coin budget, wei."""
        return int(self._call(self._paymaster().functions.budget()))

    def paid_request(self, request_id: int) -> tuple[str, int, bool]:
        """``(user, points, refunded)`` of a request sent through the paymaster (user 0x0: not one)."""
        user, points, refunded = self._call(self._paymaster().functions.requestOf(request_id))
        return Web3.to_checksum_address(user), int(points), bool(refunded)

    # ------------------------------------------------------------ writes

    def approve(self, spender: str, amount: int) -> Any:
        return self._send(self.rex.functions.approve(Web3.to_checksum_address(spender), amount))

    def stake(self, amount: int) -> Any:
        """Stakes ``amount`` REX (approving it first when the allowance is short); returns the receipt."""
        self._check_amount(amount)
        have = self.rex_balance()
        if have < amount:
            raise InputError(f"{self.address()} holds {format_rex(have)} REX, less than the {format_rex(amount)} "
                             "to stake; get REX first (a local deployment gave the dev accounts some)")
        allowance = int(self._call(self.rex.functions.allowance(self.address(), self.srex.address)))
        if allowance < amount:
            self.approve(self.srex.address, amount)
        return self._send(self.srex.functions.stake(amount))

    def redeem(self, amount: int, max_deduction: int | None = None) -> Redemption:
        """Redeems ``amount`` sREX; refused on-chain if the deduction is above ``max_deduction``
        (None: any deduction)."""
        self._check_amount(amount)
        have = self.staked()
        if have < amount:
            raise InputError(f"{self.address()} has {format_rex(have)} REX staked, less than the "
                             f"{format_rex(amount)} to unstake")
        limit = amount if max_deduction is None else max_deduction
        receipt = self._send(self.srex.functions.redeem(amount, limit))
        (event,) = self.srex.events.StakedRexRedeemed().process_receipt(receipt, errors=DISCARD)
        a = event.args
        return Redemption(int(a.amount), int(a.out), int(a.deduction), int(a.burned), int(a.pooled), _tx(receipt))

    def enroll(self) -> Any:
        return self._send(self.srex.functions.enroll())

    def unenroll(self) -> Any:
        return self._send(self.srex.functions.unenroll())

    def claim(self) -> tuple[int, Any]:
        """Claims the pool reward; returns ``(amount, receipt)``."""
        receipt = self._send(self.srex.functions.claim())
        (event,) = self.srex.events.RewardsPoolClaimed().process_receipt(receipt, errors=DISCARD)
        return int(event.args.amount), receipt

    def fund_pool(self, amount: int) -> Any:
        """The foundation's funding: ``amount`` REX into the stream that ends 180 days after deployment."""
        allowance = int(self._call(self.rex.functions.allowance(self.address(), self.srex.address)))
        if allowance < amount:
            self.approve(self.srex.address, amount)
        return self._send(self.srex.functions.fund(amount))

    def request_with_points(self, model_id: int, prompt: str | bytes, consumer: str | None = None,
                            callback_gas_limit: int = 0) -> tuple[int, int, Any]:
        """Spends the published price in points for a request of ``model_id``; returns
        ``(request_id, points_spent, receipt)``."""
        data = prompt.encode() if isinstance(prompt, str) else prompt
        price = self.points_price()
        have = self.points()
        if have < price:
            raise InputError(f"{self.address()} has {format_rex(have)} points, a request costs {format_rex(price)}; "
                             "stake REX (`zkrevox rex stake AMOUNT`) and let points accrue, or pay with the "
                             "native coin (`zkrevox request PROMPT`)")
        to = Web3.to_checksum_address(consumer) if consumer else "0x" + "00" * 20
        receipt = self._send(self._paymaster().functions.request(model_id, data, to, callback_gas_limit))
        (event,) = self._paymaster().events.PointsPaymasterRequested().process_receipt(receipt, errors=DISCARD)
        return int(event.args.requestId), int(event.args.points), receipt

    def refund(self, request_id: int) -> tuple[int, Any]:
        """Refunds a missed points request's points to its user (anyone may); ``(points, receipt)``."""
        receipt = self._send(self._paymaster().functions.refund(request_id))
        (event,) = self._paymaster().events.PointsPaymasterRefunded().process_receipt(receipt, errors=DISCARD)
        return int(event.args.points), receipt

    # ------------------------------------------------------------ plumbing

    def _paymaster(self) -> Any:
        if self.paymaster is None:
            raise InputError(f"the REX deployment {self.record.path} has no points paymaster; deploy one with "
                             "`zkrevox deploy --new` on a local chain")
        return self.paymaster

    @staticmethod
    def _check_amount(amount: int) -> None:
        if amount <= 0:
            raise InputError(f"amount {amount} must be positive")

    def _call(self, fn: Any) -> Any:
        try:
            return fn.call()
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise self._reverted(exc, fn.fn_name) from None
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainError(f"{fn.fn_name} call to {fn.address} failed: {exc}") from None

    def _send(self, fn: Any, *, value: int = 0) -> Any:
        if self.account is None:
            raise ChainError("this client has no account; pass one to send transactions")
        sender = self.account.address
        tx: dict[str, Any] = {"from": sender, "value": value, "chainId": int(self.w3.eth.chain_id),
                              "nonce": self.w3.eth.get_transaction_count(sender, "pending"), **fee_fields(self.w3)}
        try:
            tx["gas"] = int(fn.estimate_gas({"from": sender, "value": value}) * GAS_MARGIN) + GAS_HEADROOM
            built = fn.build_transaction(tx)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            raise self._reverted(exc, fn.fn_name) from None
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainError(f"{fn.fn_name} could not be prepared: {exc}") from None
        try:
            tx_hash = self.w3.eth.send_raw_transaction(self.account.sign_transaction(built).raw_transaction)
            receipt = self.w3.eth.wait_for_transaction_receipt(tx_hash, timeout=RECEIPT_TIMEOUT_S, poll_latency=0.1)
        except (Web3Exception, ValueError, OSError) as exc:
            raise ChainError(f"{fn.fn_name} transaction failed: {exc}") from None
        if receipt["status"] != 1:
            raise self._mined_revert(fn, built, receipt)
        return receipt

    def _mined_revert(self, fn: Any, tx: dict[str, Any], receipt: Any) -> RevertedError:
        """Replays a mined, reverted transaction as a call on the state before its block for its error."""
        used, limit = int(receipt["gasUsed"]), int(tx["gas"])
        name: str | None = None
        args: dict[str, Any] = {}
        text = f"out of gas ({used} of {limit})" if used >= limit else "reason not recovered"
        call: Any = {k: tx[k] for k in ("from", "to", "data", "value", "gas") if k in tx}
        try:
            self.w3.eth.call(call, block_identifier=receipt["blockNumber"] - 1)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            name, args, text = self.errors.describe(revert_data(exc))
        except (Web3Exception, ValueError, OSError):
            pass
        return RevertedError(f"{fn.fn_name} transaction {_tx(receipt)} reverted on-chain (gas used {used}): {text}",
                             error_name=name, error_args=args, tx_hash=_tx(receipt), gas_used=used)

    def _reverted(self, exc: BaseException, what: str) -> RevertedError:
        name, args, text = self.errors.describe(revert_data(exc))
        if name is None:
            text = f"{exc}"
        return RevertedError(f"{what} reverted: {text}", error_name=name, error_args=args)


def _tx(receipt: Any) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()
