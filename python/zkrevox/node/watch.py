"""The watcher (``zkrevox watch``, ``zkrevox node --watch``): check every optimistic answer posted on a
DPrompt and dispute each wrong one with a proof before its challenge window ends, earning the bond.

It follows ``DPromptAnswered`` events from the DPrompt's deployment block (a cursor in its job
store, ``confirmations`` blocks behind the head). Unlike the node's follower it does not walk back
a reorg: an answer re-mined differently after its block was read is not checked again. On a chain
that reorgs, run it ``--confirmations K`` deep (a dispute of an answer that a reorg removed only
reverts: recorded, never retried). Each answer is a job of its own store (scope
``watch:…``, states as the node's; ``jobs`` has the map):

* ``seen``: the posted answer. Answers are taken **earliest window end first**. Each is predicted
  with the local build whose verifying key the model registered (a model without one is ``skipped``,
  ``other-model``); an answer equal to the prediction is ``skipped`` (``correct``). A wrong one is
  **left** (``skipped``), and the log says why, when it cannot be disputed in time (``too-late``: its
  window ends before a proof of measured length plus ``margin`` seconds to be mined) or when the
  dispute would lose money at the current gas price (``unprofitable``: the expected profit, bond
  share less gas, is logged for every answer checked; ``dispute_at_a_loss`` overrides).
* ``proving`` → ``proved``: the right answer is proved by one of ``workers`` prover processes
  (``zkrevox.pool.ProverPool``, the batch-1 circuit), the proof kept under ``<db stem>-proofs/``.
  A worker takes the next answer as soon as it is free.
* ``submitted``: as soon as its proof is ready, ``dispute(id, proof, outputs)`` is simulated (the
  profit checked again with the exact gas), signed, **recorded, then broadcast**, tracked like the
  node's fulfilments (receipt, re-broadcast byte for byte, fee bump with the same nonce), so a crash
  never disputes twice and loses nothing: a restart resumes the jobs where they were.
* ``confirmed``: our dispute overturned the answer (the receipt's gas and the bond are logged).
  ``failed``: ``lost-race`` (another dispute overturned it first: recorded, never retried),
  ``window-passed``, or the contract's reason.

Time is the wall clock checked against the chain (``zkrevox.node.disputes.ChainClock``), never a
stale block's timestamp.
"""

from __future__ import annotations

import concurrent.futures as cf
import contextlib
import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount

from zkrevox.chain.client import DPromptClient
from zkrevox.errors import ArtifactError, ChainError, DeploymentError, InputError, ProofError
from zkrevox.node.config import NodeConfig
from zkrevox.node.disputes import ChainClock, DisputeOutcomes, DisputeSubmitter, Profit, expected_profit
from zkrevox.node.jobs import IN_FLIGHT, Job, SeenRequest, State
from zkrevox.node.logs import event
from zkrevox.node.metrics import NodeMetrics
from zkrevox.node.optimistic import answer_bitmap
from zkrevox.node.retry import Backoff, is_transient
from zkrevox.node.rpc import close_node, connect_node, hexstr
from zkrevox.node.store import SqliteJobStore

log = logging.getLogger("zkrevox.node.watch")

DEFAULT_MARGIN_S = 4.0  # seconds kept before a window's end to have the dispute mined
DEFAULT_WORKERS = 2  # prover processes of a standalone watcher
DEFAULT_DISPUTE_GAS = 700_000  # a dispute's gas before the model's is known (measured at publication, or seen)
PROVE_GUESS_S = 3.0  # a proof's length before one is measured
WARM_UP_PROMPT = "swap 2 bnb for cake"  # any bytes are a prompt every model can prove (workers' first proof)


