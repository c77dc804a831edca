"""What the watcher needs besides its loop: the clock it decides with, what a dispute is expected to
earn, and the submitter that sends ``dispute`` (``zkrevox.node.watch``).

**Time.** A dispute is judged by the timestamp of the block that mines it, which is at least the
latest block's and, on a live chain, about the wall clock. The last block alone goes stale when no
blocks come (anvil between transactions, a stalled chain), so :class:`ChainClock` reads the wall clock
and checks it against the chain: ``now = max(wall + offset, latest block's timestamp)``, where
``offset`` is how far the chain's clock ran ahead of the wall clock when the newest block appeared (a
dev chain moved forward with ``evm_increaseTime``). A chain whose clock is behind the wall clock only
makes the watcher more careful (windows look nearer their end); either way a gap over
:data:`CLOCK_WARN_S` is logged.

**Profit.** ``expected_profit``: the disputer's share of the bond, ⌈min(answerBond, stake)/2⌉, valued
in native wei (the deployment record's declared stake price; 1:1 for the native coin), plus what
the requester's escrow pays for the consumer's callback on a dispute, less the dispute's gas at the
current gas price.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from typing import Any

from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from zkrevox.chain.economics import value_wei
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.revert import RevertedError
from zkrevox.node.jobs import Job, State
from zkrevox.node.logs import event
from zkrevox.node.store import StaleJobError
from zkrevox.node.submitter import GAS_MARGIN, Submitter

log = logging.getLogger("zkrevox.node.watch")

CLOCK_WARN_S = 30.0
CALLBACK_OVERHEAD_GAS = 15_000  # DPrompt.CALLBACK_OVERHEAD_GAS: paid with the callback's gas


class ChainClock:
    """Chain time now, from the wall clock checked against the latest block (see the module notes)."""

    def __init__(self, wall: Any = time.time) -> None:
        self._wall = wall
        self._offset = 0.0
        self._latest = 0
        self._warned = False

    def observe(self, block_timestamp: int) -> None:
        """Record the latest block's timestamp (read once per tick)."""
        ts = int(block_timestamp)
        if ts > self._latest:  # a new block: how far ahead of the wall clock its stamp is
            ahead = ts - self._wall()
            self._offset = max(0.0, ahead)
            if abs(ahead) > CLOCK_WARN_S and not self._warned:
                self._warned = True
                event(log, f"the chain's clock is {ahead:+.0f}s from this machine's: windows are judged by "
                      f"{'the chain' if ahead > 0 else 'the wall clock (the more careful)'}",
                      level=logging.WARNING, event="clock", ahead_s=ahead)
            self._latest = ts

    def now(self) -> float:
        return max(self._wall() + self._offset, float(self._latest))


@dataclass(frozen=True)
class Profit:
    """A dispute's expected outcome, native wei: ``income`` (bond share + callback refund) less ``cost``."""

    share: int  # the disputer's half of the bond, in the stake asset
    share_wei: int  # ... valued in native wei
    callback_wei: int  # the callback's cost paid by the requester's escrow to the disputer
    gas: int
    gas_price: int

    @property
    def cost(self) -> int:
        return self.gas * self.gas_price

    @property
    def net(self) -> int:
        return self.share_wei + self.callback_wei - self.cost

    def describe(self, native: str = "ETH") -> str:
        return (f"expected profit {self.net / 1e18:+.6f} {native} (bond share {self.share_wei / 1e18:.6f}"
                + (f" + callback {self.callback_wei / 1e18:.6f}" if self.callback_wei else "")
                + f" less ~{self.gas:,} gas × {self.gas_price / 1e9:g} gwei)")


def expected_profit(bond: int, stake: int | None, stake_price_wei: int, gas: int, gas_price: int,
                    callback_gas_limit: int = 0, escrow: int = 0) -> Profit:
    """What disputing an answer is expected to earn (see the module notes); ``gas`` includes the callback's,
    which DPrompt pays back from ``escrow`` (the requester's payment beyond the optimistic fee)."""
    slashed = bond if stake is None else min(bond, stake)
    share = slashed - slashed // 2
    callback = min((callback_gas_limit + CALLBACK_OVERHEAD_GAS) * gas_price, escrow) if callback_gas_limit else 0
    return Profit(share, value_wei(share, stake_price_wei), callback, gas, gas_price)


