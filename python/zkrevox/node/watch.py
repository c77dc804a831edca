"""The watcher (``zkrevox watch``, ``zkrevox node --watch``): check every optimistic answer posted on a
DPrompt and dispute each wrong one with a proof before its challenge window ends, earning the bond.

It follows ``DPromptAnswered`` events from the DPrompt's deployment block (a cursor in its job
store, ``confirmations`` blocks behind the head). Unlike the node's follower it does not walk back
a reorg: an answer re-mined differently after its block was read is not checked again. On a chain
that reorgs, run it ``--confirmations K`` deep (a dispute of an answer that a reorg removed only
reverts: recorded, never retried). Each answer is a job of its own store (scope
``watch:…``, states as the node's; ``jobs`` has the map):

* ``seen``: the posted answer. Its model's prompt is predicted with the local build whose verifying
  key the model registered (every model of the deployment record with local artifacts, or those
  named); a model without one is ``skipped`` (``other-model``), an answer equal to the prediction is
  ``skipped`` (``correct``), one whose window ends within ``margin`` seconds is ``skipped``
  (``window-passed``).
* ``proving`` → ``proved``: the right answer is proved (in this process, the batch-1 circuit; about
  a second), the proof kept under ``<db stem>-proofs/``.
* ``submitted``: ``dispute(id, proof, outputs)`` signed, **recorded, then broadcast**, tracked like
  the node's fulfilments (receipt, re-broadcast byte for byte, fee bump with the same nonce), so a
  crash never disputes twice and loses nothing: a restart resumes the jobs where they were.
* ``confirmed``: our dispute overturned the answer (the receipt's gas and the bond are logged).
  ``failed``: ``lost-race`` (another dispute overturned it first: recorded, never retried),
  ``window-passed``, or the contract's reason.
"""

from __future__ import annotations

import logging
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.revert import RevertedError
from zkrevox.errors import ArtifactError, ChainError, DeploymentError, InputError, ProofError
from zkrevox.node.config import NodeConfig
from zkrevox.node.jobs import IN_FLIGHT, Job, SeenRequest, State
from zkrevox.node.logs import event
from zkrevox.node.metrics import NodeMetrics
from zkrevox.node.optimistic import answer_bitmap
from zkrevox.node.retry import Backoff, is_transient
from zkrevox.node.rpc import close_node, connect_node, hexstr
from zkrevox.node.store import SqliteJobStore, StaleJobError
from zkrevox.node.submitter import GAS_MARGIN, Submitter

log = logging.getLogger("zkrevox.node.watch")

DEFAULT_MARGIN_S = 4.0  # seconds kept before a window's end to prove and have the dispute mined


@dataclass
class _Model:
    name: str
    prover: Any  # zkrevox.Prover of the registered build
    num_outputs: int


class DisputeSubmitter(Submitter):
    """The node's submitter, sending ``dispute`` instead of ``fulfil`` and reading its outcome."""

    def __init__(self, watcher: Watcher, *args: Any) -> None:
        super().__init__(*args)
        self.watcher = watcher

    def send_unit(self, members: list[Job]) -> list[Job]:
        job = members[0]
        fn = self.unit_fn(members)
        try:
            gas = int(fn.estimate_gas({"from": self.account.address}) * GAS_MARGIN)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            return [self.watcher.refused(job, self.client.revert_error(exc, "dispute"), None, None)]
        return self.record_and_send(members, fn, gas, State.PROVED, State.SUBMITTED)

    def unit_fn(self, members: list[Job]) -> Any:
        proof, outputs = self._proof(members[0])
        return self.client.contract.functions.dispute(members[0].request_id, proof.proof_bytes, outputs)

    def _proof(self, job: Job) -> tuple[ChainProof, list[int]]:
        proof = ChainProof.from_file(job.proof_path)  # type: ignore[arg-type]
        return proof, proof.outputs(self.watcher.models[job.model_id].num_outputs)

    def on_receipt(self, members: list[Job], tx_hash: str, receipt: Any, head: int) -> None:
        self.watcher.receipt(members[0], tx_hash, receipt, head)

    def _broadcast(self, members: list[Job], raw: bytes, kind: str) -> list[Job]:
        """A dispute the RPC forgot (dropped, or a restart) is sent again only if the answer still stands:
        one overturned meanwhile by another disputer, or out of its window, is recorded without spending gas."""
        if kind == "rebroadcast":
            info = self.client.request_info(members[0].request_id)
            if info.status != "answered":
                self._next = None  # its nonce was never used: free for the next dispute
                why = RevertedError(f"our dispute was never mined and the request is {info.status} now")
                return [self.watcher.refused(members[0], why, None, None, info=info)]
        return super()._broadcast(members, raw, kind)

    def on_nonce_used(self, members: list[Job]) -> None:
        self._next = None
        self.watcher.nonce_used_elsewhere(members[0])


