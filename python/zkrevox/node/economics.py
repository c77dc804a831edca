"""A node never sends a fulfilment at a loss (issue 18, 1b; verifier-contracts/README.md, "Who pays for gas").

A unit's fulfilment pays the provider what its members paid less the developer's cut; it costs its
gas times the price the transaction pays. So the price per gas is capped at ``pays // gas`` (the
break-even): every fee field of a fulfilment, and of each of its fee bumps, stays at or below it.
When the chain's base fee alone is above it, no fee can make the fulfilment pay; the node then
``decline``s each request instead (refunded to the requester in full, no slash; the contract
accepts it only when the request's pay is below its fulfil gas at that base fee).
"""

from __future__ import annotations

from typing import Any


def break_even(pays_wei: int, gas: int) -> int:
    """Highest price per gas (wei) at which ``gas`` costs no more than ``pays_wei``."""
    return pays_wei // max(gas, 1)


def capped(fees: dict[str, int], cap: int | None) -> dict[str, int]:
    """``fees`` (``gasPrice``, or EIP-1559 ``maxFeePerGas``/``maxPriorityFeePerGas``) with every price at
    most ``cap`` (None: unchanged); the cap is kept in the dict (``cap``) so replacements keep it."""
    if cap is None:
        return dict(fees)
    out = dict(fees, cap=cap)
    if "gasPrice" in out:
        out["gasPrice"] = min(out["gasPrice"], cap)
    else:
        out["maxFeePerGas"] = min(out["maxFeePerGas"], cap)
        out["maxPriorityFeePerGas"] = min(out["maxPriorityFeePerGas"], out["maxFeePerGas"])
    return out


def tx_fields(fees: dict[str, Any]) -> dict[str, Any]:
    """The transaction fields of recorded ``fees`` (without the bookkeeping keys ``bumps`` and ``cap``)."""
    return {k: v for k, v in fees.items() if k not in ("bumps", "cap")}


def at_a_loss(base_fee: int | None, cap: int) -> bool:
    """True when the base fee alone exceeds the break-even price: no transaction can pay."""
    return base_fee is not None and base_fee > cap