class DisputeSubmitter(Submitter):
    """The node's submitter, sending ``dispute`` instead of ``fulfil`` and reading its outcome."""

    def __init__(self, watcher: Any, *args: Any) -> None:
        super().__init__(*args)
        self.watcher = watcher

    def send_unit(self, members: list[Job]) -> list[Job]:
        job = members[0]
        fn = self.unit_fn(members)
        try:
            estimate = int(fn.estimate_gas({"from": self.account.address}))
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            return [self.watcher.refused(job, self.client.revert_error(exc, "dispute"), None, None)]
        if not self.watcher.worth_sending(job, estimate):
            return [self.store.get(job.request_id) or job]
        sent = self.record_and_send(members, fn, int(estimate * GAS_MARGIN), State.PROVED, State.SUBMITTED)
        self.metrics.disputed.inc()
        return sent

    def unit_fn(self, members: list[Job]) -> Any:
        proof, outputs = self._proof(members[0])
        return self.client.contract.functions.dispute(members[0].request_id, proof.proof_bytes, outputs)

    def _proof(self, job: Job) -> tuple[ChainProof, list[int]]:
        proof = ChainProof.from_file(job.proof_path)  # type: ignore[arg-type]
        return proof, proof.outputs(self.watcher.models[job.model_id].num_outputs)

    def on_receipt(self, members: list[Job], tx_hash: str, receipt: Any, head: int) -> None:
        self.watcher.receipt(members[0], tx_hash, receipt, head)

    def _broadcast(self, members: list[Job], raw: bytes, kind: str) -> list[Job]:
        """A dispute the RPC forgot (dropped, or a restart) is sent again only if the answer still stands:
        one overturned meanwhile by another disputer, or out of its window, is recorded without spending gas."""
        if kind == "rebroadcast":
            info = self.client.request_info(members[0].request_id)
            if info.status != "answered":
                self._next = None  # its nonce was never used: free for the next dispute
                why = RevertedError(f"our dispute was never mined and the request is {info.status} now")
                return [self.watcher.refused(members[0], why, None, None, info=info)]
        return super()._broadcast(members, raw, kind)

    def on_nonce_used(self, members: list[Job]) -> None:
        self._next = None
        self.watcher.nonce_used_elsewhere(members[0])


class DisputeOutcomes:
    """What the watcher does with a dispute's outcome (mixed into ``Watcher``: its store, metrics, models,
    client, account, config and w3)."""

    store: Any
    metrics: Any
    models: dict[int, Any]
    client: Any
    account: Any
    config: Any
    _w3: Any

    def receipt(self, job: Job, tx_hash: str, receipt: Any, head: int) -> None:
        if int(receipt["blockNumber"]) > head - self.config.confirmations:
            return
        gas = int(receipt["gasUsed"])
        if receipt["status"] != 1:
            tx = self._w3.eth.get_transaction(tx_hash)
            fields = {"from": self.account.address, "to": self.client.address, "data": tx["input"], "value": 0,
                      "gas": tx["gas"]}

            class _Fn:
                fn_name = "dispute"

            self.refused(job, self.client.mined_revert_error(_Fn(), fields, receipt), tx_hash, gas)
            return
        assert self.store is not None
        try:
            job = self.store.transition(job.request_id, State.CONFIRMED, expect=State.SUBMITTED, fulfil_tx=tx_hash,
                                        gas_used=gas, confirmed_at=time.time(), last_error=None,
                                        detail=f"overturned by our dispute tx {tx_hash} (gas {gas})")
        except StaleJobError:
            return
        self.metrics.fulfilled.inc()
        if (model := self.models.get(job.model_id)) is not None:
            model.dispute_gas = gas  # what the next profit estimate uses: our latest dispute of this model
        event(log, f"request {job.request_id}: submitted → confirmed: answer overturned by dispute tx {tx_hash} "
              f"(gas {gas})", request_id=job.request_id, state="confirmed", tx=tx_hash, gas_used=gas)

    def refused(self, job: Job, err: RevertedError, tx_hash: str | None, gas: int | None, *,
                info: Any = None) -> Job:
        """A dispute the contract refused (in simulation, or mined and reverted), or that can no longer be
        made: record why, never retry."""
        assert self.store is not None
        where = f" (tx {tx_hash}, gas {gas})" if tx_hash else " (not mined)"
        info = info or self.client.request_info(job.request_id)
        if err.error_name == "DPromptAnswerNotWrong":
            state, reason = State.SKIPPED, "correct"
        elif info.status == "overturned":
            state, reason = State.FAILED, "lost-race"
        elif info.status in ("finalizable", "fulfilled"):
            state, reason = State.FAILED, "window-passed"
        else:
            state, reason = State.FAILED, "reverted"
        why = f"dispute refused{where}: {err}; the request is {info.status}"
        job = self.store.transition(job.request_id, state, detail=why, reason=reason, last_error=why, gas_used=gas)
        self.metrics.failed.labels(reason).inc()
        event(log, f"request {job.request_id}: {state} ({reason}): {why}", level=logging.WARNING,
              request_id=job.request_id, state=str(state), reason=reason)
        return job

    def nonce_used_elsewhere(self, job: Job) -> None:
        """Our dispute's nonce went to another transaction: send it again if the answer still stands."""
        assert self.store is not None
        info = self.client.request_info(job.request_id)
        why = f"nonce {job.nonce} was used by another transaction"
        if info.status == "answered":
            self.store.transition(job.request_id, State.PROVED, expect=State.SUBMITTED, nonce=None, tx_hashes=[],
                                  raw_tx=None, attempts=job.attempts + 1, last_error=why,
                                  detail=f"{why}; sending again")
            return
        self.refused(job, RevertedError(why), None, None)


