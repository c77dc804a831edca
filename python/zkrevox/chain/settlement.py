"""Missed requests: which of a provider's requests are still pending, and settling an expired one.

After a request's deadline anyone may settle it (``DPrompt.reclaim``): the requester's whole payment
becomes its credit (a pull payment, so a consumer contract with no reclaim function of its own is
still refunded), ``slashBps`` of the provider's stake is burned, and the provider's pending count
drops, so a missed request never locks a stake for good. Deadlines are read from storage
(``requestState``), never from the request event.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from zkrevox.chain.client import DPromptClient, RequestInfo
from zkrevox.errors import InputError


@dataclass(frozen=True)
class Settlement:
    """A settled missed request: the refund credited to its requester and the stake burned."""

    request_id: int
    requester: str
    provider: str
    refund_wei: int
    slashed: int  # in the stake asset's smallest unit
    tx: str


def open_requests(client: DPromptClient, model_id: int, provider: str, *, from_block: int = 0) -> list[RequestInfo]:
    """Requests of ``model_id`` assigned to ``provider`` that still hold its stake (pending or expired,
    as storage says), oldest first, found from the request events since ``from_block``."""
    events = client.requested_events(from_block, client.w3.eth.block_number, provider=provider)
    infos = (client.request_info(e.request_id) for e in events if e.model_id == model_id)
    return [i for i in infos if i.status in ("pending", "expired")]


def settle(client: DPromptClient, request_id: int) -> Settlement:
    """Settles expired request ``request_id`` from ``client``'s account (any account may).

    Raises :class:`InputError` naming the request's state when it is not expired (still within its
    deadline, answered, or already settled)."""
    info = client.request_info(request_id)
    if info.status == "pending":
        raise InputError(f"request {request_id} is pending: it can be settled only after its deadline "
                         f"(unix time {info.deadline}), if still unanswered")
    if info.status != "expired":
        raise InputError(f"request {request_id} is {info.status}: only a request still pending after its "
                         "deadline can be settled")
    receipt: Any = client.reclaim(request_id)
    (event,) = client.contract.events.DPromptReclaimed().process_receipt(receipt)
    return Settlement(request_id, event.args.requester, event.args.provider, int(event.args.refund),
                      int(event.args.slashed), "0x" + bytes(receipt["transactionHash"]).hex())
