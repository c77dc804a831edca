"""Proofs in flight: one ``ProverPool`` worker per slot, the futures of running proofs, time-outs.

The node never waits on a proof: it hands a request (or a batch of requests, one proof of the
batch-N circuit) to a free slot, and each tick collects the proofs that are done (``wake`` is set
when one finishes, so the loop does not sleep past it).

Each slot is a pool of one worker process, so a proof that hangs costs only its own worker: past
its time-out the worker is killed and replaced, and the other slots' proofs go on. The time-out
of a batch size comes from the proofs of that size measured so far (``ProveTimes``): a multiple
of their running average, never below a floor nor above a cap that stays well inside the
response window. Until a size has been measured its time-out is the cap.
"""

from __future__ import annotations

import hashlib
import shutil
import threading
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zkrevox.errors import ProofError
from zkrevox.pool import ProveFn, ProverPool

EWMA = 0.3  # weight of the newest proof in a size's running average
FIRST_PROVE_GUESS_S = 5.0  # per request, before anything was measured


class ProveTimeout(ProofError):
    """A proof outlived its time-out; its worker was replaced."""


@dataclass
class ProveTimes:
    """Running average prove time per batch size, and the time-out derived from it."""

    factor: float = 4.0
    floor: float = 30.0
    cap: float = 300.0
    averages: dict[int, float] = field(default_factory=dict)

    def observe(self, size: int, seconds: float) -> None:
        old = self.averages.get(size)
        self.averages[size] = seconds if old is None else (1 - EWMA) * old + EWMA * seconds

    def expected(self, size: int) -> float:
        """Seconds a proof of ``size`` requests is expected to take (scaled from other sizes if unmeasured)."""
        if size in self.averages:
            return self.averages[size]
        if self.averages:
            # per-request cost of the nearest measured size: a fair first guess on one machine
            near = min(self.averages, key=lambda s: abs(s - size))
            return self.averages[near] / near * size
        return FIRST_PROVE_GUESS_S * size

    def timeout(self, size: int) -> float:
        if size not in self.averages:
            return self.cap
        return min(self.cap, max(self.floor, self.factor * self.averages[size]))


@dataclass
class Outcome:
    request_ids: tuple[int, ...]  # one request, or a batch in the proof's order
    proof: Any  # Proof or BatchProof
    error: BaseException | None
    seconds: float  # wall time in the pool (queueing included)

    @property
    def size(self) -> int:
        return len(self.request_ids)


@dataclass
class _Flight:
    future: Future[Any]
    started: float
    slot: int
    timeout: float


