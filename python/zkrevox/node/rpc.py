"""The node's RPC connection: a short time-out and no hidden retries.

web3's HTTP provider retries failed requests itself (five times, with sleeps) by default. The
node has its own policy (``retry.Backoff``, per-job attempts, health reporting), so the
provider's is switched off: a fault surfaces at once and is counted, logged and retried in one
place. Connection reuse is kept (one ``requests`` session).
"""

from __future__ import annotations

from typing import Any

import requests
from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import TransactionNotFound

DEFAULT_RPC_TIMEOUT_S = 10.0
_SESSION_ATTR = "_zkrevox_session"


def connect_node(url: str, timeout: float = DEFAULT_RPC_TIMEOUT_S) -> Web3:
    """A ``Web3`` for ``url`` that fails fast (``timeout`` seconds per request, no provider retries).

    Nothing is sent yet: the first call tells whether the endpoint answers. The HTTP session is
    the node's own: ``close_node(w3)`` closes its connections.
    """
    session = requests.Session()
    provider = Web3.HTTPProvider(url, request_kwargs={"timeout": timeout}, session=session,
                                 exception_retry_configuration=None)
    w3 = Web3(provider)
    setattr(w3, _SESSION_ATTR, session)
    return w3


def close_node(w3: Web3 | None) -> None:
    """Close the HTTP connections of a ``Web3`` made by ``connect_node``."""
    session = getattr(w3, _SESSION_ATTR, None)
    if session is not None:
        session.close()


def hexstr(value: Any) -> str:
    """``0x``-prefixed lower-case hex of a hash or bytes value as web3 returns them."""
    if isinstance(value, str):
        return value.lower() if value.startswith("0x") else "0x" + value.lower()
    return "0x" + bytes(value).hex()


def mined_receipt(w3: Web3, tx_hash: str) -> Any | None:
    """The receipt of ``tx_hash``, or None while it is not mined (or unknown to the node)."""
    try:
        return w3.eth.get_transaction_receipt(HexStr(tx_hash))
    except TransactionNotFound:
        return None


def in_pool(w3: Web3, tx_hash: str) -> bool:
    """True when the RPC node knows ``tx_hash`` (pending or mined); False when it forgot or never saw it."""
    try:
        w3.eth.get_transaction(HexStr(tx_hash))
    except TransactionNotFound:
        return False
    return True
