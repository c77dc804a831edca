"""Clients of ``CommandAgent`` (verifier-contracts/src/examples/CommandAgent.sol): ask it, read its
``Command`` events, and turn their two bitmaps into words.

A ``Command(askId, intents, tickers)`` carries two proven answers about one prompt: ``intents`` from
the intent model, ``tickers`` from the ticker model, each a bitmap whose bit i is label i of that
model's ``models/<name>/labels.json``. :func:`decode` maps a bitmap to label names; :func:`render`
writes one line such as ``SWAP BNB→CAKE``. The rendering rule:

- the intents, in label order, joined by ``+`` (``SWAP+PORTFOLIO``); ``NONE`` when there is none;
- then, after one space, the tickers in the order the prompt first mentions them (a ticker is
  mentioned where a word of the prompt equals its symbol or, for a multi-word name, where the name
  starts, case-insensitively; ``aliases`` adds spellings per label); tickers the prompt never spells
  out (a typo the model still read) follow in label order;
- joined by ``→`` when the intents include SWAP or BRIDGE (from → to, as the prompt says them),
  else by ``,``; no ticker, no second part.

So ``"swap 2 bnb for cake"`` with intents {SWAP} and tickers {BNB, CAKE} renders ``SWAP BNB→CAKE``,
and ``"check my eth balance and swap half to usdc"`` with {SWAP, PORTFOLIO} and {ETH, USDC}
renders ``SWAP+PORTFOLIO ETH→USDC``.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cache
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3
from web3.logs import DISCARD

from zkrevox.chain.paths import repo_root
from zkrevox.chain.solc import project_contracts
from zkrevox.errors import ArtifactError, ChainError, InputError

MOVES = ("SWAP", "BRIDGE")  # intents whose tickers read from → to
_WORD = re.compile(r"[a-z0-9$]+")


@cache
def model_labels(model: str) -> tuple[str, ...]:
    """The label names of ``models/<model>/labels.json`` in output order (bit i of an answer is label i).

    Raises ``ArtifactError`` naming the file if it is missing or malformed."""
    path = repo_root() / "models" / model / "labels.json"
    try:
        labels = json.loads(path.read_text())["labels"]
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise ArtifactError(f"cannot read the labels of model {model!r} from {path} ({exc}); "
                            f"restore it from git or run `zkrevox train {model}`") from None
    if not isinstance(labels, list) or not all(isinstance(x, str) for x in labels):
        raise ArtifactError(f"{path}: \"labels\" must be a list of names")
    return tuple(labels)


def decode(bitmap: int, labels: Sequence[str]) -> list[str]:
    """The names of the set bits of ``bitmap`` (bit i: ``labels[i]``), in label order.

    Raises ``InputError`` if a bit at or above ``len(labels)`` is set (the bitmap is not this model's)."""
    if bitmap < 0:
        raise InputError(f"an answer bitmap is a non-negative integer, got {bitmap}")
    if bitmap >> len(labels):
        raise InputError(f"answer bitmap {bitmap:#x} sets bit {bitmap.bit_length() - 1}, but the model has only "
                         f"{len(labels)} labels: decode it with the labels of the model that answered")
    return [name for i, name in enumerate(labels) if bitmap >> i & 1]


def mention_order(tickers: Sequence[str], prompt: str | bytes | None,
                  aliases: Mapping[str, Sequence[str]] | None = None) -> list[str]:
    """``tickers`` sorted by where ``prompt`` first mentions each (see the module's rule); those it
    never spells out keep their given order, after the others."""
    if prompt is None:
        return list(tickers)
    text = prompt.decode("utf-8", "replace") if isinstance(prompt, bytes) else prompt
    words = _WORD.findall(text.lower())

    def first(label: str) -> int | None:
        spellings = [label.lower(), *(a.lower() for a in (aliases or {}).get(label, ()))]
        hits = []
        for spelling in spellings:
            parts = _WORD.findall(spelling)
            n = len(parts)
            hits += [i for i in range(len(words) - n + 1) if n and words[i:i + n] == parts]
        return min(hits) if hits else None

    found = [(pos, k) for k, t in enumerate(tickers) if (pos := first(t)) is not None]
    order = [tickers[k] for _, k in sorted(found)]
    return order + [t for t in tickers if t not in order]


def render(intents: Sequence[str], tickers: Sequence[str], prompt: str | bytes | None = None,
           aliases: Mapping[str, Sequence[str]] | None = None) -> str:
    """One line for a command: ``SWAP BNB→CAKE`` (the rule is in the module docstring)."""
    head = "+".join(intents) if intents else "NONE"
    if not tickers:
        return head
    joiner = "→" if any(i in MOVES for i in intents) else ","
    return f"{head} {joiner.join(mention_order(tickers, prompt, aliases))}"


@dataclass(frozen=True)
class Command:
    """A ``Command`` event, decoded."""

    ask_id: int
    intents_bitmap: int
    tickers_bitmap: int
    intents: tuple[str, ...]
    tickers: tuple[str, ...]
    tx_hash: str
    block: int

    def render(self, prompt: str | bytes | None = None, aliases: Mapping[str, Sequence[str]] | None = None) -> str:
        return render(self.intents, self.tickers, prompt, aliases)


class CommandAgentClient:
    """A deployed ``CommandAgent``: ``quote``, ``ask``, ``commands``, ``ask_state``, ``reclaim``.

    ``intent_labels``/``ticker_labels``: the label names of the two models (default: read from
    ``models/intent`` and ``models/ticker``)."""

    def __init__(self, w3: Web3, address: str, *, intent_labels: Sequence[str] | None = None,
                 ticker_labels: Sequence[str] | None = None) -> None:
        self.w3 = w3
        self.contract = w3.eth.contract(address=Web3.to_checksum_address(address),
                                        abi=project_contracts()["CommandAgent"].abi)
        self._intent_labels = tuple(intent_labels) if intent_labels is not None else None
        self._ticker_labels = tuple(ticker_labels) if ticker_labels is not None else None

    @property
    def address(self) -> str:
        return str(self.contract.address)

    @property
    def intent_labels(self) -> tuple[str, ...]:
        return self._intent_labels if self._intent_labels is not None else model_labels("intent")

    @property
    def ticker_labels(self) -> tuple[str, ...]:
        return self._ticker_labels if self._ticker_labels is not None else model_labels("ticker")

    def quote(self, gas_price: int) -> int:
        """Wei ``ask`` takes at ``gas_price`` (both models' fees and callback gas)."""
        intent, ticker = self.contract.functions.quote(gas_price).call()
        return int(intent) + int(ticker)

    def ask(self, account: LocalAccount, prompt: str | bytes, *, value: int | None = None,
            gas_price: int | None = None) -> tuple[int, Any]:
        """Send ``ask(prompt)`` as ``account`` paying ``value`` (default: the quote); returns
        ``(askId, receipt)``. Raises ``ChainError`` if it reverts."""
        data = prompt.encode() if isinstance(prompt, str) else bytes(prompt)
        price = gas_price if gas_price is not None else int(self.w3.eth.gas_price)
        pay = self.quote(price) if value is None else value
        fn: Any = self.contract.functions.ask(data)  # as DPromptClient._send: web3's TxParams/sign types disagree
        tx = fn.build_transaction({"from": account.address, "value": pay, "gasPrice": price,
                                   "nonce": self.w3.eth.get_transaction_count(account.address, "pending")})
        receipt = self.w3.eth.wait_for_transaction_receipt(
            self.w3.eth.send_raw_transaction(account.sign_transaction(tx).raw_transaction))
        if receipt["status"] != 1:
            raise ChainError(f"CommandAgent.ask reverted (tx 0x{bytes(receipt['transactionHash']).hex()})")
        (event,) = self.contract.events.CommandAsked().process_receipt(receipt, errors=DISCARD)
        return int(event.args.askId), receipt

    def ask_state(self, ask_id: int) -> dict[str, Any]:
        asker, intents, tickers, intents_in, tickers_in, refunded = self.contract.functions.askState(ask_id).call()
        return {"asker": asker, "intents": intents, "tickers": tickers, "intents_in": intents_in,
                "tickers_in": tickers_in, "refunded": refunded}

    def commands(self, *, from_block: int = 0, to_block: int | str = "latest", receipt: Any = None) -> list[Command]:
        """The ``Command`` events of ``receipt``, or of the block range, decoded with the models' labels."""
        if receipt is not None:
            events = self.contract.events.Command().process_receipt(receipt, errors=DISCARD)
        else:
            events = self.contract.events.Command().get_logs(from_block=from_block, to_block=to_block)
        return [self.decode_event(e) for e in events]

    def decode_event(self, event: Any) -> Command:
        a = event.args
        return Command(int(a.askId), int(a.intents), int(a.tickers),
                       tuple(decode(int(a.intents), self.intent_labels)),
                       tuple(decode(int(a.tickers), self.ticker_labels)),
                       "0x" + bytes(event.transactionHash).hex(), int(event.blockNumber))