class Proving:
    def __init__(self, model: str, workers: int, proofs_dir: Path, times: ProveTimes, wake: threading.Event, *,
                 batch_sizes: tuple[int, ...] = (), prove_fn: ProveFn | None = None) -> None:
        self.model = model
        self.workers = workers
        self.proofs_dir = proofs_dir
        self.times = times
        self.batch_sizes = batch_sizes  # preloaded in every worker
        self.prove_fn = prove_fn
        self.vks: dict[int, str] = {}  # batch size -> the registered vk its prover must have (see use_vks)
        self._wake = wake
        self._slots: list[ProverPool | None] = [None] * workers
        self._inflight: dict[tuple[int, ...], _Flight] = {}
        self.timed_out: list[tuple[tuple[int, ...], float]] = []  # (requests, time-out) of replaced workers

    def start(self, *, warm: bool = True) -> None:
        """Start every slot's worker and load its provers (checks the artifacts against their manifest)."""
        for slot, pool in enumerate(self._slots):
            if pool is None:
                self._slots[slot] = pool = self._pool()
                if warm:
                    pool.warm_up()

    @property
    def inflight(self) -> list[int]:
        """Request ids whose proof is running."""
        return [rid for key in self._inflight for rid in key]

    @property
    def alone(self) -> list[int]:
        """Request ids proved alone (a single proof) right now."""
        return [key[0] for key in self._inflight if len(key) == 1]

    @property
    def free(self) -> int:
        return max(0, self.workers - len(self._inflight))

    def proof_dir(self, request_ids: tuple[int, ...]) -> Path:
        if len(request_ids) == 1:
            return self.proofs_dir / str(request_ids[0])
        digest = hashlib.sha1(",".join(map(str, request_ids)).encode()).hexdigest()[:10]
        return self.proofs_dir / f"batch-{request_ids[0]}-{len(request_ids)}-{digest}"

    def submit(self, request_ids: list[int] | tuple[int, ...], prompts: list[bytes]) -> float:
        """Prove ``prompts`` (one request, or one batch proof) on a free slot; returns its time-out."""
        key = tuple(request_ids)
        busy = {f.slot for f in self._inflight.values()}
        slot = next(i for i in range(self.workers) if i not in busy)
        if self._slots[slot] is None:
            self._slots[slot] = self._pool()
        pool = self._slots[slot]
        assert pool is not None
        out = self.proof_dir(key)
        shutil.rmtree(out, ignore_errors=True)  # a proof cut short by a crash is made again from scratch
        future = pool.submit(prompts[0], out) if len(key) == 1 else pool.submit_batch(prompts, out)
        future.add_done_callback(lambda _: self._wake.set())
        timeout = self.times.timeout(len(key))
        self._inflight[key] = _Flight(future, time.monotonic(), slot, timeout)
        return timeout

    def collect(self) -> list[Outcome]:
        """Proofs that finished (or failed, or timed out) since the last call."""
        out: list[Outcome] = []
        now = time.monotonic()
        for key, flight in list(self._inflight.items()):
            seconds = now - flight.started
            if flight.future.done():
                del self._inflight[key]
                error = flight.future.exception()
                if isinstance(error, BrokenProcessPool):  # the worker died: replace it
                    self._replace(flight.slot)
                out.append(Outcome(key, None if error else flight.future.result(), error, seconds))
            elif seconds > flight.timeout:
                del self._inflight[key]
                self._replace(flight.slot)
                self.timed_out.append((key, flight.timeout))
                what = f"request {key[0]}" if len(key) == 1 else f"the batch of {len(key)} ({key[0]}…)"
                error = ProveTimeout(f"proof of {what} took more than {flight.timeout:.1f}s (time-out of batch size "
                                     f"{len(key)}); its worker was replaced")
                out.append(Outcome(key, None, error, seconds))
        return out

    def close(self, *, kill: bool = False) -> None:
        for slot, pool in enumerate(self._slots):
            self._slots[slot] = None
            if pool is not None:
                if kill or self._inflight:
                    pool.terminate()
                else:
                    pool.close()

    def abandon(self) -> None:
        """Drop every proof in flight (their requests are gone); workers restart on the next submit."""
        self._inflight.clear()
        self.close(kill=True)

    def _replace(self, slot: int) -> None:
        pool, self._slots[slot] = self._slots[slot], None
        if pool is not None:
            pool.terminate()
        # started now (not warmed: the loop does not wait); the next proof on it waits for the load
        self._slots[slot] = self._pool()

    def _pool(self) -> ProverPool:
        return ProverPool(self.model, workers=1, batches=self.batch_sizes, prove_fn=self.prove_fn, vks=self.vks)

    def use_vks(self, vks: dict[int, str]) -> None:
        """Prove each batch size with the build whose vk is ``vks[size]`` (the deployment's registered
        one; a build a rebuild kept under ``by-vk/`` if the current one differs). Idle workers loaded
        with other builds are replaced (started now, loaded in the background)."""
        if vks == self.vks:
            return
        self.vks = dict(vks)
        busy = {f.slot for f in self._inflight.values()}
        for slot, pool in enumerate(self._slots):
            if slot not in busy and pool is not None and pool.vks != self.vks:
                pool.close()
                self._slots[slot] = self._pool()
