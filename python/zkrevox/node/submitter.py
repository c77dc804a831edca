"""Fulfilment transactions: nonces, fees, write-ahead, broadcast, receipts, replacement.

Never two answers to one request:

* a fulfilment is signed, then **recorded** (state ``submitted``, nonce, hash, raw bytes), and
  only then broadcast. A crash at any point leaves either nothing sent, or a recorded
  transaction that the tracker finds mined, re-broadcasts byte for byte (same hash), or
  replaces with the **same nonce**, so at most one of them can ever be mined;
* a new nonce is used for a request only once its previous nonce was consumed by a
  transaction that is not one of ours for it, and after the chain says the request is still
  pending;
* the contract refuses a second fulfilment anyway (``DPromptAlreadyFulfilled``), and that
  verdict is read as "done" once ``request_info`` shows it fulfilled.

Nonces for concurrent fulfilments are allocated locally (``_next``), starting from the chain's
pending count and above every nonce still recorded as in flight. A fulfilment left unmined for
``bump_after`` seconds is replaced with fees raised by ``bump_factor`` (EIP-1559: tip and max
fee; legacy: gas price), never below the market's current fees; one the RPC node forgot
(dropped from its pool, or a restarted node) is broadcast again.
"""

from __future__ import annotations

import logging
import math
import time
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
from zkrevox.node.store import JobStore

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


# Reverts that a reorg explains when the request id now holds another prompt.
_MAYBE_REMINED = ("DPromptProofRejected", "DPromptUnknownRequest")


class InstancesMismatch(Exception):
    """The proof's public inputs are not the request's on-chain instances: prove it again."""