@dataclass
class _Model:
    name: str
    pool: Any  # zkrevox.pool.ProverPool of the registered build
    num_outputs: int
    bond: int
    optimistic_fee: int
    dispute_gas: int  # the deployment record's measure, then the mean of our receipts
    stake_price_wei: int  # native wei per 10^18 units of the stake asset (declared at publication)
    prove_s: float = PROVE_GUESS_S  # moving average of our proofs
    measured: bool = False

    def record_prove(self, seconds: float) -> None:
        self.prove_s = seconds if not self.measured else 0.7 * self.prove_s + 0.3 * seconds
        self.measured = True


class Watcher(DisputeOutcomes):
    """``run()`` blocks until ``stop()``. ``models``: model names to watch (None: every model of the
    deployment record whose registered build is local). ``margin``: seconds kept before a window's end
    for the dispute to be mined. ``workers``: prover processes per model. ``dispute_at_a_loss``:
    dispute even when the bond share does not cover the gas at the current price."""

    def __init__(self, config: NodeConfig, account: LocalAccount | None = None, *,
                 models: tuple[str, ...] | None = None, margin: float = DEFAULT_MARGIN_S,
                 workers: int = DEFAULT_WORKERS, dispute_at_a_loss: bool = False,
                 metrics: NodeMetrics | None = None) -> None:
        if workers < 1:
            raise InputError(f"--workers must be at least 1, got {workers}")
        self.config = config
        self.wanted = models
        self.margin = margin
        self.workers = workers
        self.dispute_at_a_loss = dispute_at_a_loss
        self.metrics = metrics or NodeMetrics()
        self._account = account
        self._stop = threading.Event()
        self._backoff = Backoff(config.backoff_base, config.backoff_cap)
        self.models: dict[int, _Model] = {}
        self.store: SqliteJobStore | None = None
        self.client: DPromptClient
        self.clock = ChainClock()
        self.status = "starting"
        self._w3: Any = None
        # proofs under way: future -> (request id, started, model id, features key); answers sharing one
        self._proving: dict[cf.Future, tuple[int, float, int, tuple]] = {}
        self._followers: dict[cf.Future, list[int]] = {}
        self._inflight: dict[tuple, cf.Future] = {}  # features key -> its proof under way
        self._proofs: dict[tuple, str] = {}  # features key -> a proof made (a dispute's proof is any request's
        # with the same stored features: DPrompt rebuilds the instances from them)
        self._checked: dict[int, tuple[bytes, tuple, str]] = {}  # wrong answers waiting for a worker
        self._warming: dict[cf.Future, str] = {}  # each worker's first proof (model name), not an answer's
        self._infos: dict[int, Any] = {}  # request id -> its RequestInfo read at the first check
        self._native = "ETH"

    def stop(self) -> None:
        self._stop.set()

    def run(self) -> None:
        """Connect, then follow answers until stopped. Raises ``ZkrevoxError`` on a set-up to fix."""
        try:
            self.open()
            while not self._stop.is_set():
                try:
                    self.tick()
                    self._backoff.reset()
                    self.status = "ok"
                    delay = self.config.poll_interval
                except Exception as exc:
                    if not is_transient(exc):
                        log.exception("unexpected error in the watcher loop")
                    self.status = "degraded"
                    delay = self._backoff.next_delay()
                    event(log, f"watcher: {type(exc).__name__}: {exc}; retrying in {delay:.1f}s",
                          level=logging.WARNING, event="degraded")
                self.wait(delay)
        finally:
            self.close()

    def wait(self, delay: float) -> None:
        """Sleep ``delay`` seconds, waking at once when a proof is ready (its dispute goes out then)."""
        pending = [f for f in (*self._proving, *self._warming) if not f.done()]
        if pending:
            cf.wait(pending, timeout=delay, return_when=cf.FIRST_COMPLETED)
        else:
            self._stop.wait(delay)

    def close(self) -> None:
        for model in self.models.values():
            model.pool.terminate()
        self.models = {}
        self._proving, self._followers, self._inflight, self._checked, self._warming = {}, {}, {}, {}, {}
        self._infos = {}
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._w3 is not None:
            close_node(self._w3)
            self._w3 = None

    # ------------------------------------------------------------ start

    def open(self) -> None:
        """Connect, check the deployment, start the models' prover pools and open the job store (resuming it)."""
        from zkrevox.chain.deploy import load_deployment
        from zkrevox.chain.keys import load_account
        from zkrevox.chain.local_build import local_model
        from zkrevox.chain.networks import check_network, preset_of_chain
        from zkrevox.pool import ProverPool

        cfg = self.config
        self._w3 = w3 = connect_node(cfg.rpc, cfg.rpc_timeout)
        try:
            chain_id = int(w3.eth.chain_id)
            genesis = hexstr(w3.eth.get_block(0)["hash"])
        except Exception as exc:
            raise ChainError(f"RPC {cfg.rpc} does not answer ({type(exc).__name__}: {exc})") from None
        if cfg.network is not None:
            check_network(cfg.network, chain_id, cfg.rpc, cfg.rpc_source)
        self._native = preset_of_chain(chain_id).native
        self.account = account = self._account or load_account(chain_id)
        dep = load_deployment(chain_id, cfg.deployments_dir, w3=w3)
        self.client = client = DPromptClient(w3, dep.dprompt.address, account)
        self.start_block = dep.dprompt.block
        for name, record in dep.models.items():
            if self.wanted is not None and name not in self.wanted:
                continue
            onchain = client.model(record.model_id)
            try:
                source = local_model(name, record, onchain.vk_hash.hex())  # by vk: `publish --as` too
                pool = ProverPool(source, self.workers, vks={1: onchain.vk_hash.hex()})
            except ArtifactError as exc:
                if self.wanted is not None:
                    raise
                event(log, f"model {name} (id {record.model_id}) is not watched: {exc}", level=logging.WARNING,
                      event="not-watched", model=name)
                continue
            self.models[record.model_id] = _Model(
                name, pool, onchain.num_outputs, onchain.answer_bond, onchain.optimistic_fee,
                int(getattr(record, "dispute_gas", 0) or DEFAULT_DISPUTE_GAS),
                int(getattr(record, "stake_price_wei", 0) or 10**18))
        if self.wanted is not None and (missing := set(self.wanted) - {m.name for m in self.models.values()}):
            raise DeploymentError(f"model(s) {sorted(missing)} are not in the deployment record of DPrompt "
                                  f"{dep.dprompt.address}; watch one of {sorted(dep.models)}")
        if not self.models:
            raise ArtifactError("no model of this deployment has its registered build here; build the artifacts "
                                f"of one of {sorted(dep.models)} (`zkrevox build NAME`)")
        self._warm_dir = cfg.proofs_path / "warm-up"
        for model in self.models.values():
            self._warm_up(model)
        scope = f"watch:{chain_id}:{genesis[:18]}:{dep.dprompt.address.lower()}:{account.address.lower()}"
        self.store = store = SqliteJobStore(cfg.db, scope, {"chain_id": chain_id, "genesis": genesis, "role": "watch",
                                                            "dprompt": dep.dprompt.address,
                                                            "disputer": account.address})
        self.proofs_dir = cfg.proofs_path / scope.replace(":", "_")
        self.submitter = DisputeSubmitter(self, w3, client, account, store, self.metrics, cfg, 0)
        for job in store.jobs([State.PROVING]):  # a proof interrupted by a crash is made again
            store.transition(job.request_id, State.SEEN, expect=State.PROVING, proof_path=None,
                             detail="resumed after a restart: the interrupted proof is made again")
        self.submitter.sync_nonce()
        live = sum(1 for _ in store.jobs([State.SEEN, State.PROVED, *IN_FLIGHT]))
        names = ", ".join(f"{m.name} (id {i})" for i, m in self.models.items())
        event(log, f"watcher up: disputer {account.address}, DPrompt {dep.dprompt.address} on chain {chain_id}, "
              f"models {names}, {self.workers} prover worker(s) each, margin {self.margin:g}s, "
              f"{'disputes at a loss too' if self.dispute_at_a_loss else 'no dispute at a loss'}, "
              f"from block {self._processed() + 1}; resuming {live} answer(s)", event="up",
              disputer=account.address, models=[m.name for m in self.models.values()], resumed=live,
              workers=self.workers)
        self.status = "ok"

    def _warm_up(self, model: _Model) -> None:
        """Start the model's workers (each loads its prover) and give each one proof to make now, not
        awaited: a process's first proof pays one-time costs, so the answers' proofs (and the times
        measured from them) come after it. Until it is done the workers count as busy."""
        model.pool.warm_up()
        with contextlib.suppress(OSError):
            self._warm_dir.mkdir(parents=True, exist_ok=True)
        for i in range(self.workers):
            self._warming[model.pool.submit(WARM_UP_PROMPT, self._warm_dir / f"{model.name}-{i}")] = model.name

    # ------------------------------------------------------------ loop

    def _processed(self) -> int:
        assert self.store is not None
        cur = self.store.cursor()
        return cur[0] if cur else self.start_block - 1

    def tick(self) -> None:
        """Read new answers; send the dispute of every proof that is ready; give free workers the
        answers whose windows end first; track disputes in flight."""
        store = self.store
        assert store is not None
        latest = self._w3.eth.get_block("latest")
        head = int(latest["number"])
        self.clock.observe(int(latest["timestamp"]))
        safe = head - self.config.confirmations
        done = self._processed()
        while done < safe:
            to = min(safe, done + self.config.log_chunk_blocks)
            for ev in self.client.answered_events(done + 1, to):
                self._record(ev)
            store.set_cursor(to, [])
            done = to
        self._harvest()
        self._send_ready()
        self._dispatch()
        self._send_ready()
        self.submitter.track(store.jobs(IN_FLIGHT), head)

    def _send_ready(self) -> None:
        """Send the dispute of every ``proved`` answer now (a retry waits for its backoff)."""
        assert self.store is not None
        for job in sorted(self.store.jobs([State.PROVED]), key=lambda j: (j.window_end or 0, j.request_id)):
            if job.next_attempt_at > time.time():
                continue
            self._guarded(job, lambda j=job: self.submitter.send_unit([j]))

    def _guarded(self, job: Job, step: Any) -> None:
        try:
            step()
        except Exception as exc:
            if is_transient(exc):
                raise  # the RPC: the loop backs off as a whole
            self._job_fault(job, exc)  # this answer's own problem: the others go on

    def _dispatch(self) -> None:
        """Earliest window end first: check ``seen`` answers and hand the wrong ones to free workers (or to
        a proof of the same features already made or under way); leave those that can no longer be
        disputed in time."""
        assert self.store is not None
        seen = sorted(self.store.jobs([State.SEEN]), key=lambda j: (j.window_end or 0, j.request_id))
        # workers busy as this pass starts: a worker freed during the pass goes to the earliest window
        # on the next pass (the loop wakes at once), not to whichever answer is being checked then
        busy = {model_id: self.busy(model_id) for model_id in self.models}
        for job in seen:
            if job.next_attempt_at > time.time():
                continue

            def step(j: Job = job) -> None:
                if self._check(j, busy.get(j.model_id, 0)):
                    busy[j.model_id] = busy.get(j.model_id, 0) + 1

            self._guarded(job, step)

    def _harvest(self) -> None:
        """Proofs finished by the workers: ``proving → proved`` for the answer proved and every answer
        waiting on the same features (or a fault, retried)."""
        assert self.store is not None
        for future in [f for f in self._warming if f.done()]:
            name = self._warming.pop(future)
            if future.exception() is not None:  # the answers' proofs will fail the same way: say it now
                event(log, f"model {name}: a worker's first proof failed: {future.exception()}",
                      level=logging.ERROR, event="warm-up-failed", model=name)
            elif not self._warming:
                event(log, "every prover worker has made its first proof: disputes are proved at full speed now",
                      event="warm", models=[m.name for m in self.models.values()])
        for future in [f for f in self._proving if f.done()]:
            lead, started, model_id, key = self._proving.pop(future)
            rids = [lead, *self._followers.pop(future, [])]
            if self._inflight.get(key) is future:
                del self._inflight[key]
            try:
                proof = future.result()
            except Exception as exc:
                for rid in rids:
                    if (job := self.store.get(rid)) is not None and job.state == State.PROVING:
                        self._job_fault(job, ProofError(f"proving the answer of request {rid} failed: {exc}"))
                continue
            seconds = time.time() - started
            self.models[model_id].record_prove(seconds)
            self._proofs[key] = str(proof.path)
            self.metrics.proved.inc()
            self.metrics.prove_seconds.observe(seconds)
            for rid in rids:
                job = self.store.get(rid)
                if job is None or job.state != State.PROVING:
                    continue
                same = "" if rid == lead else f" (the proof of request {lead}: same features)"
                self.store.transition(rid, State.PROVED, expect=State.PROVING, proof_path=str(proof.path),
                                      prove_seconds=seconds, detail=f"proved {proof.labels} in {seconds:.2f}s{same}")
                event(log, f"request {rid}: proving → proved {proof.labels} in {seconds:.2f}s{same}", request_id=rid,
                      state="proved", labels=proof.labels, prove_seconds=seconds)

    def _job_fault(self, job: Job, exc: BaseException) -> None:
        """A fault of one answer (its prompt's event unreadable, its proof failed, its dispute unsendable):
        retried after a backoff, failed after ``max_attempts``."""
        assert self.store is not None
        current = self.store.get(job.request_id)
        assert current is not None
        attempts = current.attempts + 1
        error = f"{type(exc).__name__}: {exc}"
        if attempts >= self.config.max_attempts:
            self.store.transition(job.request_id, State.FAILED, detail=error, reason="error", attempts=attempts,
                                  last_error=error)
            self.metrics.failed.labels("error").inc()
            event(log, f"request {job.request_id}: failed after {attempts} attempt(s): {error}", level=logging.ERROR,
                  request_id=job.request_id, state="failed", reason="error")
            return
        delay = self._backoff.delay_for(attempts)
        back = State.SEEN if current.state == State.PROVING else current.state
        fields = {"attempts": attempts, "last_error": error, "next_attempt_at": time.time() + delay}
        if back == current.state:
            self.store.update(job.request_id, **fields)
        else:
            self.store.transition(job.request_id, back, expect=current.state, detail=error, **fields)
        event(log, f"request {job.request_id}: {error}; trying again in {delay:.1f}s", level=logging.WARNING,
              request_id=job.request_id, state=str(back), attempt=attempts)

    def _record(self, ev: Any) -> None:
        assert self.store is not None
        info = self.client.request_info(ev.request_id)
        seen = SeenRequest(request_id=ev.request_id, model_id=info.model_id, requester=ev.provider,
                           provider=ev.provider, prompt=b"", deadline=int(ev.window_end), fee_wei=0,
                           block_number=ev.block_number, block_hash="", request_tx=ev.tx_hash, requested_at=0)
        if self.store.insert(seen):
            self.store.update(ev.request_id, answer=int(ev.answer), window_end=int(ev.window_end), optimistic=True)
            self.metrics.seen.inc()
            event(log, f"request {ev.request_id}: answer {int(ev.answer):#x} posted by {ev.provider} (tx {ev.tx_hash},"
                  f" window ends {ev.window_end})", request_id=ev.request_id, state="seen", provider=ev.provider,
                  answer=int(ev.answer))


    def _check(self, job: Job, busy: int) -> bool:
        """A posted answer: skip it (other model, not answered, correct), leave it (too late, unprofitable),
        or prove the right one: reuse a proof of the same features (made, or under way), else hand it to
        a free worker; with none free (``busy`` proofs under way) it waits, checked once. True when a
        worker was given a new proof."""
        assert self.store is not None
        rid = job.request_id
        model = self.models.get(job.model_id)
        if model is None:
            self._skip(job, "other-model", f"model {job.model_id} is not watched here (no local build of its "
                                           "registered verifying key)")
            return False
        if self._leave_if_late(job, model, queued=max(0, busy - self.workers + 1)):
            self._checked.pop(rid, None)
            return False
        checked = self._checked.get(rid)
        if checked is None:
            checked = self._first_check(job, model)
            if checked is None:
                return False
        prompt, key, note = checked
        if key in self._proofs:
            self._checked.pop(rid, None)
            self.store.transition(rid, State.PROVED, expect=State.SEEN, prompt=prompt, proof_path=self._proofs[key],
                                  detail=f"{note}; a proof of the same features is at hand")
            event(log, f"request {rid}: seen → proved: a proof of the same features is at hand ({note})",
                  request_id=rid, state="proved")
            return False
        future = self._inflight.get(key)
        if future is None and busy >= self.workers:
            return False  # waits for a free worker (earliest window first)
        self._checked.pop(rid, None)
        self.store.transition(rid, State.PROVING, expect=State.SEEN, prompt=prompt, detail=f"{note}: proving")
        if future is not None:
            self._followers.setdefault(future, []).append(rid)
            event(log, f"request {rid}: seen → proving: shares the proof under way of the same features",
                  request_id=rid, state="proving")
            return False
        out_dir = self.proofs_dir / f"request-{rid}-{time.time_ns()}"
        future = model.pool.submit(prompt, out_dir)
        self._proving[future] = (rid, time.time(), job.model_id, key)
        self._inflight[key] = future
        event(log, f"request {rid}: seen → proving on a worker ({busy + 1}/{self.workers} busy)", request_id=rid,
              state="proving")
        return True

    def _first_check(self, job: Job, model: _Model) -> tuple[bytes, tuple, str] | None:
        """Read the request and its prompt, predict, log the expected profit; ``(prompt, features key,
        note)`` for a wrong answer worth disputing, None when the job was settled here."""
        rid = job.request_id
        info = self.client.request_info(rid)
        if info.status != "answered":
            self._skip(job, "not-answered", f"the request is {info.status} on-chain; nothing to dispute")
            return None
        try:
            prompt = self.client.prompt(rid, from_block=self.start_block)
        except ChainError as exc:
            if "no DPromptRequested event" in str(exc):  # this request's own problem (logs pruned?), not the RPC's
                raise InputError(f"{exc}: its prompt cannot be read, so its answer cannot be checked") from None
            raise
        self._infos[rid] = info  # its requester, provider and fee do not change: the send reuses them
        prediction = model.pool.prover.predict(prompt)
        predicted = answer_bitmap(prediction.outputs)
        self.metrics.checked.inc()
        if predicted == job.answer:
            self._skip(job, "correct", f"posted answer {predicted:#x} is the model's answer; left alone")
            return None
        # the consumer's callback runs in the dispute with all its gas; the requester's escrow pays it back
        profit = self._profit(model, info, model.dispute_gas + info.callback_gas_limit)
        if profit.net < 0 and not self.dispute_at_a_loss:
            self._leave(job, "unprofitable", f"posted answer {job.answer:#x} is wrong (the model says {predicted:#x}),"
                        f" but a dispute would lose money: {profit.describe(self._native)}; left (dispute anyway "
                        "with --dispute-at-a-loss)")
            return None
        note = f"posted {job.answer:#x}, the model says {predicted:#x}"
        event(log, f"request {rid}: posted answer {job.answer:#x} is wrong (the model says {predicted:#x}); "
              f"{profit.describe(self._native)}"
              + (" — at a loss, as --dispute-at-a-loss asks" if profit.net < 0 else "") + "; to prove",
              request_id=rid, state="seen", posted=job.answer, predicted=predicted, profit_wei=profit.net,
              gas_price=profit.gas_price)
        checked = (bytes(prediction.raw_prompt), (job.model_id, tuple(prediction.features)), note)
        self._checked[rid] = checked
        return checked

    def busy(self, model_id: int) -> int:
        """Proofs of ``model_id`` its workers are making."""
        model = self.models.get(model_id)
        warming = sum(1 for f, name in self._warming.items() if model and name == model.name and not f.done())
        return warming + sum(1 for f, (_, _, m, _) in self._proving.items() if m == model_id and not f.done())

    def _leave_if_late(self, job: Job, model: _Model, *, queued: int) -> bool:
        """Leave ``job`` (and say so) when its window ends before a proof (after ``queued`` proofs ahead
        of it on the model's workers) and ``margin`` seconds to be mined; True if left."""
        now = self.clock.now()
        rounds = 1 + queued // self.workers
        need = rounds * model.prove_s + self.margin
        left = (job.window_end or 0) - now
        if left >= need:
            return False
        if left <= 0:
            self._leave(job, "window-passed", f"its challenge window ended at {job.window_end} ({-left:.0f}s ago)")
        else:
            self._leave(job, "too-late", f"its challenge window ends in {left:.1f}s; proving takes "
                        f"~{model.prove_s:.1f}s" + (f" after {queued} proof(s) ahead" if queued else "")
                        + f" and the dispute needs {self.margin:g}s to be mined: left, not proved")
        return True

    def _profit(self, model: _Model, info: Any, gas: int) -> Profit:
        """``info``: the request (``RequestInfo``); ``gas``: the dispute's, its callback's included."""
        model_id = self.client_model_id(model)
        try:
            stake: int | None = self.client.provider(model_id, info.provider).stake
        except Exception:  # an unreadable stake: count the whole bond
            stake = None
        escrow = max(0, info.fee - model.optimistic_fee)
        return expected_profit(model.bond, stake, model.stake_price_wei, gas, int(self._w3.eth.gas_price),
                               info.callback_gas_limit, escrow)

    def client_model_id(self, model: _Model) -> int:
        return next(i for i, m in self.models.items() if m is model)

    def worth_sending(self, job: Job, gas: int) -> bool:
        """The check before signing, with the dispute's simulated gas: False (and the answer left) when it
        would lose money and losses are not allowed."""
        model = self.models[job.model_id]
        info = self._infos.pop(job.request_id, None) or self.client.request_info(job.request_id)
        profit = self._profit(model, info, gas)
        if profit.net >= 0 or self.dispute_at_a_loss:
            return True
        self._leave(job, "unprofitable", f"the dispute simulated at {gas:,} gas would lose money: "
                    f"{profit.describe(self._native)}; left (dispute anyway with --dispute-at-a-loss)")
        return False

    def _leave(self, job: Job, reason: str, why: str) -> None:
        """A wrong (or unchecked) answer this watcher will not dispute, said so: ``skipped`` with ``reason``."""
        self.metrics.left.labels(reason).inc()
        self._skip(job, reason, why)
    def _skip(self, job: Job, reason: str, why: str) -> None:
        assert self.store is not None
        self.store.transition(job.request_id, State.SKIPPED, detail=why, reason=reason)
        self.metrics.skipped.labels(reason).inc()
        event(log, f"request {job.request_id}: skipped ({reason}): {why}", request_id=job.request_id, state="skipped",
              reason=reason)

def watch_db(node_db: Path) -> Path:
    """The watcher's job store next to a node's (``zkrevox node --watch``)."""
    return node_db.with_name(node_db.stem + "-watch.db")