class Watcher:
    """``run()`` blocks until ``stop()``. ``models``: model names to watch (None: every model of the
    deployment record whose registered build is local). ``margin``: seconds before a window's end
    below which an answer is no longer disputed."""

    def __init__(self, config: NodeConfig, account: LocalAccount | None = None, *,
                 models: tuple[str, ...] | None = None, margin: float = DEFAULT_MARGIN_S) -> None:
        self.config = config
        self.wanted = models
        self.margin = margin
        self.metrics = NodeMetrics()
        self._account = account
        self._stop = threading.Event()
        self._backoff = Backoff(config.backoff_base, config.backoff_cap)
        self.models: dict[int, _Model] = {}
        self.store: SqliteJobStore | None = None
        self.client: DPromptClient
        self.status = "starting"
        self._w3: Any = None

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
                self._stop.wait(delay)
        finally:
            self.close()

    def close(self) -> None:
        if self.store is not None:
            self.store.close()
            self.store = None
        if self._w3 is not None:
            close_node(self._w3)
            self._w3 = None

    # ------------------------------------------------------------ start

    def open(self) -> None:
        """Connect, check the deployment, load the models' provers and the job store (resuming it)."""
        from zkrevox.chain.deploy import load_deployment
        from zkrevox.chain.keys import load_account
        from zkrevox.chain.local_build import registered_prover
        from zkrevox.chain.networks import check_network

        cfg = self.config
        self._w3 = w3 = connect_node(cfg.rpc, cfg.rpc_timeout)
        try:
            chain_id = int(w3.eth.chain_id)
            genesis = hexstr(w3.eth.get_block(0)["hash"])
        except Exception as exc:
            raise ChainError(f"RPC {cfg.rpc} does not answer ({type(exc).__name__}: {exc})") from None
        if cfg.network is not None:
            check_network(cfg.network, chain_id, cfg.rpc, cfg.rpc_source)
        self.account = account = self._account or load_account(chain_id)
        dep = load_deployment(chain_id, cfg.deployments_dir, w3=w3)
        self.client = client = DPromptClient(w3, dep.dprompt.address, account)
        self.start_block = dep.dprompt.block
        for name, record in dep.models.items():
            if self.wanted is not None and name not in self.wanted:
                continue
            onchain = client.model(record.model_id)
            try:
                prover = registered_prover(name, record, onchain.vk_hash.hex())  # by vk: `publish --as` too
            except ArtifactError as exc:
                if self.wanted is not None:
                    raise
                event(log, f"model {name} (id {record.model_id}) is not watched: {exc}", level=logging.WARNING,
                      event="not-watched", model=name)
                continue
            self.models[record.model_id] = _Model(name, prover, onchain.num_outputs)
        if self.wanted is not None and (missing := set(self.wanted) - {m.name for m in self.models.values()}):
            raise DeploymentError(f"model(s) {sorted(missing)} are not in the deployment record of DPrompt "
                                  f"{dep.dprompt.address}; watch one of {sorted(dep.models)}")
        if not self.models:
            raise ArtifactError("no model of this deployment has its registered build here; build the artifacts "
                                f"of one of {sorted(dep.models)} (`zkrevox build NAME`)")
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
              f"models {names}, from block {self._processed() + 1}; resuming {live} answer(s)", event="up",
              disputer=account.address, models=[m.name for m in self.models.values()], resumed=live)
        self.status = "ok"

    # ------------------------------------------------------------ loop

    def _processed(self) -> int:
        assert self.store is not None
        cur = self.store.cursor()
        return cur[0] if cur else self.start_block - 1

    def tick(self) -> None:
        """Read new answers, check and prove them, send disputes, track those in flight."""
        store = self.store
        assert store is not None
        head = int(self._w3.eth.block_number)
        safe = head - self.config.confirmations
        done = self._processed()
        while done < safe:
            to = min(safe, done + self.config.log_chunk_blocks)
            for ev in self.client.answered_events(done + 1, to):
                self._record(ev)
            store.set_cursor(to, [])
            done = to
        now = int(self._w3.eth.get_block("latest")["timestamp"])
        for job in store.jobs([State.SEEN, State.PROVED]):
            if job.next_attempt_at > time.time():
                continue
            try:
                if job.state == State.SEEN:
                    self._check(job, now)
                else:
                    self.submitter.send_unit([job])
            except Exception as exc:
                if is_transient(exc):
                    raise  # the RPC: the loop backs off as a whole
                self._job_fault(job, exc)  # this answer's own problem: the others go on
        self.submitter.track(store.jobs(IN_FLIGHT), head)

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

    def _check(self, job: Job, now: int) -> None:
        """A posted answer: skip it (other model, correct, out of time), or prove the right one."""
        assert self.store is not None
        rid = job.request_id
        model = self.models.get(job.model_id)
        if model is None:
            self._skip(job, "other-model", f"model {job.model_id} is not watched here (no local build of its "
                                           "registered verifying key)")
            return
        if (job.window_end or 0) - now < self.margin:
            self._skip(job, "window-passed", f"its challenge window ends at {job.window_end}, {now} now: too late "
                                             "to dispute")
            return
        info = self.client.request_info(rid)
        if info.status != "answered":
            self._skip(job, "not-answered", f"the request is {info.status} on-chain; nothing to dispute")
            return
        try:
            prompt = self.client.prompt(rid, from_block=self.start_block)
        except ChainError as exc:
            if "no DPromptRequested event" in str(exc):  # this request's own problem (logs pruned?), not the RPC's
                raise InputError(f"{exc}: its prompt cannot be read, so its answer cannot be checked") from None
            raise
        predicted = answer_bitmap(model.prover.predict(prompt).outputs)
        if predicted == job.answer:
            self._skip(job, "correct", f"posted answer {predicted:#x} is the model's answer; left alone")
            return
        self.store.transition(rid, State.PROVING, expect=State.SEEN, prompt=prompt,
                              detail=f"posted {job.answer:#x}, the model says {predicted:#x}: proving")
        event(log, f"request {rid}: posted answer {job.answer:#x} is wrong (the model says {predicted:#x}); proving",
              request_id=rid, state="proving", posted=job.answer, predicted=predicted)
        t0 = time.monotonic()
        try:
            proof = model.prover.prove(prompt, out_dir=self.proofs_dir / f"request-{rid}-{time.time_ns()}")
        except Exception as exc:
            raise ProofError(f"proving the answer of request {rid} failed: {exc}") from exc
        seconds = time.monotonic() - t0
        self.store.transition(rid, State.PROVED, expect=State.PROVING, proof_path=str(proof.path),
                              prove_seconds=seconds, detail=f"proved {proof.labels} in {seconds:.2f}s")
        self.metrics.proved.inc()
        event(log, f"request {rid}: proving → proved {proof.labels} in {seconds:.2f}s", request_id=rid,
              state="proved", tickers=proof.labels, prove_seconds=seconds)

    def _skip(self, job: Job, reason: str, why: str) -> None:
        assert self.store is not None
        self.store.transition(job.request_id, State.SKIPPED, detail=why, reason=reason)
        self.metrics.skipped.labels(reason).inc()
        event(log, f"request {job.request_id}: skipped ({reason}): {why}", request_id=job.request_id, state="skipped",
              reason=reason)

    # ------------------------------------------------------------ outcomes

    def receipt(self, job: Job, tx_hash: str, receipt: Any, head: int) -> None:
        if int(receipt["blockNumber"]) > head - self.config.confirmations:
            return
        gas = int(receipt["gasUsed"])
        if receipt["status"] != 1:
            tx = self._w3.eth.get_transaction(tx_hash)
            fields = {"from": self.account.address, "to": self.client.address, "data": tx["input"], "value": 0,
                      "gas": tx["gas"]}

            class _Fn:
                fn_name = "dispute"

            self.refused(job, self.client.mined_revert_error(_Fn(), fields, receipt), tx_hash, gas)
            return
        assert self.store is not None
        try:
            job = self.store.transition(job.request_id, State.CONFIRMED, expect=State.SUBMITTED, fulfil_tx=tx_hash,
                                        gas_used=gas, confirmed_at=time.time(), last_error=None,
                                        detail=f"overturned by our dispute tx {tx_hash} (gas {gas})")
        except StaleJobError:
            return
        self.metrics.fulfilled.inc()
        event(log, f"request {job.request_id}: submitted → confirmed: answer overturned by dispute tx {tx_hash} "
              f"(gas {gas})", request_id=job.request_id, state="confirmed", tx=tx_hash, gas_used=gas)

    def refused(self, job: Job, err: RevertedError, tx_hash: str | None, gas: int | None, *,
                info: Any = None) -> Job:
        """A dispute the contract refused (in simulation, or mined and reverted), or that can no longer be
        made: record why, never retry."""
        assert self.store is not None
        where = f" (tx {tx_hash}, gas {gas})" if tx_hash else " (not mined)"
        info = info or self.client.request_info(job.request_id)
        if err.error_name == "DPromptAnswerNotWrong":
            state, reason = State.SKIPPED, "correct"
        elif info.status == "overturned":
            state, reason = State.FAILED, "lost-race"
        elif info.status in ("finalizable", "fulfilled"):
            state, reason = State.FAILED, "window-passed"
        else:
            state, reason = State.FAILED, "reverted"
        why = f"dispute refused{where}: {err}; the request is {info.status}"
        job = self.store.transition(job.request_id, state, detail=why, reason=reason, last_error=why, gas_used=gas)
        self.metrics.failed.labels(reason).inc()
        event(log, f"request {job.request_id}: {state} ({reason}): {why}", level=logging.WARNING,
              request_id=job.request_id, state=str(state), reason=reason)
        return job

    def nonce_used_elsewhere(self, job: Job) -> None:
        """Our dispute's nonce went to another transaction: send it again if the answer still stands."""
        assert self.store is not None
        info = self.client.request_info(job.request_id)
        why = f"nonce {job.nonce} was used by another transaction"
        if info.status == "answered":
            self.store.transition(job.request_id, State.PROVED, expect=State.SUBMITTED, nonce=None, tx_hashes=[],
                                  raw_tx=None, attempts=job.attempts + 1, last_error=why,
                                  detail=f"{why}; sending again")
            return
        self.refused(job, RevertedError(why), None, None)


def watch_db(node_db: Path) -> Path:
    """The watcher's job store next to a node's (``zkrevox node --watch``)."""
    return node_db.with_name(node_db.stem + "-watch.db")
