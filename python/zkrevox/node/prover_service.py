"""``RemoteProver``: what ``zkrevox prover --store postgresql://…`` runs on any machine. It claims proof
jobs (``queue``) of the models it serves, proves them with warm provers in worker processes
(``Proving``: one process per slot, killed and replaced past its time-out), and writes each proof
back under the lease it was claimed with.

- A heartbeat thread (its own connection) renews the leases of the proofs running, and says the
  prover is alive (the node's back-pressure counts its slots). Proving runs in child processes,
  so it never starves the heartbeat.
- A proof whose lease was lost meanwhile (this process was stopped past its lease: SIGSTOP, a
  long pause) is dropped when it finishes: the job was requeued and proved elsewhere.
- A proof error goes back to the queue (tried again, by any prover, up to the job's tries); a
  prompt the model refuses (``InputError``/``WitnessError`` on a single request) fails at once.
- Keys: a job names the vk the deployment registered for its model and batch size; the worker
  proves only with that build (``Prover.load(vk_sha256=…)``). A prover that lacks it gives the
  job back untouched and stops, naming the mismatch and the build command.
- Clock: leases are kept in the database's clock; a machine whose clock is off by more than
  ``max_skew`` seconds is refused all the same (its logs and proofs' times would mislead).
"""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import socket
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, generate_latest

from zkrevox.errors import ArtifactError, InputError, WitnessError
from zkrevox.node.artifact_store import fetch, newest
from zkrevox.node.logs import event
from zkrevox.node.proving import Outcome, ProveTimes, Proving
from zkrevox.node.queue import LEASE_S, Claimed, ProofQueue
from zkrevox.node.store_pg import PgConnection, StoreUnavailable, redact
from zkrevox.pool import ProveFn

log = logging.getLogger("zkrevox.node.prover")  # under zkrevox.node: `configure` sets its level

MAX_SKEW_S = 30.0
SWEEP_EVERY_S = 2.0
IDLE_POLL_S = 0.2
MIN_FREE_BYTES = 256 * 2**20  # a prover refuses to start with less free space where it writes proofs


