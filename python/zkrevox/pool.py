"""Proving in worker processes, so the host process stays responsive.

ezkl's ``prove`` holds the GIL for its whole run (seconds) and reloads the
proving key from disk on every call. A provider node runs an event loop, RPC
polling and a metrics server in the same process; proving there would stall
them all. :class:`ProverPool` keeps ``workers`` processes, each with a warm
:class:`~zkrevox.prover.Prover` (artifacts checked once, imports done), and
hands them prompts. ``benchmarks/responsiveness.py`` measures the difference.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from zkrevox.proof import Proof
from zkrevox.prover import Prover

_worker_prover: Prover | None = None


def _init_worker(name: str, root: str | None) -> None:
    global _worker_prover
    _worker_prover = Prover.load(name, Path(root) if root else None)


def _prove_in_worker(prompt: str, out_dir: str | None) -> Proof:
    assert _worker_prover is not None, "worker not initialised"
    return _worker_prover.prove(prompt, Path(out_dir) if out_dir else None)


def _warm_up() -> bool:
    return _worker_prover is not None


class ProverPool:
    """``workers`` processes proving in parallel; each worker loads the artifacts once."""

    def __init__(self, name: str = "ticker", workers: int = 1, root: Path | None = None) -> None:
        # Load once here too: fail fast, in the caller, on missing or mismatched artifacts.
        self.prover = Prover.load(name, root)
        ctx = multiprocessing.get_context("spawn")
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker,
            initargs=(name, str(root) if root else None),
        )
        self.workers = workers

    def warm_up(self) -> None:
        """Start every worker and load its prover now rather than on the first request."""
        for f in [self._executor.submit(_warm_up) for _ in range(self.workers)]:
            f.result()

    def submit(self, prompt: str, out_dir: Path | None = None) -> Future[Proof]:
        return self._executor.submit(_prove_in_worker, prompt, str(out_dir) if out_dir else None)

    async def prove(self, prompt: str, out_dir: Path | None = None) -> Proof:
        return await asyncio.wrap_future(self.submit(prompt, out_dir))

    def close(self) -> None:
        self._executor.shutdown(wait=True, cancel_futures=True)

    def __enter__(self) -> ProverPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
