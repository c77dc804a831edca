"""Proofs in flight: a ``ProverPool`` of warm workers, the futures of running proofs, time-outs.

The node never waits on a proof: it hands prompts to the pool, and each tick collects the proofs
that are done (``wake`` is set when one finishes, so the loop does not sleep past it). A proof
that outlives ``timeout`` or a worker that dies takes the pool down with it; the pool is then
replaced and the affected requests are retried.
"""

from __future__ import annotations

import shutil
import threading
import time
from concurrent.futures import Future
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

from zkrevox.errors import ProofError
from zkrevox.pool import ProverPool
from zkrevox.proof import Proof


@dataclass
class Outcome:
    request_id: int
    proof: Proof | None
    error: BaseException | None
    seconds: float  # wall time in the pool (queueing included)


class Proving:
    def __init__(self, model: str, workers: int, proofs_dir: Path, timeout: float, wake: threading.Event) -> None:
        self.model = model
        self.workers = workers
        self.proofs_dir = proofs_dir
        self.timeout = timeout
        self._wake = wake
        self._pool: ProverPool | None = None
        self._inflight: dict[int, tuple[Future[Proof], float]] = {}

    def start(self) -> None:
        """Start the workers and load a prover in each (checks the artifacts against their manifest)."""
        if self._pool is None:
            self._pool = ProverPool(self.model, workers=self.workers)
            self._pool.warm_up()

    @property
    def inflight(self) -> list[int]:
        return list(self._inflight)

    @property
    def free(self) -> int:
        return max(0, self.workers - len(self._inflight))

    def proof_dir(self, request_id: int) -> Path:
        return self.proofs_dir / str(request_id)

    def submit(self, request_id: int, prompt: str) -> None:
        self.start()
        assert self._pool is not None
        out = self.proof_dir(request_id)
        shutil.rmtree(out, ignore_errors=True)  # a proof cut short by a crash is made again from scratch
        future = self._pool.submit(prompt, out)
        future.add_done_callback(lambda _: self._wake.set())
        self._inflight[request_id] = (future, time.monotonic())

    def collect(self) -> list[Outcome]:
        """Proofs that finished (or failed, or timed out) since the last call."""
        out: list[Outcome] = []
        now = time.monotonic()
        timed_out = [rid for rid, (f, t0) in self._inflight.items() if not f.done() and now - t0 > self.timeout]
        broken = False
        for rid, (future, t0) in list(self._inflight.items()):
            if not future.done():
                continue
            del self._inflight[rid]
            error = future.exception()
            broken = broken or isinstance(error, BrokenProcessPool)
            out.append(Outcome(rid, None if error else future.result(), error, now - t0))
        if timed_out or broken:
            for rid, (_, t0) in self._inflight.items():
                error = (ProofError(f"proof of request {rid} took more than {self.timeout:.0f}s; the prover pool "
                                    "was replaced") if rid in timed_out
                         else BrokenProcessPool("the prover pool was replaced while this proof ran"))
                out.append(Outcome(rid, None, error, now - t0))
            self._inflight.clear()
            self._replace_pool()
        return out

    def wait(self, timeout: float) -> bool:
        """Block until no proof is in flight or ``timeout`` passes; True if none is left."""
        deadline = time.monotonic() + timeout
        for future, _ in list(self._inflight.values()):
            left = deadline - time.monotonic()
            if left <= 0:
                break
            try:
                future.exception(timeout=left)
            except TimeoutError:
                break
        return all(f.done() for f, _ in self._inflight.values())

    def close(self, *, kill: bool = False) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            if kill or self._inflight:
                pool.terminate()
            else:
                pool.close()

    def abandon(self) -> None:
        """Drop every proof in flight (their requests are gone); workers restart on the next submit."""
        self._inflight.clear()
        self.close(kill=True)

    def _replace_pool(self) -> None:
        self.close(kill=True)
        self.start()
