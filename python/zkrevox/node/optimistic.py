"""Optimistic requests: answered at once with a predicted bitmap (no proof), finalized after the
model's challenge window, in batches, so the provider is paid.

A request's mode is read from the chain once (``request_info(id).optimistic``) and kept on its job.
A proven request goes on as before (``pipeline``). An optimistic one assigned to this provider is
predicted in this process (the model's witness: milliseconds, no proof) and its answer goes out
through the submitter's discipline like a fulfilment: signed, recorded (``submitted``, with its
nonce, hash and raw bytes), then broadcast; re-broadcast, fee-bumped with the same nonce, settled
from its receipt. So a crash loses nothing and an answer is never posted twice (the contract
refuses a second one anyway).

Once mined the job is ``answered`` until its ``window_end`` (chain time) has passed; then up to
``FINALIZE_BATCH`` answered requests share one ``finalize`` transaction (``finalizing``, recorded
before broadcast). An answer overturned by a dispute meanwhile is recorded failed (reason
``overturned``: the bond is lost); one finalized by someone else is confirmed (paid all the same).
"""

from __future__ import annotations

import logging
import time
from typing import Any

from eth_typing import HexStr
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError
from web3.logs import DISCARD

from zkrevox.chain.revert import RevertedError
from zkrevox.node.admission import admit
from zkrevox.node.jobs import Job, State
from zkrevox.node.logs import event
from zkrevox.node.retry import is_transient
from zkrevox.node.settle import FULFILLED_TOPIC, REORG_RECHECK_S, who
from zkrevox.node.store import StaleJobError

log = logging.getLogger("zkrevox.node.optimistic")

FINALIZE_BATCH = 16  # answered requests per finalize transaction
FINALIZE_RETRY_S = 2.0  # a finalization refused in simulation is tried again this much later
GAS_MARGIN = 1.2


def answer_bitmap(outputs: list[int]) -> int:
    """The bitmap DPrompt records for ``outputs`` (signed ints): bit i set iff output i is > 0."""
    return sum(1 << i for i, v in enumerate(outputs) if v > 0)


