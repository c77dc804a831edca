"""One tick of work on the jobs: collect finished proofs, admit waiting requests and group them into
proofs for idle workers (``batching``), send the proved ones, track the ones in flight, fill nonce gaps.

A fault that belongs to one request (a proof the circuit refuses, a request gone from the chain,
a damaged proof file) is recorded on it: attempts, last error, the time of its next attempt
(backoff with jitter), and after ``max_attempts`` the request is failed with a reason. A proof
that outlives its time-out is retried once, alone, then failed (``prove-timeout``). A fault of
the RPC is raised to the node's loop, which backs off as a whole.
"""

from __future__ import annotations

import contextlib
import logging
import math
import time

from zkrevox.chain.revert import RevertedError
from zkrevox.errors import InputError, ProofError, WitnessError
from zkrevox.featurize import FeatureSpec
from zkrevox.node.admission import Skip, admit, deadline_skip, when_utc
from zkrevox.node.batching import GasBook, fits_block, plan
from zkrevox.node.bootstrap import Chain
from zkrevox.node.config import NodeConfig
from zkrevox.node.jobs import IN_FLIGHT, Job, State
from zkrevox.node.logs import event
from zkrevox.node.metrics import NodeMetrics
from zkrevox.node.nonces import GapFiller
from zkrevox.node.optimistic import Optimistic
from zkrevox.node.proofcache import Reuse, features_key
from zkrevox.node.proving import Outcome, ProveTimeout, Proving
from zkrevox.node.retry import Backoff, is_transient
from zkrevox.node.settle import REORG_RECHECK_S
from zkrevox.node.store import JobStore, StaleJobError
from zkrevox.node.submitter import InstancesMismatch, Submitter

log = logging.getLogger("zkrevox.node")

MAX_TIMEOUTS = 2  # a request whose proof timed out this many times is failed (prove-timeout)
FRESH_TX_S = 5.0  # a fulfilment sent this recently is looked for every FRESH_TX_RECHECK_S, not every poll
FRESH_TX_RECHECK_S = 0.3


