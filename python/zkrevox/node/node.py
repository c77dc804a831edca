"""``ProviderNode``: follow the requests assigned to this provider, prove them in worker processes,
fulfil them, and record every step, through crashes and RPC faults.

One loop, one thread: each tick reads the head, checks the chain is still the same one, follows
new events (``follower``), then works the jobs one step (``pipeline``: collect proofs, admit and
prove, send, track); then it sleeps ``poll_interval`` (less if a proof finishes meanwhile).
Proving runs in worker processes, so the loop, the metrics server and signal handling stay
responsive. A node may serve several models of one DPrompt (``--model A --model B``): each model is a
``Lane`` (its artifacts, its chain checks, its prover workers, its admission and batching, over its
share of the one job store); the follower, the job store and the submitter (the provider's nonces)
are shared, and the first model's lane also takes requests of models the node does not serve
(skipped, ``other-model``), as a single-model node does. An RPC fault ends the tick and the next
one comes after a backoff with jitter; a fault of one request is recorded on it and the other
requests go on. Start-up retries RPC faults the same way; a set-up the operator must fix (no
deployment, other artifacts) raises.
"""

from __future__ import annotations

import contextlib
import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Any

from eth_account.signers.local import LocalAccount

from zkrevox.chain.deploy import load_deployment
from zkrevox.chain.local_build import local_model, record_source
from zkrevox.chain.revert import RevertedError
from zkrevox.errors import ArtifactError, ChainError, DeploymentError
from zkrevox.node.batching import GasBook
from zkrevox.node.bootstrap import (
    Chain,
    connect_chains,
    ensure_capacity,
    ensure_stake,
    local_params,
    usable_batch_sizes,
)
from zkrevox.node.config import NodeConfig
from zkrevox.node.follower import Follower
from zkrevox.node.jobs import IN_FLIGHT, LIVE, State
from zkrevox.node.logs import StatusLineHandler, event
from zkrevox.node.metrics import MetricsServer, NodeMetrics
from zkrevox.node.nonces import GapFiller
from zkrevox.node.pipeline import Pipeline
from zkrevox.node.proofcache import ProofCache, Reuse
from zkrevox.node.proving import ProveTimes, Proving
from zkrevox.node.retry import Backoff, is_transient
from zkrevox.node.rpc import close_node, hexstr
from zkrevox.node.store import JobStore, ModelJobs, StaleJobError
from zkrevox.node.store_pg import open_store
from zkrevox.node.submitter import Submitter
from zkrevox.pool import ProveFn

log = logging.getLogger("zkrevox.node")

GAUGE_EVERY_S = 5.0


@dataclass
class Lane:
    """One model a node serves: its name, its local artifacts' parameters, its prover workers, and once
    connected its view of the chain, the batch sizes it may use and its pipeline."""

    name: str  # as published (the deployment record's name)
    proving: Proving
    local: str = ""  # the local model (models/<local>/) whose build proves it: ``chain.local_build``
    params: Any = None
    chain: Chain | None = None
    sizes: tuple[int, ...] = (1,)
    pipeline: Pipeline | None = None


class _OptimisticByModel:
    """The submitter's ``optimistic`` when lanes share it: each unit goes to its model's lane."""

    def __init__(self, by_model: dict[int, Any], default: Any) -> None:
        self._by_model, self._default = by_model, default

    def _of(self, members: list[Any]) -> Any:
        return self._by_model.get(members[0].model_id, self._default)

    def send_answer(self, job: Any) -> Any:
        return self._of([job]).send_answer(job)

    def receipt(self, members: list[Any], *args: Any) -> Any:
        return self._of(members).receipt(members, *args)

    def nonce_used_elsewhere(self, members: list[Any]) -> Any:
        return self._of(members).nonce_used_elsewhere(members)