class Optimistic:
    """The optimistic half of the pipeline (``Pipeline.step`` calls ``step`` before proving)."""

    def __init__(self, pipeline: Any) -> None:
        self.pipeline = pipeline
        self.chain = pipeline.chain
        self.store = pipeline.store
        self.submitter = pipeline.submitter
        self.config = pipeline.config
        self.metrics = pipeline.metrics
        self._prover: Any = None
        self.submitter.optimistic = self

    @property
    def me(self) -> str:
        return self.chain.account.address.lower()

    def predict(self, prompt: bytes) -> int:
        """The answer bitmap of ``prompt`` by the registered build of the model (a witness, no proof)."""
        if self._prover is None:
            from zkrevox import Prover

            # the local build the lane proves with (a model published under another name has its source's)
            self._prover = Prover.load(self.pipeline.proving.model, vk_sha256=self.chain.vks.get(1))
        return answer_bitmap(self._prover.predict(prompt).outputs)

    # ------------------------------------------------------------ answer

    def step(self, now: float) -> None:
        """``now``: chain time. Classify new requests, answer the optimistic ones, finalize those due."""
        for job in self.store.jobs([State.SEEN]):
            if job.optimistic is False or job.next_attempt_at > time.time():
                continue
            try:
                self._answer(job, now)
            except Exception as exc:
                if is_transient(exc):
                    raise
                self.pipeline.retry_or_fail(job, "answer", exc, State.SEEN)
        self.finalize()

    def _answer(self, job: Job, now: float) -> None:
        rid = job.request_id
        try:
            info = self.chain.client.request_info(rid)
        except RevertedError as err:
            if err.error_name != "DPromptUnknownRequest":
                raise
            self.store.update(rid, last_error="request is not on-chain (reorged out?); looked at again",
                              next_attempt_at=time.time() + REORG_RECHECK_S)
            return
        job = self.pipeline.take_in(job, info)  # its deadline as stored, its callback gas for planning
        if not info.optimistic:
            self.store.update(rid, optimistic=False)  # proven: the proving path takes it in this same tick
            return
        if job.optimistic is None:
            job = self.store.update(rid, optimistic=True)
        skip = admit(job, model_id=self.chain.model_id, model_name=self.config.model, spec=self.pipeline.spec,
                     now=now, needed=self.config.deadline_margin / 2)
        if skip is not None:
            self.pipeline.settle_unadmitted(job, skip)
            return
        if info.status != "pending" or info.provider.lower() != self.me:
            self._settle_status(job, info, "before answering")
            return
        bitmap = self.predict(job.prompt)
        self.store.transition(rid, State.PROVED, expect=State.SEEN, answer=bitmap,
                              detail=f"predicted answer {bitmap:#x} (optimistic: no proof)")
        event(log, f"request {rid}: seen → proved (optimistic, predicted {bitmap:#x})", request_id=rid,
              state="proved", optimistic=True, answer=bitmap)

    def send_answer(self, job: Job) -> Job:
        """Simulate, sign, record and broadcast ``answer(id, bitmap)`` of a predicted job."""
        fn = self.chain.client.contract.functions.answer(job.request_id, job.answer)
        try:
            gas = int(fn.estimate_gas({"from": self.chain.account.address}) * GAS_MARGIN)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            return self._refused(job, self.chain.client.revert_error(exc, "answer"), None, None)
        return self.submitter.record_and_send([job], fn, gas, State.PROVED, State.SUBMITTED)[0]

    # ------------------------------------------------------------ receipts

    def receipt(self, members: list[Job], tx_hash: str, receipt: Any, head: int) -> None:
        """A mined answer (``submitted``) or finalize (``finalizing``) transaction of ``members``."""
        if int(receipt["blockNumber"]) > head - self.config.confirmations:
            return  # mined, not yet deep enough
        gas = int(receipt["gasUsed"])
        if members[0].state == State.FINALIZING:
            self._finalized(members, tx_hash, receipt, gas)
            return
        job = members[0]
        if receipt["status"] != 1:
            tx = self.chain.w3.eth.get_transaction(HexStr(tx_hash))
            fields = {"from": self.chain.account.address, "to": self.chain.client.address, "data": tx["input"],
                      "value": 0, "gas": tx["gas"]}
            err = self.chain.client.mined_revert_error(_Named("answer"), fields, receipt)
            self._refused(job, err, tx_hash, gas)
            return
        window_end = self._window_end(receipt, job.request_id)
        blocks = int(receipt["blockNumber"]) - job.block_number
        try:
            job = self.store.transition(job.request_id, State.ANSWERED, expect=State.SUBMITTED, fulfil_tx=tx_hash,
                                        gas_used=gas, window_end=window_end, last_error=None,
                                        detail=f"answer tx {tx_hash}, gas {gas}, {blocks} block(s) after the "
                                               f"request; window ends {window_end}")
        except StaleJobError:
            return
        self.metrics.transactions.labels("answer-mined").inc()
        event(log, f"request {job.request_id}: submitted → answered (tx {tx_hash}, gas {gas}, block "
              f"{receipt['blockNumber']}: {blocks} block(s) after the request; final after {window_end})",
              request_id=job.request_id, state="answered", tx=tx_hash, gas_used=gas, answer_blocks=blocks,
              window_end=window_end)

    def _window_end(self, receipt: Any, rid: int) -> int:
        ev = self.chain.client.contract.events.DPromptAnswered()
        for entry in ev.process_receipt(receipt, errors=DISCARD):
            if int(entry.args.requestId) == rid:
                return int(entry.args.windowEnd)
        return int(self.chain.client.request_info(rid).window_end)

    def _refused(self, job: Job, err: RevertedError, tx_hash: str | None, gas: int | None) -> Job:
        """An answer the contract refused (in simulation or mined): what the request's status says."""
        info = self.chain.client.request_info(job.request_id)
        where = f" (tx {tx_hash}, gas {gas})" if tx_hash else " (refused in simulation; nothing sent)"
        if info.status == "pending" and info.provider.lower() == self.me:
            # e.g. DPromptStakeBelowBonds: the stake does not cover one more bond. A proof answers an
            # optimistic request too (final at once, no bond): prove it rather than let it expire.
            why = f"answer refused{where}: {err}; proving it instead"
            job = self.store.transition(job.request_id, State.SEEN, optimistic=False, answer=None, nonce=None,
                                        tx_hashes=[], raw_tx=None, gas_used=gas, last_error=why, detail=why)
            event(log, f"request {job.request_id}: {why}", level=logging.WARNING, request_id=job.request_id,
                  state="seen", error=err.error_name)
            return job
        return self._settle_status(job, info, f"answer refused{where}: {err}", gas=gas)

    def _settle_status(self, job: Job, info: Any, why: str, gas: int | None = None) -> Job:
        rid = job.request_id
        mine = info.provider.lower() == self.me
        if info.status in ("answered", "finalizable") and mine:
            tx = self.chain.client.answer_tx(rid, from_block=job.block_number)
            job = self.store.transition(rid, State.ANSWERED, fulfil_tx=tx, window_end=int(info.window_end),
                                        answer=int(info.answer) if info.answer else job.answer,
                                        detail=f"{why}; already answered on-chain by tx {tx}")
            event(log, f"request {rid}: {why}; already answered (tx {tx}): waiting for its window",
                  level=logging.WARNING, request_id=rid, state="answered")
            return job
        if info.status == "fulfilled":
            return self.submitter.settle.confirm_if_fulfilled(job, why)
        reason = {"overturned": "overturned", "expired": "deadline", "reclaimed": "reclaimed"}.get(
            info.status, "not-assigned" if not mine else "reverted")
        return self.submitter.settle.fail(job, reason, f"{why}; the request is {info.status}", None, gas_used=gas)

    def nonce_used_elsewhere(self, members: list[Job]) -> None:
        """The nonce of an answer or finalize transaction of ours was used by another transaction."""
        rep = members[0]
        why = f"nonce {rep.nonce} was used by another transaction"
        if rep.state == State.FINALIZING:
            self._back_to_answered(members, why)
            return
        info = self.chain.client.request_info(rep.request_id)
        if info.status == "pending" and info.provider.lower() == self.me:
            self.store.transition(rep.request_id, State.PROVED, expect=State.SUBMITTED, nonce=None, tx_hashes=[],
                                  raw_tx=None, attempts=rep.attempts + 1, last_error=why,
                                  detail=f"{why}; sending again")
            return
        self._settle_status(rep, info, why)

    # ------------------------------------------------------------ finalize

    def finalize(self) -> None:
        """Send one ``finalize`` for up to ``FINALIZE_BATCH`` answered requests whose window has passed."""
        wall = time.time()
        answered = [j for j in self.store.jobs([State.ANSWERED]) if j.next_attempt_at <= wall]
        if not answered:
            return
        # the next block's time: the latest block's, or the wall clock's if later (an idle chain that mines
        # only on transactions, e.g. anvil, stamps the next block with the current time)
        now = max(int(self.chain.w3.eth.get_block("latest")["timestamp"]), int(wall))
        due = sorted((j for j in answered if j.window_end is not None and j.window_end <= now),
                     key=lambda j: (j.window_end, j.request_id))
        ready: list[Job] = []
        for job in due:
            if len(ready) == FINALIZE_BATCH:
                break
            info = self.chain.client.request_info(job.request_id)
            if info.status == "finalizable" or (info.status == "answered" and info.window_end <= now):
                ready.append(job)
            elif info.status == "fulfilled":
                self._confirm(job, None, "finalized by another transaction (paid all the same)")
            elif info.status == "overturned":
                self.submitter.settle.fail(job, "overturned", "a dispute proved the answer wrong and replaced it: "
                                           "the answer bond was slashed", None)
            else:  # the chain's clock is behind ours: look again soon
                self.store.update(job.request_id, next_attempt_at=wall + FINALIZE_RETRY_S)
        if not ready:
            return
        ids = [j.request_id for j in ready]
        fn = self.chain.client.contract.functions.finalize(ids)
        try:
            gas = int(fn.estimate_gas({"from": self.chain.account.address}) * GAS_MARGIN)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            err = self.chain.client.revert_error(exc, "finalize")
            for j in ready:
                self.store.update(j.request_id, last_error=f"finalize: {err}", next_attempt_at=wall + FINALIZE_RETRY_S)
            early = err.error_name == "DPromptChallengeWindowOpen"  # the chain's clock is behind this machine's
            event(log, f"{who(ids)}: finalize refused in simulation ({err}); trying again in {FINALIZE_RETRY_S:g}s",
                  level=logging.INFO if early else logging.WARNING, request_ids=ids, event="finalize-refused")
            return
        self.submitter.record_and_send(ready, fn, gas, State.ANSWERED, State.FINALIZING, batch=ids)

    def _finalized(self, members: list[Job], tx_hash: str, receipt: Any, gas: int) -> None:
        if receipt["status"] != 1:
            self._back_to_answered(members, f"finalize tx {tx_hash} reverted (gas {gas})", backoff=True)
            return
        named = {int.from_bytes(bytes(e["topics"][1]), "big") for e in receipt["logs"]
                 if e["address"].lower() == self.chain.client.address.lower() and len(e["topics"]) > 1
                 and "0x" + bytes(e["topics"][0]).hex() == FULFILLED_TOPIC}
        others = []
        for m in members:
            if m.request_id in named:
                self._confirm(m, tx_hash, f"finalized by tx {tx_hash} (gas {gas} for {len(members)})")
            else:
                others.append(m)
        if others:
            self._back_to_answered(others, f"not finalized by its finalize tx {tx_hash}")

    def _back_to_answered(self, members: list[Job], why: str, *, backoff: bool = False) -> None:
        """Members of a finalization that did not finalize them: their status says what they became;
        those still finalizable are finalized again later."""
        for m in members:
            info = self.chain.client.request_info(m.request_id)
            if info.status == "fulfilled":
                self._confirm(m, None, f"{why}; finalized by another transaction")
            elif info.status == "overturned":
                self.submitter.settle.fail(m, "overturned", f"{why}; a dispute replaced the answer", None)
            else:
                delay = min(self.config.backoff_cap, self.config.backoff_base * 2 ** min(m.attempts, 10))
                with_backoff = {"attempts": m.attempts + 1, "next_attempt_at": time.time() + delay} if backoff else {}
                self.store.transition(m.request_id, State.ANSWERED, expect=State.FINALIZING, nonce=None,
                                      tx_hashes=[], raw_tx=None, batch=None, last_error=why,
                                      detail=f"{why}; finalized again later", **with_backoff)
        event(log, f"{who([m.request_id for m in members])}: {why}", level=logging.WARNING,
              request_ids=[m.request_id for m in members], event="finalize-again")

    def _confirm(self, job: Job, tx_hash: str | None, detail: str) -> None:
        try:
            job = self.store.transition(job.request_id, State.CONFIRMED, expect=job.state, finalize_tx=tx_hash,
                                        confirmed_at=time.time(), last_error=None, detail=detail)
        except StaleJobError:
            return
        self.metrics.fulfilled.inc()
        event(log, f"request {job.request_id}: answered → confirmed ({detail}; answer tx {job.fulfil_tx})",
              request_id=job.request_id, state="confirmed", tx=tx_hash, answer_tx=job.fulfil_tx)


class _Named:
    """What ``DPromptClient.mined_revert_error`` reads of a contract function: its name."""

    def __init__(self, fn_name: str) -> None:
        self.fn_name = fn_name

