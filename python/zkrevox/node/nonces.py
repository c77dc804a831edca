"""Nonce gaps: a nonce that no transaction will ever use stalls every later one of the account.

A fulfilment is given a nonce when it is signed. If it then can never be sent (the RPC refuses
it for good and the job is failed) while fulfilments with higher nonces are already out, the
chain's pending nonce stays below the lowest nonce in flight and nothing above it is mined.

``GapFiller.step`` notices that (the account's pending nonce below the lowest nonce recorded in
flight, for ``gap_grace`` seconds: a transaction that is merely slow to reach the RPC node is
not a gap) and fills each missing nonce with a 0-value transfer to the account itself. A filler
is recorded in the job store before it is broadcast, like a fulfilment, so a crash leaves it
known: it is tracked until its nonce is mined (by it, or by anything else), broadcast again if
the RPC node forgot it, and replaced with higher fees if it stays unmined for ``bump_after``.
"""

from __future__ import annotations

import logging
import time
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from zkrevox.chain.networks import fee_fields
from zkrevox.node.config import NodeConfig
from zkrevox.node.jobs import IN_FLIGHT, Filler
from zkrevox.node.logs import event
from zkrevox.node.metrics import NodeMetrics
from zkrevox.node.rpc import hexstr, in_pool, mined_receipt
from zkrevox.node.store import JobStore
from zkrevox.node.submitter import bumped_fees

log = logging.getLogger("zkrevox.node.nonces")

TRANSFER_GAS = 21_000


class GapFiller:
    def __init__(self, w3: Web3, account: LocalAccount, store: JobStore, metrics: NodeMetrics, config: NodeConfig,
                 chain_id: int) -> None:
        self.w3 = w3
        self.account = account
        self.store = store
        self.metrics = metrics
        self.config = config
        self.chain_id = chain_id
        self._gap_since: float | None = None

    def nonces(self) -> list[int]:
        """Nonces held by fillers in flight (the submitter allocates above them)."""
        return [f.nonce for f in self.store.fillers()]

    def step(self) -> None:
        """Track the fillers in flight; detect a gap below the lowest nonce in flight and fill it."""
        fillers = self.store.fillers()
        inflight = [j.nonce for j in self.store.jobs(IN_FLIGHT) if j.nonce is not None]
        if not fillers and not inflight:
            self._gap_since = None
            return
        address = self.account.address
        mined = int(self.w3.eth.get_transaction_count(address, "latest"))
        for filler in fillers:
            self._track(filler, mined)
        held = inflight + [f.nonce for f in self.store.fillers()]
        pending = int(self.w3.eth.get_transaction_count(address, "pending"))
        lowest = min(held, default=pending)
        if pending >= lowest:
            self._gap_since = None
            return
        now = time.monotonic()
        if self._gap_since is None:
            self._gap_since = now
        if now - self._gap_since < self.config.gap_grace:
            return
        self._gap_since = None
        for nonce in range(pending, lowest):
            self._fill(nonce)

    def _fill(self, nonce: int) -> None:
        fees = {"gas": TRANSFER_GAS, **fee_fields(self.w3), "bumps": 0}
        raw, tx_hash = self._sign(nonce, fees)
        self.store.record_filler(Filler(nonce, [tx_hash], raw.hex(), fees, time.time()))
        self.metrics.gaps_filled.inc()
        event(log, f"nonce gap: nonce {nonce} is used by no transaction and stalls every later one; filling it "
              f"with a 0-value self-transfer (tx {tx_hash})", level=logging.WARNING, event="nonce-gap", nonce=nonce,
              tx=tx_hash)
        self._broadcast(raw)

    def _track(self, filler: Filler, mined: int) -> None:
        if filler.nonce < mined:
            outcome = "mined" if any(mined_receipt(self.w3, h) is not None for h in filler.tx_hashes) else "superseded"
            self.store.settle_filler(filler.nonce, outcome)
            event(log, f"nonce {filler.nonce}: gap closed ({outcome})", event="nonce-gap-closed", nonce=filler.nonce,
                  outcome=outcome)
            return
        if not any(in_pool(self.w3, h) for h in filler.tx_hashes):
            self._broadcast(bytes.fromhex(filler.raw_tx))
        elif time.time() - filler.sent_at >= self.config.bump_after and \
                filler.fees.get("bumps", 0) < self.config.max_bumps:
            fees = bumped_fees(filler.fees, fee_fields(self.w3), self.config.bump_factor)
            raw, tx_hash = self._sign(filler.nonce, fees)
            self.store.record_filler(Filler(filler.nonce, [*filler.tx_hashes, tx_hash], raw.hex(), fees, time.time()))
            self._broadcast(raw)

    def _sign(self, nonce: int, fees: dict[str, int]) -> tuple[bytes, str]:
        tx: dict[str, Any] = {"to": self.account.address, "value": 0, "nonce": nonce, "chainId": self.chain_id,
                              **{k: v for k, v in fees.items() if k != "bumps"}}
        signed = self.account.sign_transaction(tx)
        return bytes(signed.raw_transaction), hexstr(signed.hash)

    def _broadcast(self, raw: bytes) -> None:
        try:
            self.w3.eth.send_raw_transaction(raw)
        except (OSError, TimeoutError):
            raise  # the node's loop backs off; the filler is recorded and sent again next time
        except Exception as exc:
            text = str(exc).lower()
            if "already known" in text or "known transaction" in text or "nonce too low" in text:
                return
            event(log, f"a nonce-gap filler was refused ({exc}); trying again next tick", level=logging.WARNING,
                  event="nonce-gap", error=str(exc))
            return
        self.metrics.transactions.labels("gap-filler").inc()

