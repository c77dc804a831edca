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
will use (``nonces.GapFiller``) is filled so that later ones are not stalled. What a receipt, a
revert or a nonce used elsewhere means for the jobs is ``settle.Settler``'s to record.
"""

from __future__ import annotations

import logging
import math
import time
from collections.abc import Callable, Mapping
from typing import Any

from eth_account.signers.local import LocalAccount
from hexbytes import HexBytes
from web3 import Web3
from web3.exceptions import ContractCustomError, ContractLogicError, ContractPanicError, Web3Exception

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.networks import fee_fields
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.revert import RevertedError
from zkrevox.node.batching import ALONE
from zkrevox.node.config import NodeConfig
from zkrevox.node.economics import at_a_loss, break_even, capped, tx_fields
from zkrevox.node.jobs import IN_FLIGHT, Job, State
from zkrevox.node.logs import event
from zkrevox.node.metrics import NodeMetrics
from zkrevox.node.retry import is_transient
from zkrevox.node.rpc import hexstr, in_pool, mined_receipt
from zkrevox.node.settle import PROOF_REFUSED, Settler, of_batch, who
from zkrevox.node.store import JobStore

log = logging.getLogger("zkrevox.node.submitter")

GAS_MARGIN = 1.2
RECEIPT_GRACE_S = 0.25


class InstancesMismatch(Exception):
    """The proof's public inputs are not the request's on-chain instances: prove it again."""


class Submitter:
    def __init__(self, w3: Web3, client: DPromptClient, account: LocalAccount, store: JobStore,
                 metrics: NodeMetrics, config: NodeConfig, num_outputs: int | Mapping[int, int],
                 on_gas: Callable[[int, int, int], None] | None = None) -> None:
        self.w3 = w3
        self.client = client
        self.account = account
        self.store = store
        self.metrics = metrics
        self.config = config
        self.num_outputs = num_outputs
        self.filler_nonces: Callable[[], list[int]] = lambda: []  # nonces held by gap fillers in flight
        self._next: int | None = None
        self.optimistic: Any = None  # optimistic.Optimistic: what answer and finalize receipts mean
        self.on_allocate: Callable[[], None] | None = None  # after a new nonce is taken (another sender resyncs)
        self.settle = Settler(w3, client, account, store, metrics, config, self._proof, self.forget_nonce, on_gas)

    # ------------------------------------------------------------ sending

    def send(self, job: Job) -> Job:
        """Check, simulate, sign, record and broadcast the fulfilment of a ``proved`` job alone."""
        return self.send_unit([job])[0]

    def send_unit(self, members: list[Job]) -> list[Job]:
        """Check, simulate, sign, record and broadcast one fulfilment of ``members`` (one job, or a
        whole batch in its proof's order)."""
        if members[0].optimistic and self.optimistic is not None:
            return [self.optimistic.send_answer(members[0])]
        ids = [m.request_id for m in members]
        batched = members[0].batch is not None
        proof, outputs = self._proof(members[0])
        try:
            expected: list[int] | None = (self.client.batch_public_instances(ids, outputs) if batched
                                          else self.client.public_instances(ids[0], outputs))
        except RevertedError as err:  # not pending any more: fulfilled, reclaimed, or gone
            if not batched:
                return [self.settle.settle_revert(members[0], err)]
            if err.error_name != "DPromptAlreadyReclaimed":
                return self.drop_members(members, err)
            expected = None  # a reclaimed member has no features left; fulfilBatch skips it: simulate
        if expected is not None and expected != proof.instances:
            raise InstancesMismatch(f"requests {ids}: the proof's public inputs are not the requests' on-chain "
                                    "features (was a request re-mined by a reorg?)")
        fn = self._fn(ids, proof, outputs, batched)
        try:
            gas = self.gas_with_margin(fn.estimate_gas({"from": self.account.address}))
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            refused = self.client.revert_error(exc, fn.fn_name)
            return (self.drop_members(members, refused) if batched
                    else [self.settle.settle_revert(members[0], refused)])
        cap = break_even(sum(m.fee_wei - self._developer_cut(m.model_id) for m in members), gas)
        if at_a_loss(self.w3.eth.get_block("latest").get("baseFeePerGas"), cap):
            return [self.decline(m, cap) for m in members]
        if batched:
            self.metrics.batches.labels(str(len(ids))).inc()
        return self.record_and_send(members, fn, gas, State.PROVED, State.SUBMITTED, fee_cap=cap)

    def _developer_cut(self, model_id: int) -> int:
        """Wei of each answer's payment credited to model ``model_id``'s publisher (cached: immutable)."""
        cuts = self.__dict__.setdefault("_cuts", {})
        if model_id not in cuts:
            info = self.client.model(model_id)
            cuts[model_id] = info.fee * info.developer_share_bps // 10_000
        return cuts[model_id]

    def decline(self, job: Job, cap: int) -> Job:
        """Answering ``job`` costs more than it pays at any fee now (the base fee is above ``cap``): decline
        it on-chain (the requester refunded, no slash), with the next nonce and waiting for the receipt. A
        refusal (the base fee fell meanwhile) leaves the job proved, to be sent again."""
        fn = self.client.contract.functions.decline(job.request_id)
        try:
            gas = int(fn.estimate_gas({"from": self.account.address}) * GAS_MARGIN)
        except (ContractCustomError, ContractLogicError, ContractPanicError) as exc:
            err = self.client.revert_error(exc, "decline")
            event(log, f"request {job.request_id}: at a loss (break-even {cap} wei/gas) but not declinable: {err}",
                  level=logging.WARNING, request_id=job.request_id, event="decline-refused")
            return job
        if self._next is None:
            self.sync_nonce()
        assert self._next is not None
        nonce = self._next
        raw, tx_hash = self._sign(fn, nonce, {"gas": gas, **fee_fields(self.w3)})
        self._next = nonce + 1
        try:
            self.w3.eth.send_raw_transaction(raw)
            receipt = self.w3.eth.wait_for_transaction_receipt(HexBytes(tx_hash), timeout=120, poll_latency=0.2)
        except (Web3Exception, ValueError, OSError) as exc:
            self.forget_nonce()  # read from the chain again: the decline may or may not have been taken
            event(log, f"request {job.request_id}: decline {tx_hash} not confirmed ({exc}); trying again later",
                  level=logging.WARNING, request_id=job.request_id, event="decline-unconfirmed")
            return job
        if receipt["status"] != 1:
            return job
        event(log, f"request {job.request_id}: declined (tx {tx_hash}): fulfilling it would cost more than its "
              f"{job.fee_wei} wei pay at the base fee now (break-even {cap} wei/gas); refunded, not slashed",
              request_id=job.request_id, tx=tx_hash, event="declined")
        return self.store.transition(job.request_id, State.SKIPPED, detail=f"declined at a loss (tx {tx_hash})",
                                     reason="declined", gas_used=int(receipt["gasUsed"]))

    def gas_with_margin(self, estimate: int) -> int:
        """The gas limit to send with: ``estimate`` times ``GAS_MARGIN``, but never above the latest
        block's gas limit (a transaction asking for more can never be mined; the estimate itself fits)."""
        block_limit = int(self.w3.eth.get_block("latest").get("gasLimit") or 0)
        gas = int(estimate * GAS_MARGIN)
        return max(int(estimate), min(gas, block_limit)) if block_limit else gas

    def record_and_send(self, members: list[Job], fn: Any, gas: int, src: State, dst: State,
                        fee_cap: int | None = None, **fields: Any) -> list[Job]:
        """Sign ``fn`` (estimated ``gas``) with the next nonce, record it on every member (``src → dst``,
        with ``fields``, one store transaction), and only then broadcast it. ``fee_cap``: the highest price
        per gas it (and every fee bump of it) may pay, wei (``economics.break_even``)."""
        ids = [m.request_id for m in members]
        if self._next is None:
            self.sync_nonce()
        assert self._next is not None
        nonce = self._next
        fees = {"gas": gas, **capped(fee_fields(self.w3), fee_cap), "bumps": 0}
        raw, tx_hash = self._sign(fn, nonce, fees)
        members = self.store.transition_many(
            ids, dst, expect=src, detail=f"tx {tx_hash} nonce {nonce}" + of_batch(ids),
            nonce=nonce, tx_hashes=[tx_hash], raw_tx=raw.hex(), tx_fees=fees, sent_at=time.time(), **fields,
        )
        self._next = nonce + 1
        if self.on_allocate is not None:
            self.on_allocate()
        event(log, f"{who(ids)}: {src} → {dst} (tx {tx_hash}, nonce {nonce})", request_id=ids[0],
              request_ids=ids, state=str(dst), tx=tx_hash, nonce=nonce, batch=len(ids))
        return self._broadcast(members, raw, "first")

    def sync_nonce(self) -> None:
        """Next nonce: the chain's pending count, above every nonce recorded as in flight."""
        chain = int(self.w3.eth.get_transaction_count(self.account.address, "pending"))
        inflight = [j.nonce + 1 for j in self.store.jobs(IN_FLIGHT) if j.nonce is not None]
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
            if err.error_name in PROOF_REFUSED:
                raise InstancesMismatch(f"{who([m.request_id for m in members])}: {err}; proving them again")
            # e.g. DPromptInsufficientGasForCallback: the batch with its callbacks does not fit in a block.
            # No member is to blame, so none is failed for it: each is proved and sent alone.
            ids = [m.request_id for m in members]
            why = f"{ALONE} batch refused in simulation ({err}); each member is proved and sent alone"
            event(log, f"{who(ids)}: {why}", level=logging.WARNING, request_ids=ids, event="batch-split",
                  error=err.error_name)
            return self.store.transition_many(ids, State.SEEN, expect=State.PROVED, detail=why, batch=None,
                                              proof_path=None, next_attempt_at=0.0, last_error=why)
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
                out.append(self.settle.confirm_if_fulfilled(m, "already fulfilled on-chain"))
            elif status == "unknown":
                out.append(self.settle.prove_again(m, "request is not on-chain (reorged out?); waiting for it to be "
                                                "mined again, until its deadline"))
            else:
                reason = {"expired": "deadline", "reclaimed": "reclaimed"}.get(status, status)
                out.append(self.settle.fail(m, reason, f"{why}; dropped from its batch", err.error_name))
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
                log.exception("%s: tracking its fulfilment failed", who([m.request_id for m in members]))
                for m in members:
                    self.store.update(m.request_id, last_error=f"track: {type(exc).__name__}: {exc}")

    def _track(self, members: list[Job], head: int, mined_nonce: int) -> None:
        rep = members[0]
        found = self._receipt(rep)
        if found is not None:
            self.on_receipt(members, *found, head)
            return
        assert rep.nonce is not None
        if mined_nonce > rep.nonce:
            time.sleep(RECEIPT_GRACE_S)  # some nodes count a mined nonce before they serve its receipt
            found = self._receipt(rep)
            if found is not None:
                self.on_receipt(members, *found, head)
            else:
                self.on_nonce_used(members)
            return
        if not any(in_pool(self.w3, h) for h in reversed(rep.tx_hashes)):
            if time.time() < rep.next_attempt_at:
                return
            latest = rep.tx_hashes[-1]
            event(log, f"{who(rep.unit)}: tx {latest} is unknown to the RPC node; broadcasting it again",
                  level=logging.WARNING, request_id=rep.request_id, tx=latest, event="rebroadcast")
            self._broadcast(members, bytes.fromhex(rep.raw_tx or ""), "rebroadcast")
            return
        if time.time() - (rep.sent_at or 0) >= self.config.bump_after:
            self._bump(members)

    def _bump(self, members: list[Job]) -> list[Job]:
        rep = members[0]
        old = dict(rep.tx_fees)
        if old.get("bumps", 0) >= self.config.max_bumps:
            return members
        new = capped(bumped_fees(old, fee_fields(self.w3), self.config.bump_factor), old.get("cap"))
        if new == dict(old, bumps=new["bumps"]):
            return members  # already at the break-even price: a bump would answer at a loss
        ids = [m.request_id for m in members]
        fn = self.unit_fn(members)
        assert rep.nonce is not None
        raw, tx_hash = self._sign(fn, rep.nonce, new)
        members = self.store.transition_many(
            ids, rep.state, expect=rep.state, detail=f"replaced by {tx_hash} (fee bump)",
            tx_hashes=[*rep.tx_hashes, tx_hash], raw_tx=raw.hex(), tx_fees=new, sent_at=time.time(),
        )
        event(log, f"{who(ids)}: {fn.fn_name} unmined after {self.config.bump_after:.0f}s; replaced by "
              f"{tx_hash} with fees x{self.config.bump_factor} (nonce {rep.nonce}, bump {new['bumps']})",
              request_id=ids[0], state=str(rep.state), tx=tx_hash, event="bump")
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
            event(log, f"{who(ids)}: broadcast refused ({exc}); retrying in {delay:.1f}s",
                  level=logging.WARNING, request_id=ids[0], error=str(exc))
            if members[0].attempts >= self.config.max_attempts:
                reason = "insufficient-funds" if "insufficient funds" in text else "broadcast-refused"
                self._next = None  # its nonce is free again (a later fulfilment above it is a gap: GapFiller)
                if rep.state == State.FINALIZING:  # the answers stay final-able: finalized again later
                    return self.store.transition_many(ids, State.ANSWERED, expect=State.FINALIZING, detail=reason,
                                                      nonce=None, tx_hashes=[], raw_tx=None, batch=None,
                                                      last_error=f"broadcast: {exc}")
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
            receipt = mined_receipt(self.w3, tx_hash)
            if receipt is not None:
                return tx_hash, receipt
        return None

    # ------------------------------------------------------------ what a unit's transaction is, and means

    def unit_fn(self, members: list[Job]) -> Any:
        """The contract call of a unit's transaction: finalize (``finalizing``), answer (optimistic), or
        the proof's fulfil / fulfilBatch."""
        rep = members[0]
        if rep.state == State.FINALIZING:
            return self.client.contract.functions.finalize(list(rep.unit))
        if rep.optimistic:
            assert rep.answer is not None
            return self.client.contract.functions.answer(rep.request_id, rep.answer)
        proof, outputs = self._proof(rep)
        return self._fn(list(rep.unit), proof, outputs, rep.batch is not None)

    def on_receipt(self, members: list[Job], tx_hash: str, receipt: Any, head: int) -> None:
        if self.optimistic is not None and (members[0].optimistic or members[0].state == State.FINALIZING):
            self.optimistic.receipt(members, tx_hash, receipt, head)
        else:
            self.settle.receipt(members, tx_hash, receipt, head)

    def on_nonce_used(self, members: list[Job]) -> None:
        if self.optimistic is not None and (members[0].optimistic or members[0].state == State.FINALIZING):
            self._next = None
            self.optimistic.nonce_used_elsewhere(members)
        else:
            self.settle.nonce_used_elsewhere(members)

    def _fn(self, ids: list[int], proof: ChainProof, outputs: list[int], batched: bool) -> Any:
        functions = self.client.contract.functions
        if batched:
            return functions.fulfilBatch(ids, proof.proof_bytes, outputs)
        return functions.fulfil(ids[0], proof.proof_bytes, outputs)

    def _sign(self, fn: Any, nonce: int, fees: dict[str, int]) -> tuple[bytes, str]:
        fields = tx_fields(fees)
        tx = fn.build_transaction({"from": self.account.address, "nonce": nonce, "chainId": self.client.chain_id,
                                   "value": 0, **fields})
        signed = self.account.sign_transaction(tx)
        return bytes(signed.raw_transaction), hexstr(signed.hash)

    def forget_nonce(self) -> None:
        """The next nonce is read from the chain (and the nonces in flight) again before it is used."""
        self._next = None

    def _proof(self, job: Job) -> tuple[ChainProof, list[int]]:
        proof = ChainProof.from_file(job.proof_path)  # type: ignore[arg-type]
        per = self.num_outputs if isinstance(self.num_outputs, int) else self.num_outputs[job.model_id]
        return proof, proof.outputs(len(job.unit) * per)

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
