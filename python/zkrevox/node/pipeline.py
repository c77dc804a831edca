"""One tick of work on the jobs: collect finished proofs, admit new requests and hand them to idle
workers, send the proved ones, track the ones in flight.

A fault that belongs to one request (a proof the circuit refuses, a request gone from the chain,
a damaged proof file) is recorded on it: attempts, last error, the time of its next attempt
(backoff with jitter), and after ``max_attempts`` the request is failed with a reason. A fault of
the RPC is raised to the node's loop, which backs off as a whole.
"""

from __future__ import annotations

import contextlib
import logging
import time

from zkrevox.chain.revert import RevertedError
from zkrevox.errors import InputError, ProofError, WitnessError
from zkrevox.featurize import FeatureSpec
from zkrevox.node.admission import Skip, admit, deadline_skip
from zkrevox.node.bootstrap import Chain
from zkrevox.node.config import NodeConfig
from zkrevox.node.jobs import Job, State
from zkrevox.node.logs import event
from zkrevox.node.metrics import NodeMetrics
from zkrevox.node.proving import Proving
from zkrevox.node.retry import Backoff, is_transient
from zkrevox.node.store import JobStore, StaleJobError
from zkrevox.node.submitter import REORG_RECHECK_S, InstancesMismatch, Submitter

log = logging.getLogger("zkrevox.node")

EWMA = 0.3  # weight of the newest proof in the expected prove time
FIRST_PROVE_GUESS_S = 5.0


