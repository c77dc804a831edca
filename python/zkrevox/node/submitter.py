"""Fulfilment transactions: nonces, fees, write-ahead, broadcast, receipts, replacement.

A *unit* is what one transaction answers: one request (``fulfil``) or the members of one batch
proof (``fulfilBatch``, members in the proof's order, each job's ``batch``). Every member of a
unit carries the same nonce, hashes and signed bytes, and moves with the others in one store
transaction.

Never two answers to one request:

* a fulfilment is signed, then **recorded** (state ``submitted``, nonce, hash, raw bytes, on every
  member at once), and only then broadcast. A crash at any point leaves either nothing sent, or a
  recorded transaction that the tracker finds mined, re-broadcasts byte for byte (same hash), or
  replaces with the **same nonce**, so at most one of them can ever be mined;
* a new nonce is used for a request only once its previous nonce was consumed by a
  transaction that is not one of ours for it, and after the chain says the request is still
  pending;
* the contract refuses a second fulfilment anyway (``DPromptAlreadyFulfilled``), and that
  verdict is read as "done" once ``request_info`` shows it fulfilled.

A batch member that goes bad does not sink the others. Before sending, a simulation that names a
member already fulfilled, unknown or assigned elsewhere drops that member and sends the others
back to be batched again at once (their proof included it). On-chain, ``fulfilBatch`` skips
members whose deadline passed or that were reclaimed (``DPromptFulfilSkipped``): the receipt's
logs say which members were fulfilled and which were skipped, and each is recorded so.

Nonces for concurrent fulfilments are allocated locally (``_next``), starting from the chain's
pending count and above every nonce still recorded as in flight. A fulfilment left unmined for
``bump_after`` seconds is replaced with fees raised by ``bump_factor`` (EIP-1559: tip and max
fee; legacy: gas price), never below the market's current fees; one the RPC node forgot
(dropped from its pool, or a restarted node) is broadcast again. A nonce that no fulfilment
will use (``nonces.GapFiller``) is filled so that later ones are not stalled.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, TransactionNotFound

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.networks import fee_fields
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.revert import RevertedError
from zkrevox.errors import ProofError
from zkrevox.node.config import NodeConfig
from zkrevox.node.jobs import Job, State
from zkrevox.node.logs import event
from zkrevox.node.metrics import NodeMetrics
from zkrevox.node.retry import is_transient
from zkrevox.node.rpc import hexstr
from zkrevox.node.store import JobStore, StaleJobError

log = logging.getLogger("zkrevox.node.submitter")

GAS_MARGIN = 1.2
RECEIPT_GRACE_S = 0.25
REORG_RECHECK_S = 1.0  # a request gone in a reorg is looked at again this often, until its deadline

# What a revert of fulfil means for the request: (final state, reason code).
_VERDICTS: dict[str, tuple[State, str]] = {
    "DPromptDeadlinePassed": (State.FAILED, "deadline"),
    "DPromptAlreadyReclaimed": (State.FAILED, "reclaimed"),
    "DPromptNotAssigned": (State.FAILED, "not-assigned"),
    "DPromptUnknownRequest": (State.FAILED, "unknown-request"),
    "DPromptProofRejected": (State.FAILED, "proof-rejected"),
    "DPromptWrongOutputCount": (State.FAILED, "proof-rejected"),
}

# Reverts of a batch that name no member: its proof does not hold for these requests (prove them again).
_PROOF_REFUSED = ("DPromptBatchProofRejected", "DPromptWrongOutputCount", "DPromptOutputOutOfRange")

# Reverts that a reorg explains when the request id now holds another prompt.
_MAYBE_REMINED = ("DPromptProofRejected", "DPromptUnknownRequest")

# DPromptFulfilSkipped(uint256 indexed requestId, address indexed provider, bytes4 reason): a member
# of a fulfilBatch that the contract passed over (no effect, no pay); reason: the error's selector.
SKIPPED_TOPIC = hexstr(Web3.keccak(text="DPromptFulfilSkipped(uint256,address,bytes4)"))
FULFILLED_TOPIC = hexstr(Web3.keccak(text="DPromptFulfilled(uint256,address,uint256)"))
SKIP_REASONS = {
    bytes(Web3.keccak(text="DPromptDeadlinePassed(uint256,uint256)")[:4]): "deadline",
    bytes(Web3.keccak(text="DPromptAlreadyReclaimed(uint256)")[:4]): "reclaimed",
}


class InstancesMismatch(Exception):
    """The proof's public inputs are not the request's on-chain instances: prove it again."""


class Submitter:
    def __init__(self, w3: Web3, client: DPromptClient, account: LocalAccount, store: JobStore,
                 metrics: NodeMetrics, config: NodeConfig, num_outputs: int,
                 on_gas: Callable[[int, int], None] | None = None) -> None:
        self.w3 = w3
        self.client = client
        self.account = account
        self.store = store
        self.metrics = metrics
        self.config = config
        self.num_outputs = num_outputs
        self.on_gas = on_gas  # (batch size, gas used) of every fulfilment mined successfully
        self.filler_nonces: Callable[[], list[int]] = lambda: []  # nonces held by gap fillers in flight
        self._next: int | None = None

    # ------------------------------------------------------------ sending

    def send(self, job: Job) -> Job:
        """Check, simulate, sign, record and broadcast the fulfilment of a ``proved`` job alone."""
        return self.send_unit([job])[0]

    def send_unit(self, members: list[Job]) -> list[Job]:
        """Check, simulate, sign, record and broadcast one fulfilment of ``members`` (one job, or a
        whole batch in its proof's order)."""
        ids = [m.request_id for m in members]
        batched = members[0].batch is not None
        proof, outputs = self._proof(members[0])
        try:
            expected: list[int] | None = (self.client.batch_public_instances(ids, outputs) if batched
                                          else self.client.public_instances(ids[0], outputs))
        except RevertedError as err:  # not pending any more: fulfilled, reclaimed, or gone
            if not batched:
                return [self.settle_revert(members[0], err)]
            if err.error_name != "DPromptAlreadyReclaimed":
                return self.drop_members(members, err)
            expected = None  # a reclaimed member has no features left; fulfilBatch skips it: simulate
        if expected is not None and expected != proof.instances:
            raise InstancesMismatch(f"requests {ids}: the proof's public inputs are not the requests' on-chain "
                                    "features (was a request re-mined by a reorg?)")
        fn = self._fn(ids, proof, outputs, batched)
        try:
            gas = int(fn.estimate_gas({"from": self.account.address}) * GAS_MARGIN)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            err = self.client.revert_error(exc, fn.fn_name)
            return self.drop_members(members, err) if batched else [self.settle_revert(members[0], err)]
        if self._next is None:
            self.sync_nonce()
        assert self._next is not None
        nonce = self._next
        fees = {"gas": gas, **fee_fields(self.w3), "bumps": 0}
        raw, tx_hash = self._sign(fn, nonce, fees)
        members = self.store.transition_many(
            ids, State.SUBMITTED, expect=State.PROVED, detail=f"tx {tx_hash} nonce {nonce}" + _of(ids),
            nonce=nonce, tx_hashes=[tx_hash], raw_tx=raw.hex(), tx_fees=fees, sent_at=time.time(),
        )
        self._next = nonce + 1
        if batched:
            self.metrics.batches.labels(str(len(ids))).inc()
        event(log, f"{_who(ids)}: proved → submitted (tx {tx_hash}, nonce {nonce})", request_id=ids[0],
              request_ids=ids, state="submitted", tx=tx_hash, nonce=nonce, batch=len(ids))
        return self._broadcast(members, raw, "first")

    def sync_nonce(self) -> None:
        """Next nonce: the chain's pending count, above every nonce recorded as in flight."""
        chain = int(self.w3.eth.get_transaction_count(self.account.address, "pending"))
        inflight = [j.nonce + 1 for j in self.store.jobs([State.SUBMITTED]) if j.nonce is not None]
        self._next = max([chain, *inflight, *(n + 1 for n in self.filler_nonces())])

    def drop_members(self, members: list[Job], err: RevertedError) -> list[Job]:
        """A batch the contract would refuse because of some members: settle those (fulfilled meanwhile,
        reclaimed, expired, gone, assigned elsewhere) and send the others back to be batched again at once."""
        bad: dict[int, str] = {}
        for m in members:
            try:
                info = self.client.request_info(m.request_id)
            except RevertedError as gone:
                if gone.error_name != "DPromptUnknownRequest":
                    raise
                bad[m.request_id] = "unknown"
                continue
            if info.status != "pending" or info.provider.lower() != self.account.address.lower():
                bad[m.request_id] = info.status if info.status != "pending" else "not-assigned"
        if not bad:  # nothing wrong with a member: the proof itself (or the contract) refused
            if err.error_name in _PROOF_REFUSED:
                raise InstancesMismatch(f"{_who([m.request_id for m in members])}: {err}; proving them again")
            raise err
        out = []
        good = [m.request_id for m in members if m.request_id not in bad]
        why = f"batch dropped before sending ({err.error_name or err}): " + ", ".join(
            f"request {r} is {s}" for r, s in bad.items())
        if good:
            out += self.store.transition_many(good, State.SEEN, expect=State.PROVED, detail=f"{why}; batched again",
                                              batch=None, proof_path=None, next_attempt_at=0.0, last_error=why)
        for m in members:
            status = bad.get(m.request_id)
            if status is None:
                continue
            if status == "fulfilled":
                out.append(self.confirm_if_fulfilled(m, "already fulfilled on-chain"))
            elif status == "unknown":
                out.append(self._prove_again(m, "request is not on-chain (reorged out?); waiting for it to be "
                                                "mined again, until its deadline"))
            else:
                reason = {"expired": "deadline", "reclaimed": "reclaimed"}.get(status, status)
                out.append(self._fail(m, reason, f"{why}; dropped from its batch", err.error_name))
        event(log, f"{why}; {len(good)} other member(s) batched again", level=logging.WARNING,
              request_ids=[m.request_id for m in members], event="batch-dropped", dropped=sorted(bad))
        return out

    # ------------------------------------------------------------ tracking

    def track(self, jobs: list[Job], head: int) -> None:
        """Follow every ``submitted`` unit one step: confirm, settle a revert, re-send, re-broadcast or bump."""
        if not jobs:
            return
        mined_nonce = int(self.w3.eth.get_transaction_count(self.account.address, "latest"))
        units: dict[tuple[int, ...], list[Job]] = {}
        for job in jobs:
            units.setdefault(job.unit, []).append(job)
        for members in units.values():
            try:
                self._track(members, head, mined_nonce)
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.exception("%s: tracking its fulfilment failed", _who([m.request_id for m in members]))
                for m in members:
                    self.store.update(m.request_id, last_error=f"track: {type(exc).__name__}: {exc}")

    def _track(self, members: list[Job], head: int, mined_nonce: int) -> None:
        rep = members[0]
        found = self._receipt(rep)
        if found is not None:
            self._settle(members, *found, head)
            return
        assert rep.nonce is not None
        if mined_nonce > rep.nonce:
            time.sleep(RECEIPT_GRACE_S)  # some nodes count a mined nonce before they serve its receipt
            found = self._receipt(rep)
            if found is not None:
                self._settle(members, *found, head)
            else:
                self._nonce_used_elsewhere(members)
            return
        if not any(self._in_pool(h) for h in reversed(rep.tx_hashes)):
            if time.time() < rep.next_attempt_at:
                return
            latest = rep.tx_hashes[-1]
            event(log, f"{_who(rep.unit)}: tx {latest} is unknown to the RPC node; broadcasting it again",
                  level=logging.WARNING, request_id=rep.request_id, tx=latest, event="rebroadcast")
            self._broadcast(members, bytes.fromhex(rep.raw_tx or ""), "rebroadcast")
            return
        if time.time() - (rep.sent_at or 0) >= self.config.bump_after:
            self._bump(members)

    def _settle(self, members: list[Job], tx_hash: str, receipt: Any, head: int) -> None:
        gas = int(receipt["gasUsed"])
        if receipt["status"] == 1:
            if int(receipt["blockNumber"]) > head - self.config.confirmations:
                return  # mined, not yet deep enough
            if self.on_gas is not None:
                self.on_gas(len(members[0].unit), gas)
            if members[0].batch is None:
                self._confirm(members[0], tx_hash, gas)
                return
            fulfilled, skipped = _batch_logs(receipt, self.client.address)
            for m in members:
                if m.request_id in fulfilled:
                    self._confirm(m, tx_hash, gas)
                elif m.request_id in skipped:
                    self._fail(m, skipped[m.request_id], f"skipped by fulfilBatch on-chain (tx {tx_hash}, gas {gas}): "
                               f"no effect and no pay for this member", "DPromptFulfilSkipped", gas_used=gas)
                else:
                    self.confirm_if_fulfilled(m, f"not named in the logs of its batch's tx {tx_hash}")
            return
        rep = members[0]
        tx = self.w3.eth.get_transaction(HexStr(tx_hash))
        fields = {"from": self.account.address, "to": self.client.address, "data": tx["input"], "value": 0,
                  "gas": tx["gas"]}
        name = "fulfilBatch" if rep.batch is not None else "fulfil"
        err = self.client.mined_revert_error(SimpleNamespace(fn_name=name), fields, receipt)
        if rep.batch is None:
            self.settle_revert(rep, err, gas_used=gas, tx_hash=tx_hash)
        else:
            self._batch_reverted(members, err, gas, tx_hash)

    def _batch_reverted(self, members: list[Job], err: RevertedError, gas: int, tx_hash: str) -> None:
        """A mined fulfilBatch reverted: settle the members that are not pending for us any more, and
        prove the others again in a new batch (an attempt counted if no member explains the revert)."""
        pending = []
        for m in members:
            try:
                info = self.client.request_info(m.request_id)
            except RevertedError:
                self._prove_again(m, f"batch tx {tx_hash} reverted ({err.error_name}); the request is not on-chain")
                continue
            if info.status == "pending" and info.provider.lower() == self.account.address.lower():
                pending.append(m)
            elif info.status == "fulfilled":
                self.confirm_if_fulfilled(m, f"batch tx {tx_hash} reverted ({err.error_name})")
            else:
                reason = {"expired": "deadline", "reclaimed": "reclaimed"}.get(info.status, "not-assigned")
                self._fail(m, reason, f"batch tx {tx_hash} reverted ({err}): the request is {info.status}",
                           err.error_name, gas_used=gas)
        if not pending:
            return
        explained = len(pending) < len(members)
        why = f"batch tx {tx_hash} reverted (gas {gas}): {err}"
        for m in pending:
            attempts = m.attempts + (0 if explained else 1)
            if attempts >= self.config.max_attempts:
                self._fail(m, "reverted", why, err.error_name, gas_used=gas)
                continue
            self.store.transition(m.request_id, State.SEEN, expect=State.SUBMITTED, detail=f"{why}; proved again",
                                  batch=None, proof_path=None, nonce=None, tx_hashes=[], raw_tx=None,
                                  attempts=attempts, last_error=why, next_attempt_at=0.0)
        event(log, f"{why}; {len(pending)} pending member(s) proved again", level=logging.WARNING,
              request_ids=[m.request_id for m in pending], event="batch-reverted")

    def settle_revert(self, job: Job, err: RevertedError, *, gas_used: int | None = None,
                      tx_hash: str | None = None) -> Job:
        """What a reverted (or refused in simulation) single fulfilment means: done, or failed with a reason."""
        if err.error_name == "DPromptAlreadyFulfilled":
            return self.confirm_if_fulfilled(job, "already fulfilled on-chain")
        if err.error_name is None:  # not recovered (a replay on the parent block passes): the chain's state says why
            try:
                status = self.client.request_info(job.request_id).status
            except RevertedError as gone:
                status = "unknown" if gone.error_name == "DPromptUnknownRequest" else "?"
            if status == "fulfilled":
                return self.confirm_if_fulfilled(job, "already fulfilled on-chain")
            err.error_name = {"expired": "DPromptDeadlinePassed", "reclaimed": "DPromptAlreadyReclaimed",
                              "unknown": "DPromptUnknownRequest"}.get(status)
            if err.error_name:
                err.args = (f"{err} (the request is {status} now: {err.error_name})",)
        if err.error_name in _MAYBE_REMINED:
            change = self._reorged(job)
            if change == "vanished":
                return self._prove_again(job, f"fulfilment refused ({err.error_name}): the request is not on-chain "
                                              "(reorged out?); waiting for it to be mined again, until its deadline")
            if change == "remined":
                return self._prove_again(job, f"fulfilment refused ({err.error_name}): the request was re-mined with "
                                              "another prompt; proving it again")
        state, reason = _VERDICTS.get(err.error_name or "", (State.FAILED, "reverted"))
        where = f" (tx {tx_hash}, gas {gas_used})" if tx_hash else " (refused in simulation; nothing sent)"
        job = self.store.transition(job.request_id, state, detail=f"{reason}{where}", reason=reason,
                                    last_error=str(err), gas_used=gas_used)
        self.metrics.failed.labels(reason).inc()
        event(log, f"request {job.request_id}: fulfilment reverted{where}: {err}", level=logging.ERROR,
              request_id=job.request_id, state=str(state), reason=reason, error=err.error_name)
        return job

    def confirm_if_fulfilled(self, job: Job, why: str) -> Job:
        """Confirmed if the chain shows the request fulfilled (it is never sent again); failed otherwise."""
        info = self.client.request_info(job.request_id)
        if info.status == "fulfilled":
            tx = self.client.fulfil_tx(job.request_id, from_block=job.block_number)
            ours = tx is not None and tx.lower() in (h.lower() for h in job.tx_hashes)
            gas = int(self.w3.eth.get_transaction_receipt(HexStr(tx))["gasUsed"]) if tx else None
            job = self.store.transition(job.request_id, State.CONFIRMED, detail=f"{why}; fulfilled by tx {tx}",
                                        fulfil_tx=tx, gas_used=gas, confirmed_at=time.time(),
                                        reason=None if ours else "already-fulfilled")
            self._confirmed(job, f"tx {tx}, gas {gas}" if ours else f"{why} (tx {tx}); not sent again")
            return job
        reason = {"reclaimed": "reclaimed", "expired": "deadline"}.get(info.status, "reverted")
        job = self.store.transition(job.request_id, State.FAILED, detail=f"{why}, but the request is {info.status}",
                                    reason=reason, last_error=f"{why}; the request is {info.status}")
        self.metrics.failed.labels(reason).inc()
        event(log, f"request {job.request_id}: {why}, but the request is {info.status}: failed", level=logging.ERROR,
              request_id=job.request_id, state="failed", reason=reason)
        return job

    def _reorged(self, job: Job) -> str | None:
        """``vanished`` if the request is not on-chain, ``remined`` if it is pending for us with other
        features than our proof's, else None."""
        try:
            info = self.client.request_info(job.request_id)
        except RevertedError as err:
            return "vanished" if err.error_name == "DPromptUnknownRequest" else None
        if info.status != "pending" or info.provider.lower() != self.account.address.lower():
            return None
        try:
            proof, outputs = self._proof(job)
        except ProofError:
            return "remined"
        return "remined" if self.client.public_instances(job.request_id, outputs) != proof.instances else None

    def _prove_again(self, job: Job, why: str) -> Job:
        job = self.store.transition(job.request_id, State.SEEN, detail=why, nonce=None, proof_path=None, batch=None,
                                    tx_hashes=[], raw_tx=None, last_error=why,
                                    next_attempt_at=time.time() + REORG_RECHECK_S)
        event(log, f"request {job.request_id}: {why}", level=logging.WARNING, request_id=job.request_id, state="seen")
        return job

    def _nonce_used_elsewhere(self, members: list[Job]) -> None:
        """The unit's nonce was consumed by a transaction that is none of ours for it."""
        self._next = None
        rep = members[0]
        why = f"nonce {rep.nonce} was used by another transaction"
        statuses: dict[int, str] = {}
        for m in members:
            try:
                statuses[m.request_id] = self.client.request_info(m.request_id).status
            except RevertedError as err:
                if err.error_name != "DPromptUnknownRequest":
                    raise
                statuses[m.request_id] = "unknown"
        pending = [m for m in members if statuses[m.request_id] == "pending"]
        if len(pending) == len(members):  # the old transaction can never be mined now: send the same proof again
            ids = [m.request_id for m in members]
            self.store.transition_many(ids, State.PROVED, expect=State.SUBMITTED, nonce=None, tx_hashes=[],
                                       raw_tx=None, detail=f"{why}; sending again", last_error=why,
                                       each={m.request_id: {"attempts": m.attempts + 1} for m in members})
            event(log, f"{_who(ids)}: {why}; re-sending", level=logging.WARNING, request_id=ids[0],
                  request_ids=ids, state="proved")
            return
        for m in members:
            status = statuses[m.request_id]
            if status == "unknown":
                self._prove_again(m, f"{why} and the request is not on-chain (reorged out?); waiting for it, "
                                     "until its deadline")
            elif status == "pending":  # its batch proof names members that are settled: prove it again
                self.store.transition(m.request_id, State.SEEN, expect=State.SUBMITTED, detail=f"{why}; batched again",
                                      batch=None, proof_path=None, nonce=None, tx_hashes=[], raw_tx=None,
                                      attempts=m.attempts + 1, last_error=why, next_attempt_at=0.0)
            else:
                self.confirm_if_fulfilled(m, why)

    # ------------------------------------------------------------ plumbing

    def _bump(self, members: list[Job]) -> list[Job]:
        rep = members[0]
        old = dict(rep.tx_fees)
        if old.get("bumps", 0) >= self.config.max_bumps:
            return members
        new = bumped_fees(old, fee_fields(self.w3), self.config.bump_factor)
        proof, outputs = self._proof(rep)
        ids = [m.request_id for m in members]
        fn = self._fn(list(rep.unit), proof, outputs, rep.batch is not None)
        assert rep.nonce is not None
        raw, tx_hash = self._sign(fn, rep.nonce, new)
        members = self.store.transition_many(
            ids, State.SUBMITTED, expect=State.SUBMITTED, detail=f"replaced by {tx_hash} (fee bump)",
            tx_hashes=[*rep.tx_hashes, tx_hash], raw_tx=raw.hex(), tx_fees=new, sent_at=time.time(),
        )
        event(log, f"{_who(ids)}: fulfilment unmined after {self.config.bump_after:.0f}s; replaced by "
              f"{tx_hash} with fees x{self.config.bump_factor} (nonce {rep.nonce}, bump {new['bumps']})",
              request_id=ids[0], state="submitted", tx=tx_hash, event="bump")
        return self._broadcast(members, raw, "bump")

    def _broadcast(self, members: list[Job], raw: bytes, kind: str) -> list[Job]:
        ids = [m.request_id for m in members]
        try:
            self.w3.eth.send_raw_transaction(raw)
        except (OSError, TimeoutError) as exc:  # unreachable: the tracker re-broadcasts later
            self.metrics.rpc_errors.inc()
            return [self.store.update(r, last_error=f"broadcast: {exc}") for r in ids]
        except Exception as exc:  # the node answered with a refusal
            text = str(exc).lower()
            if "already known" in text or "known transaction" in text:
                return members
            if "nonce too low" in text or "nonce too high" in text:
                self._next = None
                return [self.store.update(r, last_error=f"broadcast: {exc}") for r in ids]
            if "underpriced" in text and kind != "bump":
                self._next = None
                return self._bump(members)
            rep = members[0]
            delay = min(self.config.backoff_cap, self.config.backoff_base * 2 ** min(rep.attempts, 10))
            members = [self.store.update(m.request_id, attempts=m.attempts + 1, last_error=f"broadcast: {exc}",
                                         next_attempt_at=time.time() + delay) for m in members]
            event(log, f"{_who(ids)}: broadcast refused ({exc}); retrying in {delay:.1f}s",
                  level=logging.WARNING, request_id=ids[0], error=str(exc))
            if members[0].attempts >= self.config.max_attempts:
                reason = "insufficient-funds" if "insufficient funds" in text else "broadcast-refused"
                self._next = None  # its nonce is free again (a later fulfilment above it is a gap: GapFiller)
                out = []
                for m in members:
                    self.metrics.failed.labels(reason).inc()
                    out.append(self.store.transition(m.request_id, State.FAILED, detail=reason, reason=reason))
                return out
            return members
        self.metrics.transactions.labels(kind).inc()
        return members

    def _receipt(self, job: Job) -> tuple[str, Any] | None:
        for tx_hash in reversed(job.tx_hashes):
            try:
                return tx_hash, self.w3.eth.get_transaction_receipt(HexStr(tx_hash))
            except TransactionNotFound:
                continue
        return None

    def _in_pool(self, tx_hash: str) -> bool:
        try:
            self.w3.eth.get_transaction(HexStr(tx_hash))
        except TransactionNotFound:
            return False
        return True

    def _fn(self, ids: list[int], proof: ChainProof, outputs: list[int], batched: bool) -> Any:
        functions = self.client.contract.functions
        if batched:
            return functions.fulfilBatch(ids, proof.proof_bytes, outputs)
        return functions.fulfil(ids[0], proof.proof_bytes, outputs)

    def _sign(self, fn: Any, nonce: int, fees: dict[str, int]) -> tuple[bytes, str]:
        fields = {k: v for k, v in fees.items() if k != "bumps"}
        tx = fn.build_transaction({"from": self.account.address, "nonce": nonce, "chainId": self.client.chain_id,
                                   "value": 0, **fields})
        signed = self.account.sign_transaction(tx)
        return bytes(signed.raw_transaction), hexstr(signed.hash)

    def _proof(self, job: Job) -> tuple[ChainProof, list[int]]:
        proof = ChainProof.from_file(job.proof_path)  # type: ignore[arg-type]
        return proof, proof.outputs(len(job.unit) * self.num_outputs)

    def _confirm(self, job: Job, tx_hash: str, gas: int) -> None:
        try:
            job = self.store.transition(job.request_id, State.CONFIRMED, expect=State.SUBMITTED,
                                        detail=f"tx {tx_hash}" + _of(job.unit), fulfil_tx=tx_hash, gas_used=gas,
                                        confirmed_at=time.time(), last_error=None)
        except StaleJobError:
            return
        self._confirmed(job, f"tx {tx_hash}, gas {gas}" + _of(job.unit))

    def _fail(self, job: Job, reason: str, why: str, error: str | None, *, gas_used: int | None = None) -> Job:
        job = self.store.transition(job.request_id, State.FAILED, detail=why, reason=reason, last_error=why,
                                    gas_used=gas_used)
        self.metrics.failed.labels(reason).inc()
        event(log, f"request {job.request_id}: failed ({reason}): {why}", level=logging.ERROR,
              request_id=job.request_id, state="failed", reason=reason, error=error)
        return job

    def _confirmed(self, job: Job, detail: str) -> None:
        self.metrics.fulfilled.inc()
        if job.e2e_seconds is not None and job.e2e_seconds >= 0:
            self.metrics.e2e_seconds.observe(job.e2e_seconds)
        e2e = f", {job.e2e_seconds:.1f}s after the request was mined" if job.e2e_seconds is not None else ""
        event(log, f"request {job.request_id}: submitted → confirmed ({detail}{e2e})", request_id=job.request_id,
              state="confirmed", tx=job.fulfil_tx, gas_used=job.gas_used, e2e_seconds=job.e2e_seconds,
              batch=len(job.unit))


def bumped_fees(old: dict[str, int], market: Any, factor: float) -> dict[str, int]:
    """Fees of a replacement: the old ones times ``factor``, never below the market's."""
    new: dict[str, int] = {"gas": old["gas"], "bumps": old.get("bumps", 0) + 1}
    if "gasPrice" in old:
        new["gasPrice"] = max(math.ceil(old["gasPrice"] * factor), int(market.get("gasPrice", 0)))
    else:
        tip = max(math.ceil(old["maxPriorityFeePerGas"] * factor), int(market.get("maxPriorityFeePerGas", 0)))
        new["maxPriorityFeePerGas"] = tip
        new["maxFeePerGas"] = max(math.ceil(old["maxFeePerGas"] * factor), int(market.get("maxFeePerGas", 0)), tip)
    return new


def _batch_logs(receipt: Any, dprompt: str) -> tuple[set[int], dict[int, str]]:
    """Members fulfilled, and members skipped (with the reason code), by a mined ``fulfilBatch``."""
    fulfilled: set[int] = set()
    skipped: dict[int, str] = {}
    for entry in receipt["logs"]:
        if entry["address"].lower() != dprompt.lower() or not entry["topics"]:
            continue
        topic = hexstr(entry["topics"][0])
        rid = int.from_bytes(bytes(entry["topics"][1]), "big") if len(entry["topics"]) > 1 else None
        if rid is None:
            continue
        if topic == FULFILLED_TOPIC:
            fulfilled.add(rid)
        elif topic == SKIPPED_TOPIC:
            selector = bytes(entry["data"])[:4]
            skipped[rid] = SKIP_REASONS.get(selector, "skipped-" + selector.hex())
    return fulfilled, skipped


def _who(ids: tuple[int, ...] | list[int]) -> str:
    return f"request {ids[0]}" if len(ids) == 1 else f"batch of {len(ids)} (requests {list(ids)})"


def _of(ids: tuple[int, ...] | list[int]) -> str:
    return "" if len(ids) == 1 else f" (batch of {len(ids)})"
