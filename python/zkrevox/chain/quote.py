"""What a request costs before it is sent, and the base fee above which its provider may decline it.

A proven request pays its provider the payment less the developer's cut; answering it costs the
model's stated fulfil gas (plus a callback's limit and DPrompt's 15,000 around it) at the chain's
price. Above the base fee at which that cost exceeds the pay, the provider may ``decline`` it
(verifier-contracts/README.md, "Who pays for gas"): the requester's whole payment is credited back
and nothing is slashed. A requester that wants its answer at higher prices pays more.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from zkrevox.chain.client import DPromptClient

CALLBACK_OVERHEAD_GAS = 15_000  # ModelRegistry.CALLBACK_OVERHEAD_GAS


@dataclass(frozen=True)
class Quote:
    """Wei amounts of one request, at the chain's current prices."""

    payment_wei: int  # sent with the request: the model fee (or more), plus the callback's gas
    request_gas: int  # the request transaction's estimated gas
    gas_price_wei: int  # the price the request transaction is sent at
    total_wei: int  # payment + request gas at that price: what the requester's balance loses
    fulfilment_gas: int  # what answering it is priced at (model's fulfil gas + callback + overhead)
    pays_provider_wei: int  # payment less the developer's cut
    base_fee_wei: int  # the chain's base fee now (0 before EIP-1559)
    decline_above_base_fee_wei: int | None  # the provider may decline above this base fee; None: optimistic

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def fulfilment_gas(fulfil_gas: int, callback_gas_limit: int) -> int:
    """Gas a fulfilment is priced at: ``ModelRegistry.fulfilmentGas``."""
    return fulfil_gas + (callback_gas_limit + CALLBACK_OVERHEAD_GAS if callback_gas_limit else 0)


def quote_request(client: DPromptClient, model_id: int, prompt: bytes, *, payment: int, optimistic: bool = False,
                  callback_gas_limit: int = 0) -> Quote:
    """The :class:`Quote` of requesting ``prompt`` from ``model_id`` with ``payment`` wei, from
    ``client``'s account, at the chain's current prices (the request is simulated, not sent)."""
    info = client.model(model_id)
    fn: Any = (client.contract.functions.requestOptimistic(model_id, prompt, callback_gas_limit) if optimistic
               else client.contract.functions.request(model_id, prompt))
    sender = client.account.address if client.account is not None else None
    try:
        gas = int(fn.estimate_gas({"from": sender, "value": payment})) if sender else 0
    except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:  # e.g. a prompt over the limit
        raise client.revert_error(exc, fn.fn_name) from None
    block = client.w3.eth.get_block("latest")
    base_fee = int(block.get("baseFeePerGas") or 0)
    price = int(client.w3.eth.gas_price)
    units = fulfilment_gas(info.fulfil_gas, callback_gas_limit)
    cut = info.fee * info.developer_share_bps // 10_000
    pays = payment - cut
    return Quote(payment, gas, price, payment + gas * price, units, pays, base_fee,
                 None if optimistic else pays // units)