class Pipeline:
    def __init__(self, chain: Chain, store: JobStore, proving: Proving, submitter: Submitter, metrics: NodeMetrics,
                 config: NodeConfig, spec: FeatureSpec, backoff: Backoff) -> None:
        self.chain = chain
        self.store = store
        self.proving = proving
        self.submitter = submitter
        self.metrics = metrics
        self.config = config
        self.spec = spec
        self.backoff = backoff
        self.expected_prove = FIRST_PROVE_GUESS_S

    def step(self, now: float, head: int, *, admit_new: bool = True) -> None:
        self.collect()
        if admit_new:
            self.dispatch(now)
        self.send(now)
        self.submitter.track(self.store.jobs([State.SUBMITTED]), head)

    def seen(self, job: Job) -> None:
        self.metrics.seen.inc()
        event(log, f"request {job.request_id}: seen (model {job.model_id}, block {job.block_number}, prompt "
              f"{job.prompt_text!r}, deadline {job.deadline})", request_id=job.request_id, state="seen",
              model_id=job.model_id, block=job.block_number, prompt=job.prompt_text)

    # ------------------------------------------------------------ admit and prove

    def dispatch(self, now: float) -> None:
        for job in self.store.claim(State.SEEN, State.PROVING, self.proving.free):
            try:
                self._admit(job, now)
            except Exception as exc:
                if is_transient(exc):  # the RPC failed: give the job back untouched, back off
                    with contextlib.suppress(StaleJobError):
                        self.store.transition(job.request_id, State.SEEN, expect=State.PROVING,
                                              detail=f"admission interrupted: {exc}")
                    raise
                # e.g. the request no longer exists on-chain (DPromptUnknownRequest after a reorg)
                self.retry_or_fail(job, "admit", exc, State.SEEN, permanent=isinstance(exc, RevertedError))

    def _admit(self, job: Job, now: float) -> None:
        rid, chain = job.request_id, self.chain
        if rid in self.proving.inflight:  # a proof of its previous prompt (before a reorg) is still running
            self.store.transition(rid, State.SEEN, expect=State.PROVING, detail="waiting for a stale proof to end",
                                  next_attempt_at=time.time() + 1)
            return
        skip = admit(job, model_id=chain.model_id, model_name=self.config.model, spec=self.spec, now=now,
                     needed=self.expected_prove + self.config.deadline_margin)
        if skip is None:
            try:
                info = chain.client.request_info(rid)
            except RevertedError as err:
                if err.error_name != "DPromptUnknownRequest":
                    raise
                why = "request is not on-chain (reorged out?); waiting for it to be mined again, until its deadline"
                self.store.transition(rid, State.SEEN, expect=State.PROVING, detail=why, last_error=why,
                                      next_attempt_at=time.time() + REORG_RECHECK_S)
                return
            if info.status == "fulfilled":
                self.submitter.confirm_if_fulfilled(job, "already fulfilled on-chain")
                return
            if info.status != "pending":
                reason = "deadline" if info.status == "expired" else info.status
                skip = Skip(reason, f"request is {info.status} on-chain; nothing to do")
            elif info.provider.lower() != chain.account.address.lower():
                skip = Skip("not-assigned", f"request is assigned to {info.provider}, not to this provider")
        if skip is not None:
            self.skip(job, skip)
            return
        self.proving.submit(rid, job.prompt.decode("utf-8"))
        self.metrics.claimed.inc()
        event(log, f"request {rid}: seen → proving", request_id=rid, state="proving", attempt=job.attempts + 1)

    def skip(self, job: Job, skip: Skip) -> None:
        self.store.transition(job.request_id, State.SKIPPED, detail=skip.message, reason=skip.reason,
                              last_error=skip.message)
        self.metrics.skipped.labels(skip.reason).inc()
        event(log, f"request {job.request_id}: skipped ({skip.reason}): {skip.message}", level=logging.WARNING,
              request_id=job.request_id, state="skipped", reason=skip.reason)

    def collect(self) -> None:
        for out in self.proving.collect():
            job = self.store.get(out.request_id)
            if job is None or job.state != State.PROVING:
                continue  # re-mined by a reorg meanwhile, or a chain reset: this proof is stale
            if out.error is None and out.proof is not None:
                seconds = float(out.proof.prove_seconds or out.seconds)
                self.store.transition(job.request_id, State.PROVED, expect=State.PROVING, detail=f"{seconds:.2f}s",
                                      proof_path=str(out.proof.path), prove_seconds=seconds, last_error=None)
                self.metrics.proved.inc()
                self.metrics.prove_seconds.observe(seconds)
                self.expected_prove = (1 - EWMA) * self.expected_prove + EWMA * seconds
                event(log, f"request {job.request_id}: proving → proved {out.proof.tickers} in {seconds:.2f}s",
                      request_id=job.request_id, state="proved", tickers=out.proof.tickers, prove_seconds=seconds)
                continue
            self.retry_or_fail(job, "prove", out.error, State.SEEN,
                               permanent=isinstance(out.error, (InputError, WitnessError)))

    # ------------------------------------------------------------ send

    def send(self, now: float) -> None:
        for job in self.store.jobs([State.PROVED]):
            if job.next_attempt_at > time.time():
                continue
            skip = deadline_skip(job, now, self.config.deadline_margin / 2)
            if skip is not None:
                self.skip(job, skip)
                continue
            try:
                self.submitter.send(job)
            except Exception as exc:
                if is_transient(exc):
                    raise
                # a proof the chain would not take, or a proof file gone or damaged: prove again
                back = State.SEEN if isinstance(exc, (InstancesMismatch, ProofError)) else State.PROVED
                self.retry_or_fail(job, "submit", exc, back)

    # ------------------------------------------------------------ retries

    def retry_or_fail(self, job: Job, step: str, exc: BaseException | None, back_to: State, *,
                      permanent: bool = False) -> None:
        """Count a failed attempt of ``step``; retry after a backoff, or fail the job with a reason."""
        attempts = job.attempts + 1
        error = f"{step}: {type(exc).__name__}: {exc}"
        if permanent or attempts >= self.config.max_attempts:
            reason = f"{step}-error"
            try:
                self.store.transition(job.request_id, State.FAILED, expect=job.state, detail=error, reason=reason,
                                      attempts=attempts, last_error=error)
            except StaleJobError:  # it moved on meanwhile (e.g. its fulfilment was recorded)
                return
            self.metrics.failed.labels(reason).inc()
            event(log, f"request {job.request_id}: failed after {attempts} attempt(s): {error}", level=logging.ERROR,
                  request_id=job.request_id, state="failed", reason=reason)
            return
        delay = self.backoff.delay_for(attempts)
        fields = {"attempts": attempts, "last_error": error, "next_attempt_at": time.time() + delay}
        if back_to == job.state:
            self.store.update(job.request_id, **fields)
        else:
            try:
                self.store.transition(job.request_id, back_to, expect=job.state, detail=error, **fields)
            except StaleJobError:
                return
        self.metrics.retries.labels(step).inc()
        event(log, f"request {job.request_id}: {step} attempt {attempts} failed ({error}); retrying in {delay:.1f}s",
              level=logging.WARNING, request_id=job.request_id, state=str(back_to), attempt=attempts)
