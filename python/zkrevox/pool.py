"""Proving in worker processes, so the host process stays responsive.

ezkl's ``prove`` holds the GIL for its whole run (seconds) and reloads the
proving key from disk on every call. A provider node runs an event loop, RPC
polling and a metrics server in the same process; proving there would stall
them all. :class:`ProverPool` keeps ``workers`` processes, each with a warm
:class:`~zkrevox.prover.Prover` (artifacts checked once, imports done), and
hands them prompts. ``benchmarks/responsiveness.py`` measures the difference.

Batches: ``submit_batch(prompts)`` proves N prompts with one proof of the model's batch-N circuit;
each worker loads the prover of a size on first use (``batches`` preloads sizes at start).

``vks`` maps a batch size (1: single requests) to the verifying-key sha256 its proofs must have
(what a deployment registered): that size's prover is ``Prover.load(name, batch=N, vk_sha256=...)``,
the current build or one a rebuild kept under ``artifacts/<variant>/by-vk/<sha>/``. Sizes not in it
use the current build.

``prove_fn`` replaces what a worker runs for each proof: ``prove_fn(prover, prompts, out_dir)``
gets the worker's warm prover of the batch size (``Prover.load(name, batch=len(prompts))``) and
must return what ``Prover.prove`` (one prompt) or ``Prover.prove_batch`` returns. It must be
picklable (a module-level function): workers are spawned. Callers use it to wrap proving
(instrumentation, fault injection in tests); the default proves with the prover.
"""

from __future__ import annotations

import asyncio
import multiprocessing
import os
import signal
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from pathlib import Path
from typing import Any

from zkrevox.proof import BatchProof, Proof
from zkrevox.prover import Prover

ProveFn = Callable[[Prover, list[Any], Path | None], Any]

_worker_prover: Prover | None = None
_worker_provers: dict[int, Prover] = {}
_worker_args: tuple[str, str | None, ProveFn | None] = ("ticker", None, None)
_worker_vks: dict[int, str] = {}


ORPHAN_CHECK_S = 0.5


def _exit_when_orphaned(parent: int) -> None:
    """Exit once the parent is gone: a host killed with SIGKILL must not leave provers behind."""
    while os.getppid() == parent:
        time.sleep(ORPHAN_CHECK_S)
    os._exit(1)


def _init_worker(name: str, root: str | None, parent: int | None = None, batches: tuple[int, ...] = (),
                 prove_fn: ProveFn | None = None, vks: Mapping[int, str] | None = None) -> None:
    global _worker_prover, _worker_args, _worker_vks
    # Ctrl-C in a terminal reaches the whole process group; the host decides what to stop.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    if parent is not None:
        threading.Thread(target=_exit_when_orphaned, args=(parent,), name="orphan-watch", daemon=True).start()
    _worker_args = (name, root, prove_fn)
    _worker_vks = dict(vks or {})
    _worker_prover = _prover_of(1)
    for size in batches:
        _prover_of(size)


def _prover_of(size: int) -> Prover:
    if size not in _worker_provers:
        name, root, _ = _worker_args
        _worker_provers[size] = Prover.load(name, Path(root) if root else None, batch=size,
                                            vk_sha256=_worker_vks.get(size))
    return _worker_provers[size]


def _prove_in_worker(prompt: str | bytes, out_dir: str | None) -> Proof:
    assert _worker_prover is not None, "worker not initialised"
    prove_fn = _worker_args[2]
    if prove_fn is not None:
        return prove_fn(_worker_prover, [prompt], Path(out_dir) if out_dir else None)
    return _worker_prover.prove(prompt, Path(out_dir) if out_dir else None)


def _prove_batch_in_worker(prompts: list[Any], out_dir: str | None) -> BatchProof:
    assert _worker_prover is not None, "worker not initialised"
    prover = _prover_of(len(prompts))
    prove_fn = _worker_args[2]
    if prove_fn is not None:
        return prove_fn(prover, prompts, Path(out_dir) if out_dir else None)
    return prover.prove_batch(prompts, Path(out_dir) if out_dir else None)


def _warm_up() -> bool:
    return _worker_prover is not None


class ProverPool:
    """``workers`` processes proving in parallel; each worker loads the artifacts once."""

    def __init__(self, name: str = "ticker", workers: int = 1, root: Path | None = None, *,
                 batches: Iterable[int] = (), prove_fn: ProveFn | None = None,
                 vks: Mapping[int, str] | None = None) -> None:
        # Load once here too: fail fast, in the caller, on missing or mismatched artifacts.
        vks = dict(vks or {})
        self.vks = vks
        self.prover = Prover.load(name, root, vk_sha256=vks.get(1))
        sizes = tuple(sorted({int(n) for n in batches} - {1}))
        for size in sizes:
            Prover.load(name, root, batch=size, vk_sha256=vks.get(size))
        ctx = multiprocessing.get_context("spawn")
        self._executor = ProcessPoolExecutor(
            max_workers=workers, mp_context=ctx, initializer=_init_worker,
            initargs=(name, str(root) if root else None, os.getpid(), sizes, prove_fn, vks),
        )
        self.workers = workers

    def warm_up(self) -> None:
        """Start every worker and load its prover now rather than on the first request."""
        for f in [self._executor.submit(_warm_up) for _ in range(self.workers)]:
            f.result()

    def submit(self, prompt: str | bytes, out_dir: Path | None = None) -> Future[Proof]:
        return self._executor.submit(_prove_in_worker, prompt, str(out_dir) if out_dir else None)

    def submit_batch(self, prompts: list[Any], out_dir: Path | None = None) -> Future[BatchProof]:
        """One proof of all ``prompts`` with the model's batch-``len(prompts)`` circuit."""
        return self._executor.submit(_prove_batch_in_worker, list(prompts), str(out_dir) if out_dir else None)

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
