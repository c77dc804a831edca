"""``RemoteProving``: the node's proving when its provers are other processes (``zkrevox node --store
postgresql://… --workers 0`` with ``zkrevox prover`` on any machine). Same interface as ``Proving``
(the pipeline cannot tell them apart): ``submit`` enqueues a proof job (``queue``), ``collect``
returns the proofs the provers wrote back (their files written under ``proofs_dir``, so the
submitter reads them as a local proof) and their failures.

Back-pressure: ``free`` is what the live provers (``provers`` rows heard from lately) can take,
``PREFETCH`` proofs per slot, less what is already queued or claimed; when it is 0 the pipeline
admits nothing new, and a request left waiting is skipped before its deadline by admission (it is
never taken on to be missed). ``expected_wait`` tells admission how long the queue ahead takes.

A proof job that no prover finished within the prove time-out of its size (no live prover, or
every try lost) is cancelled and reported as a ``ProveTimeout``, as a local worker's would be.
"""

from __future__ import annotations

import contextlib
import hashlib
import logging
import shutil
import time
from pathlib import Path

from zkrevox.errors import InputError, ProofError, WitnessError
from zkrevox.node.artifact_store import publish
from zkrevox.node.jobs import State
from zkrevox.node.logs import event
from zkrevox.node.proving import Outcome, ProveTimeout, ProveTimes
from zkrevox.node.queue import ProofQueue
from zkrevox.node.store_pg import PostgresJobStore
from zkrevox.proof import BatchProof, Proof

log = logging.getLogger("zkrevox.node")

PREFETCH = 2  # proofs queued per live prover slot, so a prover never waits for the node's next tick
_ERRORS = {"input": InputError, "witness": WitnessError}