class Pipeline:
    def __init__(self, chain: Chain, store: JobStore, proving: Proving, submitter: Submitter, metrics: NodeMetrics,
                 config: NodeConfig, spec: FeatureSpec, backoff: Backoff, *, sizes: tuple[int, ...] = (1,),
                 gas: GasBook | None = None, gaps: GapFiller | None = None, reuse: Reuse | None = None) -> None:
        self.chain = chain
        self.store = store
        self.proving = proving
        self.submitter = submitter
        self.metrics = metrics
        self.config = config
        self.spec = spec
        self.backoff = backoff
        self.sizes = sizes
        self.gas = gas or GasBook(sizes)
        self.gaps = gaps
        self.reuse = reuse  # proofs of repeated prompts (node.proofcache); None: always prove
        self.wake_at: float | None = None  # wall time at which waiting requests stop waiting
        self.block_gas_limit: int | None = None  # the latest block's, set by the node each tick
        self._callback_gas: dict[int, int] = {}  # request id -> its callback gas limit (from storage)
        self.optimistic = Optimistic(self)

    def step(self, now: float, head: int, *, admit_new: bool = True) -> None:
        self.wake_at = None
        self.collect()
        if admit_new:
            self.optimistic.step(now)  # classifies new requests: the optimistic ones are answered, not proved
            self.dispatch(now)
        self.send(now)
        self.submitter.track(self.store.jobs(IN_FLIGHT), head)
        if self.gaps is not None:
            self.gaps.step()
        wall = time.time()
        if any((j.sent_at or 0) > wall - FRESH_TX_S for j in self.store.jobs(IN_FLIGHT)):
            # a fulfilment just sent: look for its receipt again soon rather than a poll interval later
            self.wake_at = min(self.wake_at or math.inf, wall + FRESH_TX_RECHECK_S)

    def seen(self, job: Job) -> None:
        self.metrics.seen.inc()
        event(log, f"request {job.request_id}: seen (model {job.model_id}, block {job.block_number}, prompt "
              f"{job.prompt_text!r}, deadline {job.deadline})", request_id=job.request_id, state="seen",
              model_id=job.model_id, block=job.block_number, prompt=job.prompt_text)

    def take_in(self, job: Job, info: object) -> Job:
        """What the chain's storage says of a request (``request_info``): its callback gas limit, kept
        for planning, and its deadline, which wins over the event's (they must agree; if they do not,
        the stored one is the one the contract enforces)."""
        self._callback_gas[job.request_id] = int(getattr(info, "callback_gas_limit", 0) or 0)
        stored = int(getattr(info, "deadline", job.deadline))
        if stored != job.deadline:
            event(log, f"request {job.request_id}: its event said deadline {job.deadline}, the contract's storage "
                  f"says {stored} ({when_utc(stored)}); using the stored one", level=logging.WARNING,
                  request_id=job.request_id, event="deadline-from-storage", deadline=stored)
            job = self.store.update(job.request_id, deadline=stored)
        return job

    def callback_gas(self, job: Job) -> int:
        """The request's callback gas limit as stored on-chain (read once, then kept)."""
        if job.request_id not in self._callback_gas:
            try:
                self.take_in(job, self.chain.client.request_info(job.request_id))
            except RevertedError:  # not on-chain (reorged out?): admission settles it; plan it as no callback
                return 0
        return self._callback_gas[job.request_id]

    # ------------------------------------------------------------ admit, group and prove

    def dispatch(self, now: float) -> None:
        """``now``: chain time. Admit waiting requests, plan proofs for the free workers, start them."""
        free = self.proving.free
        if free == 0 and self.reuse is None:
            return  # (with reuse on, a repeated prompt is answered even while every worker is busy)
        wall = time.time()
        times = self.proving.times
        queue = []
        running = set(self.proving.inflight)
        proving_alone = self._features_proving_alone()
        for job in self.store.jobs([State.SEEN]):
            if job.optimistic is not False:
                continue  # optimistic (answered by ``optimistic``), or its mode not read from the chain yet
            if job.next_attempt_at > wall or job.request_id in running:
                continue  # backing off, or a stale proof of its previous prompt (before a reorg) still runs
            skip = admit(job, model_id=self.chain.model_id, model_name=self.config.model, spec=self.spec, now=now,
                         needed=times.expected(1) + self.config.deadline_margin + self._queue_wait())
            if skip is not None:
                self.settle_unadmitted(job, skip)
            elif self._reused(job):
                pass
            elif self.reuse is not None and features_key(self.reuse.features(job.prompt)) in proving_alone:
                continue  # the same features are being proved alone: answered with that proof when it is made
            else:
                queue.append(job)
        if not queue or free == 0:
            return
        self._callback_gas = {j.request_id: self._callback_gas[j.request_id] for j in queue
                              if j.request_id in self._callback_gas}  # forget requests no longer waiting
        skew = now - wall

        def latest_start(job: Job, size: int) -> float:
            return job.deadline - skew - self.config.deadline_margin - times.expected(size)

        def fits(group: list[Job]) -> bool:  # one fulfilment of the group, callbacks included, fits in a block
            return len(group) <= 1 or fits_block([self.callback_gas(j) for j in group], self.block_gas_limit,
                                                 fixed=int(getattr(self.chain.model, "fulfil_gas", 0) or 0))

        decided = plan(queue, free=free, now=wall, sizes=self.sizes, policy=self.config.batch_policy,
                       max_wait=self.config.max_batch_wait, cost=self.gas.cost, latest_start=latest_start,
                       fits=fits)
        self.wake_at = decided.wait_until
        for group in decided.groups:
            self._start(group)

    def _queue_wait(self) -> float:
        """Seconds a new proof waits behind the queued ones (remote provers; local workers start at once)."""
        wait = getattr(self.proving, "expected_wait", None)
        return float(wait()) if wait is not None else 0.0

    def _features_proving_alone(self) -> set[str]:
        """Keys of the features whose single proof is being made (with reuse on; else empty)."""
        if self.reuse is None:
            return set()
        jobs = [self.store.get(rid) for rid in self.proving.alone]
        return {features_key(self.reuse.features(j.prompt)) for j in jobs if j is not None}

    def _reused(self, job: Job) -> bool:
        """Answer ``job`` with the kept proof of the same features, if any (``proofcache``): at once,
        no new proof. The submitter checks it against the request's on-chain features as any other."""
        if self.reuse is None:
            return False
        entry = self.reuse.answer(job, self.store, self.proving.proof_dir((job.request_id,)))
        if entry is None:
            return False
        self.metrics.proved.inc()
        self.wake_at = time.time()  # send it in this tick's ``send``
        event(log, f"request {job.request_id}: seen → proved: reused proof of request {entry.request_id} (same "
              f"features, used {entry.uses + 1}×; no new proof)", request_id=job.request_id, state="proved",
              reused_from=entry.request_id, event="reused-proof")
        return True

    def _start(self, group: list[Job]) -> None:
        ids = [j.request_id for j in group]
        claimed = self.store.claim_ids(ids, State.SEEN, State.PROVING)
        ready: list[Job] = []
        for job in claimed:
            try:
                if self._check_onchain(job):
                    ready.append(job)
            except Exception as exc:
                if is_transient(exc):  # the RPC failed: give the jobs back untouched, back off
                    self._release([j for j in claimed if self._state(j) == State.PROVING], "admission interrupted")
                    raise
                # e.g. the request no longer exists on-chain (DPromptUnknownRequest after a reorg)
                self.retry_or_fail(job, "admit", exc, State.SEEN, permanent=isinstance(exc, RevertedError))
        if len(ready) != len(ids):  # some member cannot be proved: plan the others again at once
            self._release(ready, "its group lost a member; grouped again")
            self.wake_at = time.time()
            return
        timeout = self.proving.submit(ids, [j.prompt for j in ready])
        self.metrics.claimed.inc(len(ids))
        self.metrics.prove_timeout_seconds.labels(str(len(ids))).set(timeout)
        what = f"request {ids[0]}" if len(ids) == 1 else f"batch of {len(ids)} (requests {ids})"
        event(log, f"{what}: seen → proving (time-out {timeout:.0f}s)", request_id=ids[0], request_ids=ids,
              state="proving", batch=len(ids), attempt=ready[0].attempts + 1)

    def _check_onchain(self, job: Job) -> bool:
        """True if the request is pending and assigned to this provider; otherwise it is settled here."""
        rid, chain = job.request_id, self.chain
        try:
            info = chain.client.request_info(rid)
        except RevertedError as err:
            if err.error_name != "DPromptUnknownRequest":
                raise
            why = "request is not on-chain (reorged out?); waiting for it to be mined again, until its deadline"
            self.store.transition(rid, State.SEEN, expect=State.PROVING, detail=why, last_error=why,
                                  next_attempt_at=time.time() + REORG_RECHECK_S)
            return False
        if info.status == "fulfilled":
            self.submitter.settle.confirm_if_fulfilled(job, "already fulfilled on-chain")
            return False
        skip = None
        if info.status != "pending":
            reason = "deadline" if info.status == "expired" else info.status
            skip = Skip(reason, f"request is {info.status} on-chain; nothing to do")
        elif info.provider.lower() != chain.account.address.lower():
            skip = Skip("not-assigned", f"request is assigned to {info.provider}, not to this provider")
        if skip is not None:
            self.skip(job, skip)
            return False
        return True

    def _release(self, jobs: list[Job], why: str) -> None:
        for job in jobs:
            with contextlib.suppress(StaleJobError):
                self.store.transition(job.request_id, State.SEEN, expect=State.PROVING, detail=why)

    def _state(self, job: Job) -> State | None:
        current = self.store.get(job.request_id)
        return current.state if current else None

    def settle_unadmitted(self, job: Job, skip: Skip) -> None:
        """Skip ``job``; a deadline skip first asks the chain what became of the request: fulfilled
        meanwhile (e.g. by ``zkrevox fulfil`` while the node was down) it is confirmed
        (already-fulfilled), reclaimed by its requester it is skipped (reclaimed); only a request
        still pending is skipped for its deadline. An RPC fault is raised (the job stays, retried later)."""
        if skip.reason != "deadline":
            self.skip(job, skip)
            return
        try:
            info = self.chain.client.request_info(job.request_id)
        except Exception as exc:
            if is_transient(exc):
                raise
            # e.g. DPromptUnknownRequest: not on-chain (reorged out) and out of time anyway
            self.skip(job, skip)
            return
        if info.status == "fulfilled":
            self.submitter.settle.confirm_if_fulfilled(job, "already fulfilled on-chain")
        elif info.status == "reclaimed":
            self.skip(job, Skip("reclaimed", f"request was reclaimed by its requester after its deadline "
                                             f"{when_utc(job.deadline)}; nothing to do"))
        else:
            self.skip(job, skip)

    def skip(self, job: Job, skip: Skip) -> None:
        self.store.transition(job.request_id, State.SKIPPED, detail=skip.message, reason=skip.reason,
                              last_error=skip.message)
        self.metrics.skipped.labels(skip.reason).inc()
        event(log, f"request {job.request_id}: skipped ({skip.reason}): {skip.message}", level=logging.WARNING,
              request_id=job.request_id, state="skipped", reason=skip.reason)

    def collect(self) -> None:
        for out in self.proving.collect():
            members = [self.store.get(r) for r in out.request_ids]
            live = [m for m in members if m is not None and m.state == State.PROVING]
            if len(live) != len(members):  # a member was re-mined by a reorg meanwhile, or a chain reset
                self._release(live, "its group's proof is stale (a member changed meanwhile); grouped again")
                continue
            if out.error is None and out.proof is not None:
                self._proved(live, out)
            elif isinstance(out.error, ProveTimeout):
                self._timed_out(live, out)
            else:
                batch = out.size > 1  # in a batch, a member's bad prompt must not fail the others for good
                for job in live:
                    self.retry_or_fail(job, "prove", out.error, State.SEEN,
                                       permanent=not batch and isinstance(out.error, (InputError, WitnessError)))

    def _proved(self, members: list[Job], out: Outcome) -> None:
        seconds = float(out.proof.prove_seconds or out.seconds)
        ids = [m.request_id for m in members]
        self.store.transition_many(ids, State.PROVED, expect=State.PROVING, detail=f"{seconds:.2f}s",
                                   proof_path=str(out.proof.path), prove_seconds=seconds, last_error=None,
                                   batch=ids if len(ids) > 1 else None)
        self.metrics.proved.inc(len(ids))
        self.metrics.prove_seconds.observe(seconds)
        self.proving.times.observe(len(ids), seconds)
        if len(ids) == 1 and self.reuse is not None:
            self.reuse.keep(ids[0], out.proof)
        if len(ids) == 1:
            event(log, f"request {ids[0]}: proving → proved {out.proof.labels} in {seconds:.2f}s",
                  request_id=ids[0], state="proved", tickers=out.proof.labels, prove_seconds=seconds)
        else:
            event(log, f"batch of {len(ids)} (requests {ids}): proving → proved in {seconds:.2f}s",
                  request_id=ids[0], request_ids=ids, state="proved", batch=len(ids), prove_seconds=seconds)

    def _timed_out(self, members: list[Job], out: Outcome) -> None:
        self.metrics.prove_timeouts.labels(str(out.size)).inc()
        error = f"prove: {out.error}"
        for job in members:
            timeouts = job.timeouts + 1
            if timeouts >= MAX_TIMEOUTS:
                with contextlib.suppress(StaleJobError):
                    self.store.transition(job.request_id, State.FAILED, expect=State.PROVING, detail=error,
                                          reason="prove-timeout", timeouts=timeouts, attempts=job.attempts + 1,
                                          last_error=error)
                self.metrics.failed.labels("prove-timeout").inc()
                event(log, f"request {job.request_id}: failed: its proof timed out {timeouts} times ({out.error})",
                      level=logging.ERROR, request_id=job.request_id, state="failed", reason="prove-timeout")
                continue
            with contextlib.suppress(StaleJobError):
                self.store.transition(job.request_id, State.SEEN, expect=State.PROVING, detail=error,
                                      timeouts=timeouts, attempts=job.attempts + 1, last_error=error)
            event(log, f"request {job.request_id}: {out.error}; proving it once more, alone", level=logging.WARNING,
                  request_id=job.request_id, state="seen", event="prove-timeout", timeouts=timeouts)

    # ------------------------------------------------------------ send

    def send(self, now: float) -> None:
        units: dict[tuple[int, ...], list[Job]] = {}
        for job in self.store.jobs([State.PROVED]):
            units.setdefault(job.unit, []).append(job)
        for unit, members in units.items():
            if any(m.next_attempt_at > time.time() for m in members):
                continue
            if len(members) != len(unit):  # a member left its batch (reorg, failure): the proof is stale
                for m in members:
                    with contextlib.suppress(StaleJobError):
                        self.store.transition(m.request_id, State.SEEN, expect=State.PROVED, batch=None,
                                              proof_path=None, detail="a member left its batch; grouped again")
                continue
            members.sort(key=lambda m: unit.index(m.request_id))
            skips = [deadline_skip(m, now, self.config.deadline_margin / 2) for m in members]
            if all(s is not None for s in skips):  # a member with time left goes out; the contract skips late ones
                for m, s in zip(members, skips, strict=True):
                    assert s is not None
                    self.settle_unadmitted(m, s)
                continue
            try:
                after = self.submitter.send_unit(members)
                if self.reuse is not None and len(after) == 1 and after[0].state == State.FAILED:
                    self.reuse.refused(after[0])  # e.g. refused in simulation: its proof is not offered again
                if any(j.state == State.SEEN for j in after):  # members dropped: the others are grouped again now
                    self.wake_at = time.time()
            except Exception as exc:
                if is_transient(exc):
                    raise
                # a proof the chain would not take, or a proof file gone or damaged: prove again
                back = State.SEEN if isinstance(exc, (InstancesMismatch, ProofError)) else State.PROVED
                if back == State.SEEN and self.reuse is not None and len(members) == 1:
                    self.reuse.refused(members[0])  # never offered again
                for m in members:
                    self.retry_or_fail(m, "submit", exc, back)

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
        if back_to == State.SEEN:
            fields.update(batch=None, proof_path=None)  # proved again, in whatever group it lands
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