class ProviderNode:
    """A provider node. ``run()`` blocks until ``stop()`` (or SIGTERM with ``install_signals``).

    ``prove_fn``: what each prover worker runs per proof (``zkrevox.pool.ProverPool``'s parameter;
    default: the model's own prover). A module-level function, e.g. to instrument proving.
    """

    def __init__(self, config: NodeConfig, account: LocalAccount | None = None, *,
                 prove_fn: ProveFn | None = None) -> None:
        self.config = config
        self.metrics = NodeMetrics()
        self._account = account
        self._stop = threading.Event()
        self._hard_stop = threading.Event()
        self._wake = threading.Event()
        self._backoff = Backoff(config.backoff_base, config.backoff_cap)
        self._status, self._detail = "starting", "loading the prover"
        self._last_error: str | None = None
        self._not_serving: str | None = None  # why the provider can serve nothing new (health not ok)
        self._last_gauges = self._last_chain_check = 0.0
        self._head = 0
        self._verify_chain = True
        self._warned_dprompt: str | None = None  # the other DPrompt a deployment record named, warned once
        self.chain: Chain | None = None
        self.watcher: Any = None  # node.watch.Watcher with --watch
        self.store: JobStore | None = None
        self._proof_cache: ProofCache | None = None
        self.leader: Any = None  # node.leader.Leader with a PostgreSQL store: one active node per provider
        self.role = "starting"  # active | standby
        self.server: MetricsServer | None = None
        self.submitter: Submitter
        self.pipeline: Pipeline
        self.follower: Follower
        self.lanes = [Lane(name, self._proving_for(name, prove_fn)) for name in config.served]
        self._proving = self.lanes[0].proving  # the first model's (a single-model node's only one)
        self.batch_sizes: tuple[int, ...] = (1,)

    def _proving_for(self, name: str, prove_fn: ProveFn | None) -> Any:
        """Local worker processes, or (``--workers 0``) the PostgreSQL queue of remote provers."""
        config = self.config
        times = ProveTimes(config.prove_timeout_factor, config.prove_timeout_floor, config.prove_timeout)
        if config.remote:
            from zkrevox.node.remote import RemoteProving

            return RemoteProving(name, config.proofs_path, times)
        return Proving(name, config.workers, config.proofs_path, times, self._wake, prove_fn=prove_fn)

    # ------------------------------------------------------------ public

    def run(self, *, install_signals: bool = False) -> None:
        """Start, serve until stopped, drain. Raises ``ZkrevoxError`` on a set-up the operator must fix."""
        if install_signals:
            self._install_signals()
        if self.config.metrics_port is not None:
            self.server = MetricsServer(self.metrics, self.health, self.config.metrics_host,
                                        self.config.metrics_port).start()
            event(log, f"metrics on {self.server.url}/metrics, health on {self.server.url}/healthz",
                  event="metrics", url=self.server.url)
        try:
            for lane in self.lanes:  # a model published under another name is proved by the build it came from
                lane.local = local_model(lane.name, source_model=record_source(lane.name, self.config.deployments_dir))
                lane.proving.model = lane.local
                lane.params = local_params(lane.local)
            for lane in self.lanes:
                lane.proving.start()
                event(log, f"{self.config.workers} prover worker(s) ready for model {lane.name}" if not
                      self.config.remote else f"model {lane.name}: proofs by remote provers (`zkrevox prover`)",
                      event="workers", model=lane.name)
            if self._connect(first=True):
                self._serve()
                self._drain()
        finally:
            self._shutdown()

    def stop(self, *, hard: bool = False) -> None:
        """Ask the node to stop: in-flight work is finished (up to ``drain_timeout``) or checkpointed."""
        if hard:
            self._hard_stop.set()
        self._stop.set()
        self._wake.set()

    @property
    def metrics_url(self) -> str | None:
        return self.server.url if self.server else None

    def health(self) -> dict[str, Any]:
        chain, store = self.chain, self.store
        status, detail = self._status, self._detail
        if status == "ok" and self._not_serving:  # following the chain, but it can serve nothing new
            status, detail = "not-serving", self._not_serving
        out: dict[str, Any] = {"status": status, "detail": detail, "last_error": self._last_error,
                               "model": self.config.model, "workers": self.config.workers,
                               "batch_sizes": list(self.batch_sizes), "batch_policy": self.config.batch_policy,
                               "proofs_in_flight": self._inflight_count(), "head_block": self._head,
                               "role": self.role, "store": self.config.store_name}
        if len(self.lanes) > 1:
            out["models"] = {lane.name: {"model_id": lane.chain.model_id if lane.chain else None,
                                         "batch_sizes": list(lane.sizes),
                                         "proofs_in_flight": len(lane.proving.inflight)} for lane in self.lanes}
        if chain is not None:
            out.update(provider=chain.account.address, chain_id=chain.chain_id, dprompt=chain.client.address,
                       model_id=chain.model_id)
        if store is not None:
            try:
                counts = store.counts()
                cur = store.cursor()
            except Exception as exc:  # a closing store: report, never fail the probe
                counts, cur = {}, None
                out["detail"] = f"{self._detail} ({exc})"
            out["jobs"] = counts
            out["processed_block"] = cur[0] if cur else None
        return out

    # ------------------------------------------------------------ start

    def _connect(self, *, first: bool) -> bool:
        """Connect and check the deployment, retrying RPC faults; False if stopped meanwhile."""
        while not self._stop.is_set():
            try:
                chains = connect_chains(self.config.rpc, self.config.rpc_timeout,
                                        [(lane.name, lane.params) for lane in self.lanes], self._account,
                                        self.config.deployments_dir, network=self.config.network,
                                        rpc_source=self.config.rpc_source)
                if not self._lead(chains[0].scope):
                    return False  # stopped on standby
                sizes = []
                for lane, chain in zip(self.lanes, chains, strict=True):
                    ensure_stake(chain, self.config.stake_wei)
                    ensure_capacity(chain, self.config.capacity, self._capacity_slots(lane))
                    sizes.append(usable_batch_sizes(chain, lane.local or lane.name, self.config.batch_sizes))
            except (DeploymentError, RevertedError, ArtifactError) as exc:
                if first:
                    raise
                # after a chain reset: the contracts may be half-deployed, or the record not yet rewritten
                self._degraded(f"waiting for the deployment: {exc}")
            except Exception as exc:
                if not is_transient(exc):
                    raise
                self._degraded(f"RPC {self.config.rpc} unavailable: {exc}")
            else:
                self._open(chains, sizes)
                return True
            self._stop.wait(self._backoff.next_delay())
        return False

    def _open(self, chains: list[Chain], sizes: list[tuple[int, ...]]) -> None:
        self.chain = chain = chains[0]
        self.batch_sizes = sizes[0]
        info: dict[str, Any] = {"chain_id": chain.chain_id, "genesis": chain.genesis, "dprompt": chain.client.address,
                                "provider": chain.account.address, "model": self.config.model,
                                "model_id": chain.model_id}
        if len(chains) > 1:
            info["models"] = {lane.name: c.model_id for lane, c in zip(self.lanes, chains, strict=True)}
        self.store = store = open_store(self.config.store or self.config.db, chain.scope, info)
        # proof reuse keeps proofs in the SQLite file and on this machine's disk: not with a shared --store
        if self.config.reuse_proofs and self.config.store is None and self._proof_cache is None:
            self._proof_cache = ProofCache(self.config.db, self.config.proofs_path)
        books: dict[int, GasBook] = {}
        for lane, lane_chain, lane_sizes in zip(self.lanes, chains, sizes, strict=True):
            lane.chain, lane.sizes = lane_chain, lane_sizes
            lane.proving.use_vks(lane_chain.vks)  # the builds the deployment registered (kept ones too)
            lane.proving.proofs_dir = self.config.proofs_path / chain.scope.replace(":", "_")  # ids never clash
            # a proof may never take more than half the response window: the rest is for mining it
            lane.proving.times.cap = min(self.config.prove_timeout, max(1.0, lane_chain.model.response_window / 2))
            books[lane_chain.model_id] = GasBook(lane_sizes)
            if self.config.remote:
                lane.proving.attach(store)  # type: ignore[attr-defined]

        def on_gas(model_id: int, size: int, gas_used: int) -> None:
            if model_id in books:
                books[model_id].observe(size, gas_used)

        gaps = GapFiller(chain.w3, chain.account, store, self.metrics, self.config, chain.chain_id)
        outputs = {c.model_id: c.model.num_outputs for c in chains}
        self.submitter = Submitter(chain.w3, chain.client, chain.account, store, self.metrics, self.config,
                                   chain.model.num_outputs if len(chains) == 1 else outputs, on_gas=on_gas)
        self.submitter.filler_nonces = gaps.nonces
        served = set(outputs)
        for i, lane in enumerate(self.lanes):
            assert lane.chain is not None
            mine = lane.chain.model_id
            view: Any = store
            if len(self.lanes) > 1:  # the first lane also takes the requests of models no lane serves
                view = ModelJobs(store, _keeps(mine, served if i == 0 else None))
            lane_config = replace(self.config, model=lane.name, models=())
            reuse = None if self._proof_cache is None else Reuse(
                self._proof_cache, lane.name, lane.chain.model.vk_hash.hex(), lane.params.spec)
            lane.pipeline = Pipeline(lane.chain, view, lane.proving, self.submitter, self.metrics, lane_config,
                                     lane.params.spec, self._backoff, sizes=lane.sizes, gas=books[mine],
                                     gaps=gaps if i == 0 else None, reuse=reuse)
        self.pipeline = self.lanes[0].pipeline  # type: ignore[assignment]
        if len(self.lanes) > 1:
            self.submitter.optimistic = _OptimisticByModel(
                {lane.chain.model_id: lane.pipeline.optimistic for lane in self.lanes  # type: ignore[union-attr]
                 }, self.pipeline.optimistic)
        if self.config.watch:
            self._open_watcher(chain, gaps)
        self.follower = Follower(chain.w3, chain.client, store, chain.account.address, chain.deployment.dprompt.block,
                                 self.config.confirmations, self.config.log_chunk_blocks, self.pipeline.seen,
                                 on_reorg=lambda: self._check_chain(chain))
        adopted = {rid for lane in self.lanes for rid in lane.proving.inflight}  # remote proofs going on
        for job in store.jobs([State.PROVING]):
            if job.request_id in adopted:
                continue
            store.transition(job.request_id, State.SEEN, expect=State.PROVING, batch=None, proof_path=None,
                             detail="resumed after a restart: the interrupted proof is made again")
        counts = store.counts()
        live = {s: counts[s.value] for s in LIVE if counts[s.value]}
        self.submitter.sync_nonce()
        self._status, self._detail = "ok", "following"
        self._backoff.reset()
        if len(self.lanes) == 1:
            models = f"model {self.config.model} (id {chain.model_id})"
            shown_sizes = f"proof sizes {list(self.batch_sizes)}"
        else:
            models = "models " + ", ".join(f"{lane.name} (id {lane.chain.model_id}, proof sizes {list(lane.sizes)})"
                                           for lane in self.lanes if lane.chain is not None)
            shown_sizes = "one job store"
        event(log, f"node up: provider {chain.account.address}, DPrompt {chain.client.address} on chain "
              f"{chain.chain_id}, {models}, from block "
              f"{self.follower.processed + 1}; resuming {sum(live.values())} request(s) "
              f"{ {str(k): v for k, v in live.items()} }; {shown_sizes}, policy "
              f"{self.config.batch_policy}, max batch wait {self.config.max_batch_wait:g}s", event="up",
              provider=chain.account.address, chain_id=chain.chain_id, resumed=sum(live.values()),
              batch_sizes=list(self.batch_sizes), batch_policy=self.config.batch_policy,
              models={lane.name: lane.chain.model_id for lane in self.lanes if lane.chain is not None})

    def _open_watcher(self, chain: Chain, gaps: GapFiller) -> None:
        """``--watch``: the watcher runs in this loop with the provider's key; the two senders share
        its nonces (each counts the other's in flight, and resyncs after the other takes one)."""
        from dataclasses import replace

        from zkrevox.node.watch import Watcher, watch_db

        if self.watcher is not None:
            self.watcher.close()
        self.watcher = watcher = Watcher(replace(self.config, db=watch_db(self.config.db), watch=False), chain.account,
                                         workers=1)
        watcher.open()
        node_sub, watch_sub = self.submitter, watcher.submitter

        def inflight(store: JobStore) -> list[int]:
            return [j.nonce for j in store.jobs(IN_FLIGHT) if j.nonce is not None]

        assert watcher.store is not None
        node_sub.filler_nonces = lambda: [*gaps.nonces(), *inflight(watcher.store)]  # type: ignore[arg-type]
        watch_sub.filler_nonces = lambda: [*gaps.nonces(), *inflight(self.store)]  # type: ignore[arg-type]
        node_sub.on_allocate = watch_sub.forget_nonce
        watch_sub.on_allocate = node_sub.forget_nonce
        node_sub.sync_nonce()

    # ------------------------------------------------------------ loop

    def _serve(self) -> None:
        while not self._stop.is_set():
            try:
                sleep = self._tick()
                self._backoff.reset()
                if self._status != "ok":
                    event(log, "recovered: the RPC answers again", event="recovered")
                self._status, self._detail = "ok", "following"
            except Exception as exc:
                sleep = self._fault(exc)
            self._progress()
            if sleep > 0:
                self._wake.wait(sleep)
            self._wake.clear()

    def _tick(self, *, follow: bool = True) -> float:
        chain, store = self.chain, self.store
        assert chain is not None and store is not None
        if self.leader is not None and not self.leader.held():
            from zkrevox.node.leader import LeaderLost

            raise LeaderLost("lost the active lock (the store's session ended); stopping work until it is held again")
        latest = chain.w3.eth.get_block("latest")
        self._head = head = int(latest["number"])
        now_chain = max(float(latest["timestamp"]), time.time())
        self.metrics.head.set(head)
        if follow and (self._verify_chain or head < self.follower.processed
                       or time.monotonic() - self._last_chain_check > self.config.chain_check_every):
            self._check_chain(chain)
        more = self.follower.poll(head) if follow else False
        self.metrics.cursor.set(self.follower.processed)
        for lane in self.lanes:
            assert lane.pipeline is not None
            lane.pipeline.block_gas_limit = int(latest.get("gasLimit") or 0) or None  # fulfilments are planned in it
            lane.pipeline.step(now_chain, head, admit_new=follow)
        if self.watcher is not None and follow:
            self.watcher.tick()
        self._gauges(store, chain)
        if more:
            return 0.0
        wakes = [lane.pipeline.wake_at for lane in self.lanes if lane.pipeline and lane.pipeline.wake_at is not None]
        wake_at = min(wakes) if wakes else None
        if wake_at is not None:  # requests waiting for companions stop waiting then
            return min(self.config.poll_interval, max(0.0, wake_at - time.time()) + 0.01)
        return self.config.poll_interval

    def _fault(self, exc: BaseException) -> float:
        if isinstance(exc, ChainReset):
            self._reset(str(exc))
            return 0.0
        from zkrevox.node.leader import LeaderLost

        if isinstance(exc, LeaderLost):
            self._step_down(str(exc))
            return 0.0
        self._verify_chain = True  # the RPC may come back serving another chain
        delay = self._backoff.next_delay()
        if is_transient(exc):
            self.metrics.rpc_errors.inc()
            self._degraded(f"RPC fault ({type(exc).__name__}: {exc}); retrying in {delay:.1f}s")
        else:
            log.exception("unexpected error in the node loop; retrying in %.1fs", delay)
            self._status, self._detail, self._last_error = "degraded", "internal error", f"{type(exc).__name__}: {exc}"
        return delay

    def _degraded(self, detail: str) -> None:
        first = self._status != "degraded"
        self._status, self._detail, self._last_error = "degraded", detail, detail
        self.metrics.up.set(0)
        event(log, detail, level=logging.WARNING if first else logging.INFO, event="degraded")

    # ------------------------------------------------------------ chain identity

    def _check_chain(self, chain: Chain) -> None:
        """Raise ``ChainReset`` if the RPC now serves another chain (checked after every fault, when the
        head goes backwards, before a reorg is handled, and every ``chain_check_every`` seconds); then
        compare the deployment record with the DPrompt followed (``_check_record``)."""
        self._last_chain_check = time.monotonic()
        genesis = hexstr(chain.w3.eth.get_block(0)["hash"])
        if genesis != chain.genesis:
            raise ChainReset(f"the chain behind {self.config.rpc} was replaced (genesis {genesis[:12]}…, was "
                             f"{chain.genesis[:12]}…)")
        if not chain.w3.eth.get_code(chain.client.address):
            raise ChainReset(f"DPrompt {chain.client.address} has no code any more")
        self._verify_chain = False
        self._check_record(chain)

    def _check_record(self, chain: Chain) -> None:
        """Warn once per address if the deployment record now names another DPrompt (``zkrevox deploy
        --new`` ran): the node keeps following its own, whose requests its job store holds."""
        try:
            dep = load_deployment(chain.chain_id, self.config.deployments_dir)
        except DeploymentError:
            return  # moved aside or being rewritten: nothing to compare now
        new, old = dep.dprompt.address, chain.client.address
        if new.lower() == old.lower() or new.lower() == self._warned_dprompt:
            return
        self._warned_dprompt = new.lower()
        event(log, f"the deployment record {dep.path} now names DPrompt {new}; this node still follows DPrompt "
              f"{old} (its job store belongs to it). Restart the node to follow the new DPrompt",
              level=logging.WARNING, event="deployment-changed", dprompt=old, new_dprompt=new,
              record=str(dep.path))

    def _reset(self, why: str) -> None:
        store = self.store
        assert store is not None
        for lane in self.lanes:
            lane.proving.abandon()  # proofs of requests that no longer exist
        failed = store.fail_live("chain-reset", f"{why}: its requests are gone")
        event(log, f"{why}; {failed} live request(s) marked failed (chain-reset); reconnecting", level=logging.ERROR,
              event="chain-reset", failed=failed)
        store.close()
        self.store = None
        close_node(self.chain.w3 if self.chain else None)
        self.chain = None
        self._degraded(why)
        self._connect(first=False)

    # ------------------------------------------------------------ active / standby (PostgreSQL store)

    def _lead(self, scope: str) -> bool:
        """With a PostgreSQL store, wait (standby) until this node holds its provider's active lock."""
        if self.config.store is None:
            self.role = "active"
            return True
        from zkrevox.node.leader import Leader

        if self.leader is None:
            self.leader = Leader(self.config.store, scope)
        started = time.monotonic()

        def waiting(why: str) -> None:
            self.role, self._status, self._detail = "standby", "standby", why
            event(log, f"{why}; waiting to take over", event="standby")

        if not self.leader.acquire(self._stop, waiting):
            return False
        if self.role == "standby":
            event(log, f"took over as the active node after {time.monotonic() - started:.1f}s on standby",
                  event="takeover", waited=round(time.monotonic() - started, 3))
        self.role = "active"
        return True

    def _capacity_slots(self, lane: Lane) -> int:
        """Workers the declared capacity counts: the local ones, or the remote provers' live slots."""
        if not self.config.remote:
            return self.config.workers
        from zkrevox.node.queue import ProofQueue
        from zkrevox.node.store_pg import PgConnection

        assert self.config.store is not None
        db = PgConnection(self.config.store)
        try:
            return max(1, ProofQueue(db).live_slots(lane.name))
        finally:
            db.close()

    def _step_down(self, why: str) -> None:
        """Lost the active lock: drop in-memory work (the store keeps it), wait for the lock again."""
        for lane in self.lanes:
            lane.proving.abandon()
        if self.store is not None:
            self.store.close()
            self.store = None
        if self.leader is not None:
            self.leader.release()
        self.role = "standby"
        self._degraded(why)
        close_node(self.chain.w3 if self.chain else None)
        self.chain = None
        self._connect(first=False)

    # ------------------------------------------------------------ stop

    def _drain(self) -> None:
        store = self.store
        if store is None or self._hard_stop.is_set():
            return
        until = time.monotonic() + self.config.drain_timeout
        busy = self._busy(store)
        if busy:
            event(log, f"stopping: finishing {busy} request(s) in flight (up to {self.config.drain_timeout:.0f}s)",
                  event="draining", in_flight=busy)
        self._status, self._detail = "stopping", "draining"
        while busy and time.monotonic() < until and not self._hard_stop.is_set():
            try:
                self._tick(follow=False)
            except Exception as exc:
                self._fault(exc)
            self._wake.wait(min(0.2, self.config.poll_interval))
            self._wake.clear()
            busy = self._busy(store)

    def _busy(self, store: JobStore) -> int:
        return self._inflight_count() + len(store.jobs([State.PROVED, *IN_FLIGHT]))

    def _inflight_count(self) -> int:
        return sum(len(lane.proving.inflight) for lane in self.lanes)

    def _shutdown(self) -> None:
        if self.watcher is not None:
            self.watcher.close()
        store = self.store
        inflight = [rid for lane in self.lanes for rid in lane.proving.inflight]
        for lane in self.lanes:
            lane.proving.close(kill=bool(lane.proving.inflight))
        if store is not None:
            for rid in inflight:
                with contextlib.suppress(StaleJobError):
                    store.transition(rid, State.SEEN, expect=State.PROVING, detail="checkpointed at shutdown",
                                     batch=None, proof_path=None)
            counts = {k: v for k, v in store.counts().items() if v}
            event(log, f"stopped; job store {self.config.store_name}: {counts}", event="stopped", jobs=counts)
            store.close()
        if self.leader is not None:
            self.leader.release()
        if self._proof_cache is not None:
            self._proof_cache.close()
            self._proof_cache = None
        self._status, self._detail = "stopped", "stopped"
        close_node(self.chain.w3 if self.chain else None)
        if self.server is not None:
            self.server.close()

    def _install_signals(self) -> None:
        def handler(signum: int, _frame: Any) -> None:
            hard = self._stop.is_set()
            event(log, f"{signal.Signals(signum).name}: " + ("stopping now" if hard else
                  "finishing in-flight work, then stopping (again to stop now)"), event="signal")
            self.stop(hard=hard)

        signal.signal(signal.SIGTERM, handler)
        signal.signal(signal.SIGINT, handler)

    # ------------------------------------------------------------ observability

    def _gauges(self, store: JobStore, chain: Chain) -> None:
        counts = store.counts()
        for state in LIVE:
            self.metrics.queue.labels(state.value).set(counts[state.value])
        self.metrics.up.set(1)
        for lane in self.lanes:
            stats = getattr(lane.proving, "stats", None)  # RemoteProving: the proof-job queue
            if stats is not None:
                self.metrics.proof_jobs.labels(lane.name, "queued").set(stats["queued"])
                self.metrics.proof_jobs.labels(lane.name, "claimed").set(stats["claimed"])
                self.metrics.proof_queue_age.labels(lane.name).set(stats["oldest_queued_s"])
                self.metrics.prover_slots.labels(lane.name).set(stats["slots"])
        if time.monotonic() - self._last_gauges < GAUGE_EVERY_S:
            return
        self._last_gauges = time.monotonic()
        positions = [chain.client.provider(lane.chain.model_id, chain.account.address)
                     for lane in self.lanes if lane.chain is not None]
        self.metrics.stake.set(sum(p.stake for p in positions))  # summed over the models served
        # a provider in no model's pool (unbonding, or its stake below the minimum) is assigned nothing new
        idle = not any(p.eligible for p in positions)
        self._not_serving = (f"provider {chain.account.address} is in no served model's assignment pool (unbonding, "
                             "or its stake below the model's minimum): it is assigned no new requests; stake again "
                             "(`zkrevox provider stake`) to serve") if idle else None
        self.metrics.earned.set(sum(p.earned for p in positions))
        self.metrics.balance.set(chain.w3.eth.get_balance(chain.account.address))

    def _progress(self) -> None:
        handlers = [h for h in logging.getLogger().handlers if isinstance(h, StatusLineHandler)]
        if not handlers or self.store is None:
            return
        c = self.store.counts()
        line = (f"[{self._status}] block {self._head} · seen {c['seen']} · proving {c['proving']} · proved "
                f"{c['proved']} · submitted {c['submitted']} · confirmed {c['confirmed']} · failed {c['failed']} · "
                f"skipped {c['skipped']}")
        for h in handlers:
            h.set_status(line)


class ChainReset(ChainError):
    """The chain under the node is not the one its jobs belong to any more."""


def _keeps(mine: int, served: set[int] | None) -> Callable[[int], bool]:
    """Which model ids a lane's view of the store keeps: its own (``mine``), and with ``served`` (the
    first lane) also those of models no lane serves."""
    if served is None:
        return lambda m: m == mine
    return lambda m: m == mine or m not in served