class RemoteProving:
    def __init__(self, model: str, proofs_dir: Path, times: ProveTimes) -> None:
        self.model = model
        self.workers = 0
        self.proofs_dir = proofs_dir
        self.times = times
        self.vks: dict[int, str] = {}
        self.timed_out: list[tuple[tuple[int, ...], float]] = []
        self.queue: ProofQueue | None = None
        self.store: PostgresJobStore | None = None
        self._flights: dict[int, tuple[tuple[int, ...], float]] = {}  # proof job id -> (requests, time-out)
        self.stats = {"slots": 0, "queued": 0, "claimed": 0, "oldest_queued_s": 0.0}

    def attach(self, store: PostgresJobStore) -> None:
        """Use ``store``'s database. Proof jobs a previous active node left in the queue (it was killed, this
        node took over) are adopted: their proofs go on and are collected here, and their requests stay
        ``proving`` (the node's restart reconciliation skips what is ``inflight``)."""
        self.store = store
        self.queue = ProofQueue(store.db)
        for size, vk in sorted(self.vks.items()):  # the builds provers on new machines fetch
            publish(store.db, self.model, size, vk)
        self._flights.clear()
        mine = {j.request_id for j in store.jobs([State.PROVING])}
        adopted, stale = 0, []
        for jid, key in self.queue.open_jobs(store.scope):
            if set(key) <= mine and not set(key) & set(self.inflight):
                self._flights[jid] = (key, time.monotonic() + self.times.timeout(len(key)))
                adopted += 1
            else:
                stale.append(jid)
        if stale:
            self.queue.cancel(stale)
        if adopted or stale:
            event(log, f"adopted {adopted} proof job(s) a previous node left in the queue; cancelled {len(stale)} "
                  "stale one(s)", event="proof-jobs-adopted", adopted=adopted, cancelled=len(stale))

    # ------------------------------------------------------------ Proving's interface

    def start(self, *, warm: bool = True) -> None:
        """Nothing to start: the provers are other processes."""

    @property
    def inflight(self) -> list[int]:
        return [rid for key, _t in self._flights.values() for rid in key]

    @property
    def alone(self) -> list[int]:
        """Request ids proved alone (a single proof) right now."""
        return [key[0] for key, _t in self._flights.values() if len(key) == 1]

    @property
    def free(self) -> int:
        if self.queue is None:
            return 0
        slots = self.queue.live_slots(self.model)
        self.stats["slots"] = slots
        return max(0, PREFETCH * slots - len(self._flights))

    def expected_wait(self, size: int = 1) -> float:
        """Seconds a new proof waits for the ones queued ahead of it."""
        slots = max(1, int(self.stats["slots"]))
        return self.times.expected(size) * len(self._flights) / slots

    def proof_dir(self, request_ids: tuple[int, ...]) -> Path:
        if len(request_ids) == 1:
            return self.proofs_dir / str(request_ids[0])
        digest = hashlib.sha1(",".join(map(str, request_ids)).encode()).hexdigest()[:10]
        return self.proofs_dir / f"batch-{request_ids[0]}-{len(request_ids)}-{digest}"

    def submit(self, request_ids: list[int] | tuple[int, ...], prompts: list[bytes]) -> float:
        assert self.queue is not None and self.store is not None, "attach() a PostgreSQL store first"
        key = tuple(int(r) for r in request_ids)
        jobs = [self.store.get(r) for r in key]
        deadline = min((j.deadline for j in jobs if j is not None), default=0)
        timeout = self.times.timeout(len(key))
        jid = self.queue.enqueue(self.store.scope, self.model, list(key), list(prompts), deadline,
                                 self.vks.get(len(key)))
        self._flights[jid] = (key, time.monotonic() + timeout)
        return timeout

    def collect(self) -> list[Outcome]:
        if self.queue is None:
            return []
        self._depth()
        if not self._flights:
            return []
        self.queue.sweep()
        out: list[Outcome] = []
        for done in self.queue.finished(list(self._flights)):
            key, _until = self._flights.pop(done.id)
            if done.state == "done" and done.files:
                out.append(self._proof(key, done.files, done.prove_seconds or 0.0))
            else:
                error = _ERRORS.get(done.error_kind or "", ProofError)(f"remote prover: {done.error}")
                out.append(Outcome(key, None, error, 0.0))
        now = time.monotonic()
        late = [jid for jid, (_k, until) in self._flights.items() if now > until]
        if late:
            self.queue.cancel(late)
            for jid in late:
                key, _until = self._flights.pop(jid)
                timeout = self.times.timeout(len(key))
                self.timed_out.append((key, timeout))
                error = ProveTimeout(f"no prover finished the proof of {len(key)} request(s) {list(key)} within "
                                     f"{timeout:.0f}s (time-out of batch size {len(key)}): are `zkrevox prover` "
                                     f"processes running for model {self.model}?")
                out.append(Outcome(key, None, error, timeout))
        return out

    def _proof(self, key: tuple[int, ...], files: dict[str, str], seconds: float) -> Outcome:
        out_dir = self.proof_dir(key)
        shutil.rmtree(out_dir, ignore_errors=True)
        out_dir.mkdir(parents=True, exist_ok=True)
        for name, text in files.items():
            if "/" in name or name.startswith("."):
                return Outcome(key, None, ProofError(f"remote prover sent a bad file name {name!r}"), seconds)
            (out_dir / name).write_text(text)
        try:
            proof = Proof.from_file(out_dir) if len(key) == 1 else BatchProof.from_file(out_dir)
        except ProofError as exc:
            return Outcome(key, None, exc, seconds)
        if proof.prove_seconds is None:
            proof.prove_seconds = seconds
        return Outcome(key, proof, None, seconds)

    def _depth(self) -> None:
        assert self.queue is not None and self.store is not None
        self.stats.update(self.queue.depth(self.store.scope))
        self.stats["slots"] = self.queue.live_slots(self.model)

    def close(self, *, kill: bool = False) -> None:
        self.abandon()

    def abandon(self) -> None:
        """Cancel every proof job in flight (a prover's result for them is dropped)."""
        if self.queue is not None and self._flights:
            with contextlib.suppress(ConnectionError):  # the database gone: the next active node cancels them
                self.queue.cancel(list(self._flights))
        self._flights.clear()

    def use_vks(self, vks: dict[int, str]) -> None:
        """The vk each batch size's proofs must have: sent with every proof job, checked by the prover."""
        self.vks = dict(vks)