class ProverMetrics:
    """``zkrevox_prover_*`` counters of one prover process."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        p = "zkrevox_prover_"
        self.claimed = Counter(p + "jobs_claimed", "Proof jobs claimed", registry=r)
        self.proved = Counter(p + "jobs_proved", "Proofs written back under a held lease", registry=r)
        self.requeued = Counter(p + "jobs_requeued", "Proof jobs given back after an error", registry=r)
        self.failed = Counter(p + "jobs_failed", "Proof jobs failed (tries spent, or a bad prompt)", registry=r)
        self.lease_expiries = Counter(p + "lease_expiries", "Leases this prover lost (its proof dropped)",
                                      registry=r)
        self.swept = Counter(p + "leases_swept", "Expired leases of any prover requeued by this one's sweep",
                             registry=r)
        self.busy = Gauge(p + "proofs_running", "Proofs running now", registry=r)

    def render(self) -> bytes:
        return generate_latest(self.registry)


@dataclass
class ProverConfig:
    store: str
    models: tuple[str, ...] = ("ticker",)
    workers: int = 1
    name: str = ""
    proofs_dir: Path = Path("zkrevox-prover-proofs")
    lease_seconds: float = LEASE_S
    prove_timeout: float = 300.0
    max_skew: float = MAX_SKEW_S
    metrics_port: int | None = None
    max_jobs: int | None = None  # stop after this many results (tests, benchmarks)
    extra: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.workers < 1:
            raise InputError(f"--workers must be at least 1 for a prover, got {self.workers}")
        if not self.models:
            raise InputError("name at least one --model to prove")
        if self.lease_seconds < 3:
            raise InputError(f"--lease must be at least 3 seconds, got {self.lease_seconds}")
        if not self.name:
            self.name = f"{socket.gethostname()}:{os.getpid()}"


class RemoteProver:
    def __init__(self, config: ProverConfig, *, prove_fn: ProveFn | None = None) -> None:
        self.config = config
        self.metrics = ProverMetrics()
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._held: dict[int, tuple[Claimed, str]] = {}  # job id -> (job, model)
        self._lost: set[int] = set()
        self._lock = threading.Lock()
        self.db: PgConnection | None = None
        self.queue: ProofQueue | None = None
        self.proving = {
            m: Proving(m, config.workers, config.proofs_dir / m,
                       ProveTimes(cap=config.prove_timeout, floor=min(30.0, config.prove_timeout)), self._wake,
                       prove_fn=prove_fn)
            for m in config.models
        }
        self.server: Any = None
        self._vk_checked: set[tuple[str, int, str]] = set()
        self.ready = threading.Event()  # set once warm and claiming

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()

    def run(self) -> None:
        """Serve until ``stop()``; raises ``InputError``/``ArtifactError`` on a set-up to fix."""
        cfg = self.config
        self.db = PgConnection(cfg.store)
        self.queue = ProofQueue(self.db)
        try:
            self._start()
            self._loop()
        finally:
            self._shutdown()

    def _start(self) -> None:
        cfg, queue = self.config, self.queue
        assert queue is not None
        skew = queue.clock_skew()
        if abs(skew) > cfg.max_skew:
            raise InputError(f"this machine's clock is {skew:+.1f}s off the database server's (more than "
                             f"{cfg.max_skew:g}s); sync it (e.g. `chronyc makestep` or systemd-timesyncd) and start "
                             "the prover again")
        cfg.proofs_dir.mkdir(parents=True, exist_ok=True)
        free = shutil.disk_usage(cfg.proofs_dir).free
        if free < MIN_FREE_BYTES:
            raise InputError(f"only {free // 2**20} MiB free where proofs are written ({cfg.proofs_dir}); free some "
                             f"space (at least {MIN_FREE_BYTES // 2**20} MiB) or pass another --proofs-dir")
        for model, proving in self.proving.items():
            try:
                proving.start()  # the current build, loaded and checked once per worker
            except ArtifactError as exc:  # none here: each job's build is fetched from the store
                event(log, f"model {model}: no usable local build ({exc}); the builds jobs ask for are fetched "
                      "from the store", event="no-local-build", model=model)
                proving.close(kill=True)
        queue.hello(cfg.name, list(cfg.models), cfg.workers * len(cfg.models))
        if cfg.metrics_port is not None:
            self._serve_metrics(cfg.metrics_port)
        threading.Thread(target=self._heartbeat, name="zkrevox-prover-heartbeat", daemon=True).start()
        event(log, f"prover {cfg.name} up: models {list(cfg.models)}, {cfg.workers} worker(s) each, store "
              f"{redact(cfg.store)}, lease {cfg.lease_seconds:g}s", event="prover-up", prover=cfg.name)

    def _loop(self) -> None:
        cfg, queue = self.config, self.queue
        assert queue is not None
        results, last_sweep = 0, 0.0
        self.ready.set()
        while not self._stop.is_set():
            try:
                if time.monotonic() - last_sweep > SWEEP_EVERY_S:
                    last_sweep = time.monotonic()
                    requeued, failed = queue.sweep()
                    self.metrics.swept.inc(requeued + failed)
                results += self._collect()
                claimed = self._claim()
            except StoreUnavailable as exc:
                event(log, f"store unavailable ({exc}); retrying", level=logging.WARNING, event="store-down")
                self._stop.wait(1.0)
                continue
            if cfg.max_jobs is not None and results >= cfg.max_jobs:
                break
            if not claimed:
                self._wake.wait(IDLE_POLL_S)
                self._wake.clear()

    # ------------------------------------------------------------ claim and prove

    def _claim(self) -> int:
        assert self.queue is not None
        n = 0
        while True:
            models = [m for m, p in self.proving.items() if p.free > 0]
            if not models:
                return n
            job = self.queue.claim(models, self.config.name, self.config.lease_seconds)
            if job is None:
                return n
            self.metrics.claimed.inc()
            proving = self.proving[job.model]
            if job.vk_sha256:
                self._use_vk(proving, job)
            with self._lock:
                self._held[job.id] = (job, job.model)
            proving.submit(list(job.request_ids), job.prompts)
            self.metrics.busy.inc()
            n += 1

    def _use_vk(self, proving: Proving, job: Claimed) -> None:
        """Prove ``job`` only with the build of its vk: refuse (give it back untouched, stop) if missing."""
        assert self.queue is not None and job.vk_sha256
        from zkrevox.prover import Prover

        assert self.db is not None
        wanted = {**proving.vks, job.size: job.vk_sha256}
        if 1 not in wanted:  # every worker also loads the single-request build: the node's, as published
            single = newest(self.db, job.model, 1)
            if single is not None:
                wanted[1] = single
        try:
            for size, vk in sorted(wanted.items()):
                if (job.model, size, vk) in self._vk_checked:
                    continue
                try:
                    Prover.load(job.model, batch=size, vk_sha256=vk)
                except ArtifactError:  # not built here: the node published it to the store?
                    if fetch(self.db, job.model, size, vk) is None:
                        raise
                    Prover.load(job.model, batch=size, vk_sha256=vk)  # the manifest's hashes checked again
                self._vk_checked.add((job.model, size, vk))
        except ArtifactError as exc:
            self.queue.give_back(job.id, job.lease, f"prover {self.config.name}: {exc}", "artifacts", untried=True)
            raise ArtifactError(f"prover {self.config.name} cannot prove {job.model} batch {job.size} with the "
                                f"deployment's verifying key: {exc}") from None
        proving.use_vks(wanted)

    def _collect(self) -> int:
        assert self.queue is not None
        n = 0
        for proving in self.proving.values():
            for out in proving.collect():
                n += 1
                self.metrics.busy.dec()
                self._result(out)
        return n

    def _result(self, out: Outcome) -> None:
        assert self.queue is not None
        with self._lock:
            found = [(jid, job) for jid, (job, _m) in self._held.items() if job.request_ids == out.request_ids]
            if not found:
                return
            jid, job = found[0]
            del self._held[jid]
            lost = jid in self._lost
            self._lost.discard(jid)
        what = f"proof job {jid} ({len(job.request_ids)} request(s), try {job.tries})"
        if lost:
            self.metrics.lease_expiries.inc()
            event(log, f"{what}: lease lost while proving; result dropped", level=logging.WARNING,
                  event="lease-lost", job=jid)
            return
        if out.error is None and out.proof is not None:
            proof_dir, seconds = Path(out.proof.path).parent, float(out.proof.prove_seconds or out.seconds)
            if self._retrying(lambda: self.queue.complete(jid, job.lease, proof_dir, seconds)):
                self.metrics.proved.inc()
                event(log, f"{what}: proved in {out.seconds:.2f}s", event="proved", job=jid)
            else:
                self.metrics.lease_expiries.inc()
                event(log, f"{what}: lease expired before the result; dropped (proved elsewhere)",
                      level=logging.WARNING, event="late-result", job=jid)
            return
        error = out.error
        if isinstance(error, OSError) and error.errno == errno.ENOSPC:  # this machine's disk: give it back, stop
            self.queue.give_back(jid, job.lease, f"prover {self.config.name}: disk full", "disk", untried=True)
            raise InputError(f"the disk holding {self.config.proofs_dir} is full ({error}); free some space or pass "
                             "another --proofs-dir, then start the prover again (its job went back to the queue)")
        if isinstance(error, ArtifactError):  # this machine's build, not the job: give it back and stop
            self.queue.give_back(jid, job.lease, f"prover {self.config.name}: {error}", "artifacts", untried=True)
            raise error
        kind = "input" if isinstance(error, InputError) else "witness" if isinstance(error, WitnessError) else "proof"
        final = job.size == 1 and kind in ("input", "witness")  # the prompt itself: trying again cannot help
        state = self._retrying(lambda: self.queue.give_back(jid, job.lease, f"{type(error).__name__}: {error}", kind,
                                                            final=final))
        if state == "failed":
            self.metrics.failed.inc()
        elif state == "queued":
            self.metrics.requeued.inc()
        else:
            self.metrics.lease_expiries.inc()
        event(log, f"{what}: {type(error).__name__}: {error} → {state or 'lease lost'}", level=logging.WARNING,
              event="prove-error", job=jid, state=state)

    def _retrying(self, fn: Any, tries: int = 30) -> Any:
        """``fn()``, tried again each second while the store is unavailable (a result is not dropped for a
        restart of PostgreSQL; past ``tries`` the lease runs out and the job is proved elsewhere)."""
        for attempt in range(tries):
            try:
                return fn()
            except StoreUnavailable:
                if attempt == tries - 1 or self._stop.wait(1.0):
                    raise
        return None

    # ------------------------------------------------------------ heartbeat

    def _heartbeat(self) -> None:
        cfg = self.config
        beat: PgConnection | None = None
        queue: ProofQueue | None = None
        while not self._stop.wait(cfg.lease_seconds / 3):
            try:
                if beat is None:
                    beat = PgConnection(cfg.store)
                    queue = ProofQueue(beat)
                assert queue is not None
                with self._lock:
                    held = [(jid, job.lease) for jid, (job, _m) in self._held.items() if jid not in self._lost]
                lost = queue.renew(held)
                queue.hello(cfg.name, list(cfg.models), cfg.workers * len(cfg.models))
                if lost:
                    with self._lock:
                        self._lost.update(lost)
                    event(log, f"lost the lease of proof job(s) {lost} (expired while this process was stalled, or "
                          "cancelled by the node); their results will be dropped", level=logging.WARNING,
                          event="lease-lost", jobs=lost)
            except (StoreUnavailable, InputError) as exc:
                if beat is not None:
                    beat.close()
                beat = queue = None
                event(log, f"heartbeat: store unavailable ({exc})", level=logging.WARNING, event="store-down")
        if beat is not None:
            beat.close()

    # ------------------------------------------------------------ stop

    def _shutdown(self) -> None:
        self._stop.set()
        for proving in self.proving.values():
            proving.close(kill=True)
        if self.queue is not None:
            with self._lock:
                held = list(self._held.items())
                self._held.clear()
            for jid, (job, _m) in held:  # give back what was running: another prover takes it at once
                with contextlib.suppress(Exception):
                    self.queue.give_back(jid, job.lease, f"prover {self.config.name} stopped", "stopped",
                                         untried=True)
            with contextlib.suppress(Exception):
                self.queue.goodbye(self.config.name)
        if self.db is not None:
            self.db.close()
        if self.server is not None:
            self.server.close()

    def _serve_metrics(self, port: int) -> None:
        from zkrevox.node.metrics import MetricsServer

        def health() -> dict[str, Any]:
            with self._lock:
                running = len(self._held)
            return {"status": "ok" if not self._stop.is_set() else "stopping", "prover": self.config.name,
                    "models": list(self.config.models), "workers": self.config.workers, "running": running}

        self.server = MetricsServer(self.metrics, health, "127.0.0.1", port).start()  # type: ignore[arg-type]
        event(log, f"prover metrics on {self.server.url}/metrics", event="metrics", url=self.server.url)
