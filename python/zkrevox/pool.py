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
import os
import signal
import threading
import time
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path

from zkrevox.proof import Proof
from zkrevox.prover import Prover

_worker_prover: Prover | None = None


ORPHAN_CHECK_S = 0.5


def _exit_when_orphaned(parent: int) -> None:
    """Exit once the parent is gone: a host killed with SIGKILL must not leave provers behind."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(1)


def _init_worker(name: str, root: str | None, parent: int | None = None) -> None:
    global _worker_prover
    # Ctrl-C in a terminal reaches the whole process group; the host decides what to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        threading.Thread(target=_exit_when_orphaned, args=(parent,), name="orphan-watch", daemon=True).start()
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
            initargs=(name, str(root) if root else None, os.getpid()),
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

    def terminate(self) -> None:
        """Stop at once: kill the workers (a proof in progress is lost) and release the pool."""
        processes = list(getattr(self._executor, "_processes", {}).values())  # CPython's worker table
        for proc in processes:
            if proc.is_alive():
                proc.kill()
        self._executor.shutdown(wait=False, cancel_futures=True)
        for proc in processes:
            proc.join(timeout=5)

    def __enter__(self) -> ProverPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()