class Submitter:
    def __init__(self, w3: Web3, client: DPromptClient, account: LocalAccount, store: JobStore,
                 metrics: NodeMetrics, config: NodeConfig, num_outputs: int) -> None:
        self.w3 = w3
        self.client = client
        self.account = account
        self.store = store
        self.metrics = metrics
        self.config = config
        self.num_outputs = num_outputs
        self._next: int | None = None

    # ------------------------------------------------------------ sending

    def send(self, job: Job) -> Job:
        """Check, simulate, sign, record and broadcast the fulfilment of a ``proved`` job."""
        proof, outputs = self._proof(job)
        try:
            expected = self.client.public_instances(job.request_id, outputs)
        except RevertedError as err:  # not pending any more: fulfilled, reclaimed, or gone
            return self.settle_revert(job, err)
        if expected != proof.instances:
            raise InstancesMismatch(f"request {job.request_id}: the proof's public inputs are not the request's "
                                    "on-chain features (was the request re-mined by a reorg?)")
        fn = self.client.contract.functions.fulfil(job.request_id, proof.proof_bytes, outputs)
        try:
            gas = int(fn.estimate_gas({"from": self.account.address}) * GAS_MARGIN)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            return self.settle_revert(job, self.client.revert_error(exc, "fulfil"))
        if self._next is None:
            self.sync_nonce()
        assert self._next is not None
        nonce = self._next
        fees = {"gas": gas, **fee_fields(self.w3), "bumps": 0}
        raw, tx_hash = self._sign(fn, nonce, fees)
        job = self.store.transition(
            job.request_id, State.SUBMITTED, expect=State.PROVED, detail=f"tx {tx_hash} nonce {nonce}",
            nonce=nonce, tx_hashes=[tx_hash], raw_tx=raw.hex(), tx_fees=fees, sent_at=time.time(),
        )
        self._next = nonce + 1
        event(log, f"request {job.request_id}: proved → submitted (tx {tx_hash}, nonce {nonce})",
              request_id=job.request_id, state="submitted", tx=tx_hash, nonce=nonce)
        return self._broadcast(job, raw, "first")

    def sync_nonce(self) -> None:
        """Next nonce: the chain's pending count, above every nonce recorded as in flight."""
        chain = int(self.w3.eth.get_transaction_count(self.account.address, "pending"))
        inflight = [j.nonce + 1 for j in self.store.jobs([State.SUBMITTED]) if j.nonce is not None]
        self._next = max([chain, *inflight])

    # ------------------------------------------------------------ tracking

    def track(self, jobs: list[Job], head: int) -> None:
        """Follow every ``submitted`` job one step: confirm, settle a revert, re-send, re-broadcast or bump."""
        if not jobs:
            return
        mined_nonce = int(self.w3.eth.get_transaction_count(self.account.address, "latest"))
        for job in jobs:
            try:
                self._track(job, head, mined_nonce)
            except Exception as exc:
                if is_transient(exc):
                    raise
                log.exception("request %d: tracking its fulfilment failed", job.request_id)
                self.store.update(job.request_id, last_error=f"track: {type(exc).__name__}: {exc}")

    def _track(self, job: Job, head: int, mined_nonce: int) -> Job:
        found = self._receipt(job)
        if found is not None:
            return self._settle(job, *found, head)
        assert job.nonce is not None
        if mined_nonce > job.nonce:
            time.sleep(RECEIPT_GRACE_S)  # some nodes count a mined nonce before they serve its receipt
            found = self._receipt(job)
            if found is not None:
                return self._settle(job, *found, head)
            return self._nonce_used_elsewhere(job)
        if not any(self._in_pool(h) for h in reversed(job.tx_hashes)):
            if time.time() < job.next_attempt_at:
                return job
            latest = job.tx_hashes[-1]
            event(log, f"request {job.request_id}: tx {latest} is unknown to the RPC node; broadcasting it again",
                  level=logging.WARNING, request_id=job.request_id, tx=latest, event="rebroadcast")
            return self._broadcast(job, bytes.fromhex(job.raw_tx or ""), "rebroadcast")
        if time.time() - (job.sent_at or 0) >= self.config.bump_after:
            return self._bump(job)
        return job

    def _settle(self, job: Job, tx_hash: str, receipt: Any, head: int) -> Job:
        if receipt["status"] == 1:
            if int(receipt["blockNumber"]) > head - self.config.confirmations:
                return job  # mined, not yet deep enough
            now = time.time()
            job = self.store.transition(
                job.request_id, State.CONFIRMED, expect=State.SUBMITTED, detail=f"tx {tx_hash}",
                fulfil_tx=tx_hash, gas_used=int(receipt["gasUsed"]), confirmed_at=now, last_error=None,
            )
            self._confirmed(job, f"tx {tx_hash}, gas {job.gas_used}")
            return job
        tx = self.w3.eth.get_transaction(HexStr(tx_hash))
        fields = {"from": self.account.address, "to": self.client.address, "data": tx["input"], "value": 0,
                  "gas": tx["gas"]}
        err = self.client.mined_revert_error(SimpleNamespace(fn_name="fulfil"), fields, receipt)
        return self.settle_revert(job, err, gas_used=int(receipt["gasUsed"]), tx_hash=tx_hash)

    def settle_revert(self, job: Job, err: RevertedError, *, gas_used: int | None = None,
                      tx_hash: str | None = None) -> Job:
        """What a reverted (or refused in simulation) fulfilment means: done, or failed with a reason."""
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
        job = self.store.transition(job.request_id, State.SEEN, detail=why, nonce=None, proof_path=None,
                                    tx_hashes=[], raw_tx=None, last_error=why,
                                    next_attempt_at=time.time() + REORG_RECHECK_S)
        event(log, f"request {job.request_id}: {why}", level=logging.WARNING, request_id=job.request_id, state="seen")
        return job

    def _nonce_used_elsewhere(self, job: Job) -> Job:
        """Nonce consumed by a transaction that is none of ours for this request."""
        self._next = None
        try:
            info = self.client.request_info(job.request_id)
        except RevertedError as err:
            if err.error_name != "DPromptUnknownRequest":
                raise
            return self._prove_again(job, f"nonce {job.nonce} was used by another transaction and the request is "
                                          "not on-chain (reorged out?); waiting for it, until its deadline")
        if info.status == "pending":
            job = self.store.transition(  # the old transaction can never be mined now: forget it
                job.request_id, State.PROVED, expect=State.SUBMITTED, nonce=None, attempts=job.attempts + 1,
                tx_hashes=[], raw_tx=None,
                detail=f"nonce {job.nonce} was used by another transaction; sending again",
                last_error=f"nonce {job.nonce} used by another transaction",
            )
            event(log, f"request {job.request_id}: nonce {job.nonce} was used by another transaction; re-sending",
                  level=logging.WARNING, request_id=job.request_id, state="proved")
            return job
        return self.confirm_if_fulfilled(job, f"nonce {job.nonce} was used by another transaction")

    # ------------------------------------------------------------ plumbing

    def _bump(self, job: Job) -> Job:
        old = dict(job.tx_fees)
        if old.get("bumps", 0) >= self.config.max_bumps:
            return job
        market = fee_fields(self.w3)
        f = self.config.bump_factor
        new: dict[str, int] = {"gas": old["gas"], "bumps": old.get("bumps", 0) + 1}
        if "gasPrice" in old:
            new["gasPrice"] = max(math.ceil(old["gasPrice"] * f), int(market.get("gasPrice", 0)))
        else:
            tip = max(math.ceil(old["maxPriorityFeePerGas"] * f), int(market.get("maxPriorityFeePerGas", 0)))
            new["maxPriorityFeePerGas"] = tip
            new["maxFeePerGas"] = max(math.ceil(old["maxFeePerGas"] * f), int(market.get("maxFeePerGas", 0)), tip)
        proof, outputs = self._proof(job)
        fn = self.client.contract.functions.fulfil(job.request_id, proof.proof_bytes, outputs)
        assert job.nonce is not None
        raw, tx_hash = self._sign(fn, job.nonce, new)
        job = self.store.transition(
            job.request_id, State.SUBMITTED, expect=State.SUBMITTED, detail=f"replaced by {tx_hash} (fee bump)",
            tx_hashes=[*job.tx_hashes, tx_hash], raw_tx=raw.hex(), tx_fees=new, sent_at=time.time(),
        )
        event(log, f"request {job.request_id}: fulfilment unmined after {self.config.bump_after:.0f}s; replaced by "
              f"{tx_hash} with fees x{f} (nonce {job.nonce}, bump {new['bumps']})", request_id=job.request_id,
              state="submitted", tx=tx_hash, event="bump")
        return self._broadcast(job, raw, "bump")

    def _broadcast(self, job: Job, raw: bytes, kind: str) -> Job:
        try:
            self.w3.eth.send_raw_transaction(raw)
        except (OSError, TimeoutError) as exc:  # unreachable: the tracker re-broadcasts later
            self.metrics.rpc_errors.inc()
            return self.store.update(job.request_id, last_error=f"broadcast: {exc}")
        except Exception as exc:  # the node answered with a refusal
            text = str(exc).lower()
            if "already known" in text or "known transaction" in text:
                return job
            if "nonce too low" in text or "nonce too high" in text:
                self._next = None
                return self.store.update(job.request_id, last_error=f"broadcast: {exc}")
            if "underpriced" in text and kind != "bump":
                self._next = None
                return self._bump(job)
            delay = min(self.config.backoff_cap, self.config.backoff_base * 2 ** min(job.attempts, 10))
            job = self.store.update(job.request_id, attempts=job.attempts + 1, last_error=f"broadcast: {exc}",
                                    next_attempt_at=time.time() + delay)
            event(log, f"request {job.request_id}: broadcast refused ({exc}); retrying in {delay:.1f}s",
                  level=logging.WARNING, request_id=job.request_id, error=str(exc))
            if job.attempts >= self.config.max_attempts:
                reason = "insufficient-funds" if "insufficient funds" in text else "broadcast-refused"
                self.metrics.failed.labels(reason).inc()
                return self.store.transition(job.request_id, State.FAILED, detail=reason, reason=reason)
            return job
        self.metrics.transactions.labels(kind).inc()
        return job

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

    def _sign(self, fn: Any, nonce: int, fees: dict[str, int]) -> tuple[bytes, str]:
        fields = {k: v for k, v in fees.items() if k != "bumps"}
        tx = fn.build_transaction({"from": self.account.address, "nonce": nonce, "chainId": self.client.chain_id,
                                   "value": 0, **fields})
        signed = self.account.sign_transaction(tx)
        return bytes(signed.raw_transaction), hexstr(signed.hash)

    def _proof(self, job: Job) -> tuple[ChainProof, list[int]]:
        proof = ChainProof.from_file(job.proof_path)  # type: ignore[arg-type]
        return proof, proof.outputs(self.num_outputs)

    def _confirmed(self, job: Job, detail: str) -> None:
        self.metrics.fulfilled.inc()
        if job.e2e_seconds is not None and job.e2e_seconds >= 0:
            self.metrics.e2e_seconds.observe(job.e2e_seconds)
        e2e = f", {job.e2e_seconds:.1f}s after the request was mined" if job.e2e_seconds is not None else ""
        event(log, f"request {job.request_id}: submitted → confirmed ({detail}{e2e})", request_id=job.request_id,
              state="confirmed", tx=job.fulfil_tx, gas_used=job.gas_used, e2e_seconds=job.e2e_seconds)
