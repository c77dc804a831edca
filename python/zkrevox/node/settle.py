"""What the chain says about a fulfilment, recorded on its jobs: a receipt (confirmed; for a batch,
which members were fulfilled and which ``fulfilBatch`` skipped), a revert (done, failed with a
reason, proved again after a reorg, or, for a batch, the pending members proved again in a new
one), or its nonce used by another transaction (sent again, or settled member by member).

The ``Submitter`` sends and tracks transactions; the ``Settler`` decides what their outcome means.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from types import SimpleNamespace
from typing import Any

from eth_account.signers.local import LocalAccount
from eth_typing import HexStr
from web3 import Web3

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.revert import RevertedError
from zkrevox.errors import ProofError
from zkrevox.node.config import NodeConfig
from zkrevox.node.jobs import Job, State
from zkrevox.node.logs import event
from zkrevox.node.metrics import NodeMetrics
from zkrevox.node.rpc import hexstr
from zkrevox.node.store import JobStore, StaleJobError

log = logging.getLogger("zkrevox.node.submitter")

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
PROOF_REFUSED = ("DPromptBatchProofRejected", "DPromptWrongOutputCount", "DPromptOutputOutOfRange")

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


class Settler:
    def __init__(self, w3: Web3, client: DPromptClient, account: LocalAccount, store: JobStore,
                 metrics: NodeMetrics, config: NodeConfig, proof_of: Callable[[Job], tuple[ChainProof, list[int]]],
                 forget_nonce: Callable[[], None], on_gas: Callable[[int, int, int], None] | None = None) -> None:
        self.w3 = w3
        self.client = client
        self.account = account
        self.store = store
        self.metrics = metrics
        self.config = config
        self.proof_of = proof_of  # the proof and outputs a job's fulfilment carries
        self.forget_nonce = forget_nonce  # the next nonce must be read from the chain again
        self.on_gas = on_gas  # (model id, batch size, gas used) of every fulfilment mined successfully

    def receipt(self, members: list[Job], tx_hash: str, receipt: Any, head: int) -> None:
        """The unit's transaction ``tx_hash`` was mined: confirm (members named by ``DPromptFulfilled``),
        fail (members ``DPromptFulfilSkipped`` names, with its reason), or settle the revert."""
        gas = int(receipt["gasUsed"])
        if receipt["status"] == 1:
            if int(receipt["blockNumber"]) > head - self.config.confirmations:
                return  # mined, not yet deep enough
            if self.on_gas is not None:
                self.on_gas(members[0].model_id, len(members[0].unit), gas)
            if members[0].batch is None:
                self.confirm(members[0], tx_hash, gas)
                return
            fulfilled, skipped = _batch_logs(receipt, self.client.address)
            for m in members:
                if m.request_id in fulfilled:
                    self.confirm(m, tx_hash, gas)
                elif m.request_id in skipped:
                    self.fail(m, skipped[m.request_id], f"skipped by fulfilBatch on-chain (tx {tx_hash}, gas {gas}): "
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
                self.prove_again(m, f"batch tx {tx_hash} reverted ({err.error_name}); the request is not on-chain")
                continue
            if info.status == "pending" and info.provider.lower() == self.account.address.lower():
                pending.append(m)
            elif info.status == "fulfilled":
                self.confirm_if_fulfilled(m, f"batch tx {tx_hash} reverted ({err.error_name})")
            else:
                reason = {"expired": "deadline", "reclaimed": "reclaimed"}.get(info.status, "not-assigned")
                self.fail(m, reason, f"batch tx {tx_hash} reverted ({err}): the request is {info.status}",
                           err.error_name, gas_used=gas)
        if not pending:
            return
        explained = len(pending) < len(members)
        why = f"batch tx {tx_hash} reverted (gas {gas}): {err}"
        for m in pending:
            attempts = m.attempts + (0 if explained else 1)
            if attempts >= self.config.max_attempts:
                self.fail(m, "reverted", why, err.error_name, gas_used=gas)
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
                return self.prove_again(job, f"fulfilment refused ({err.error_name}): the request is not on-chain "
                                              "(reorged out?); waiting for it to be mined again, until its deadline")
            if change == "remined":
                return self.prove_again(job, f"fulfilment refused ({err.error_name}): the request was re-mined with "
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
        """Confirmed if the chain shows the request fulfilled by this node's transaction (or, optimistic,
        by its provider's answer); skipped (``already-fulfilled``) if by one this node never made, so the
        job store counts as ``confirmed`` only answers it made; failed if not fulfilled. Never sent again."""
        info = self.client.request_info(job.request_id)
        if info.status == "fulfilled":
            tx = self.client.fulfil_tx(job.request_id, from_block=job.block_number)
            ours = tx is not None and tx.lower() in (h.lower() for h in job.tx_hashes)
            gas = int(self.w3.eth.get_transaction_receipt(HexStr(tx))["gasUsed"]) if tx else None
            if not ours and not job.optimistic:
                detail = f"{why}: fulfilled by tx {tx}, which this node did not send; not sent again"
                job = self.store.transition(job.request_id, State.SKIPPED, detail=detail, fulfil_tx=tx,
                                            reason="already-fulfilled", last_error=None)
                self.metrics.skipped.labels("already-fulfilled").inc()
                event(log, f"request {job.request_id}: skipped (already-fulfilled): {detail}",
                      request_id=job.request_id, state="skipped", reason="already-fulfilled", tx=tx)
                return job
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
            proof, outputs = self.proof_of(job)
        except ProofError:
            return "remined"
        return "remined" if self.client.public_instances(job.request_id, outputs) != proof.instances else None

    def prove_again(self, job: Job, why: str) -> Job:
        job = self.store.transition(job.request_id, State.SEEN, detail=why, nonce=None, proof_path=None, batch=None,
                                    tx_hashes=[], raw_tx=None, last_error=why,
                                    next_attempt_at=time.time() + REORG_RECHECK_S)
        event(log, f"request {job.request_id}: {why}", level=logging.WARNING, request_id=job.request_id, state="seen")
        return job

    def nonce_used_elsewhere(self, members: list[Job]) -> None:
        """The unit's nonce was consumed by a transaction that is none of ours for it."""
        self.forget_nonce()
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
            event(log, f"{who(ids)}: {why}; re-sending", level=logging.WARNING, request_id=ids[0],
                  request_ids=ids, state="proved")
            return
        for m in members:
            status = statuses[m.request_id]
            if status == "unknown":
                self.prove_again(m, f"{why} and the request is not on-chain (reorged out?); waiting for it, "
                                     "until its deadline")
            elif status == "pending":  # its batch proof names members that are settled: prove it again
                self.store.transition(m.request_id, State.SEEN, expect=State.SUBMITTED, detail=f"{why}; batched again",
                                      batch=None, proof_path=None, nonce=None, tx_hashes=[], raw_tx=None,
                                      attempts=m.attempts + 1, last_error=why, next_attempt_at=0.0)
            else:
                self.confirm_if_fulfilled(m, why)

    # ------------------------------------------------------------ plumbing


    def confirm(self, job: Job, tx_hash: str, gas: int) -> None:
        try:
            job = self.store.transition(job.request_id, State.CONFIRMED, expect=State.SUBMITTED,
                                        detail=f"tx {tx_hash}" + of_batch(job.unit), fulfil_tx=tx_hash, gas_used=gas,
                                        confirmed_at=time.time(), last_error=None)
        except StaleJobError:
            return
        self._confirmed(job, f"tx {tx_hash}, gas {gas}" + of_batch(job.unit))

    def fail(self, job: Job, reason: str, why: str, error: str | None, *, gas_used: int | None = None) -> Job:
        job = self.store.transition(job.request_id, State.FAILED, detail=why, reason=reason, last_error=why,
                                    gas_used=gas_used)
        self.metrics.failed.labels(reason).inc()
        event(log, f"request {job.request_id}: failed ({reason}): {why}", level=logging.ERROR,
              request_id=job.request_id, state="failed", reason=reason, error=error)
        return job

    def _confirmed(self, job: Job, detail: str) -> None:
        self.metrics.fulfilled.inc()
        if job.e2e_seconds is not None:
            self.metrics.e2e_seconds.observe(job.e2e_seconds)
        e2e = f", {job.e2e_seconds:.1f}s after the node saw the request" if job.e2e_seconds is not None else ""
        event(log, f"request {job.request_id}: submitted → confirmed ({detail}{e2e})", request_id=job.request_id,
              state="confirmed", tx=job.fulfil_tx, gas_used=job.gas_used, e2e_seconds=job.e2e_seconds,
              batch=len(job.unit))


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


def who(ids: tuple[int, ...] | list[int]) -> str:
    return f"request {ids[0]}" if len(ids) == 1 else f"batch of {len(ids)} (requests {list(ids)})"


def of_batch(ids: tuple[int, ...] | list[int]) -> str:
    return "" if len(ids) == 1 else f" (batch of {len(ids)})"
