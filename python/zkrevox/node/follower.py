"""Following DPrompt's ``DPromptRequested`` events for this provider: from the last processed
block, ``confirmations`` blocks behind the head, in bounded chunks, reorg-safe.

The cursor (last processed block) is stored with the hashes of recently processed blocks. Each
poll first checks that the cursor's block is still the chain's; if a reorg replaced it, the
cursor walks back to the newest stored block that survived and the blocks after it are read
again. Recording a request is idempotent (keyed by request id), so reading a block twice is
harmless; a request whose event changed (a reorg re-mined it with another prompt) and that has
not been sent yet is proved again.

Reads that end at the head: with no confirmations the newest block read is the chain's head,
and an RPC may not serve that block's logs yet (a log index that lags the head, or a
load-balanced endpoint whose backends differ: go-ethereum #26098, #24078) and answer with an
empty list rather than an error. Advancing the cursor past such a block would lose its requests
for good. So each of the newest ``LAG_WINDOW`` blocks of a read is checked against its header's
logs bloom: for a block whose bloom may hold a ``DPromptRequested`` for this provider but whose
logs the range read did not return, the logs are read again by block hash (EIP-234: an RPC
that does not know the block errs instead of answering with nothing). An empty answer means the
bloom matched by chance (one extra call, no delay); an error stops the cursor before that block,
which is read again next tick, for up to ``LAG_GRACE_S`` seconds.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Iterator
from typing import Any

from eth_utils import keccak
from web3 import Web3

from zkrevox.chain.client import DPromptClient, RequestedEvent
from zkrevox.errors import ChainError
from zkrevox.node.jobs import Job, SeenRequest, State
from zkrevox.node.logs import event
from zkrevox.node.rpc import hexstr
from zkrevox.node.store import JobStore

log = logging.getLogger("zkrevox.node.follower")

RECENT_BLOCKS = 64  # stored (number, hash) pairs: how deep a reorg the cursor can walk back
LAG_WINDOW = 4  # newest blocks of a read whose logs are checked against their header's bloom
LAG_GRACE_S = 15.0  # how long a block the RPC cannot read by hash is retried before it is passed


def bloom_may_contain(bloom: bytes, value: bytes) -> bool:
    """Whether a 2048-bit logs bloom (yellow paper, section 4.3.1) may contain ``value``."""
    digest = keccak(value)
    for i in (0, 2, 4):
        bit = ((digest[i] << 8) | digest[i + 1]) & 0x7FF
        if not bloom[255 - bit // 8] & (1 << (bit % 8)):
            return False
    return True


class Follower:
    def __init__(self, w3: Web3, client: DPromptClient, store: JobStore, provider: str, start_block: int,
                 confirmations: int, chunk: int, on_seen: Callable[[Job], None] | None = None,
                 on_reorg: Callable[[], None] | None = None) -> None:
        self.w3 = w3
        self.client = client
        self.store = store
        self.provider = Web3.to_checksum_address(provider)
        self.start_block = start_block
        self.confirmations = confirmations
        self.chunk = chunk
        self.on_seen = on_seen
        self.on_reorg = on_reorg  # called before walking back: may raise if the whole chain was replaced
        self._timestamps: dict[int, int] = {}
        topic = client.contract.events.DPromptRequested().topic
        # what a block's logs bloom holds of this provider's DPromptRequested: address, event, provider topic
        self._bloom_values = [Web3.to_bytes(hexstr=client.address), Web3.to_bytes(hexstr=topic),
                              Web3.to_bytes(hexstr=self.provider).rjust(32, b"\0")]
        self._lagging: tuple[str, float] | None = None  # (block hash, first seen) of a block read again

    @property
    def processed(self) -> int:
        cur = self.store.cursor()
        return cur[0] if cur else self.start_block - 1

    def poll(self, head: int) -> bool:
        """Read the next chunk of confirmed blocks; True if more confirmed blocks are left to read."""
        block, recent = self._checked_cursor(head)
        safe = head - self.confirmations
        if safe <= block:
            return False
        to = min(safe, block + self.chunk)
        to_block = self.w3.eth.get_block(to)
        to_hash = hexstr(to_block["hash"])
        events = self.client.requested_events(block + 1, to, provider=self.provider)
        if hexstr(self.w3.eth.get_block(to)["hash"]) != to_hash:
            return True  # reorged while reading: read these blocks again
        stall: int | None = None
        for number, header in self._bloom_suspects(block + 1, to, to_block, {ev.block_number for ev in events}):
            try:
                missed = self.client.requested_events(number, number, provider=self.provider,
                                                      block_hash=hexstr(header["hash"]))
            except ChainError as exc:  # the RPC does not know the block it gave as the head (yet)
                if self._still_lagging(number, header, exc):
                    stall = number
                    break
                continue
            if missed:
                event(log, f"block {number}: the range read returned none of its {len(missed)} request(s) for "
                           "this provider, the read by block hash did; recording them", level=logging.WARNING,
                      event="logs-lag", block=number)
                events.extend(missed)
        events.sort(key=lambda ev: (ev.block_number, ev.log_index))
        if stall is not None:  # stop before that block and read it again next tick
            for ev in events:
                if ev.block_number < stall:
                    self._record(ev)
            if stall - 1 > block:
                parent = hexstr(self.w3.eth.get_block(stall)["parentHash"])
                self.store.set_cursor(stall - 1, [*recent, (stall - 1, parent)][-RECENT_BLOCKS:])
            return False
        for ev in events:
            self._record(ev)
        recent = [*recent, (to, to_hash)][-RECENT_BLOCKS:]
        self.store.set_cursor(to, recent)
        return to < safe

    def _bloom_suspects(self, first: int, to: int, to_block: Any, served: set[int]) -> Iterator[tuple[int, Any]]:
        """The newest ``LAG_WINDOW`` blocks read, oldest first, whose logs bloom may hold a
        ``DPromptRequested`` for this provider though the range read returned none of theirs."""
        for number in range(max(first, to - LAG_WINDOW + 1), to + 1):
            if number in served:
                continue
            header = to_block if number == to else self.w3.eth.get_block(number)
            bloom = bytes(header["logsBloom"])
            if all(bloom_may_contain(bloom, v) for v in self._bloom_values):
                yield number, header

    def _still_lagging(self, number: int, header: Any, exc: Exception) -> bool:
        """Whether to read block ``number`` again later: for ``LAG_GRACE_S`` after it first failed."""
        block_hash, now = hexstr(header["hash"]), time.monotonic()
        if self._lagging is None or self._lagging[0] != block_hash:
            self._lagging = (block_hash, now)
        if now - self._lagging[1] < LAG_GRACE_S:
            event(log, f"block {number}: its logs cannot be read by hash yet ({exc}); reading it again",
                  level=logging.WARNING, event="logs-lag", block=number)
            return True
        event(log, f"block {number}: its logs could not be read by hash for {LAG_GRACE_S:.0f}s ({exc}); passing it "
                   "with what the range read returned", level=logging.ERROR, event="logs-lag-gave-up", block=number)
        return False

    def _checked_cursor(self, head: int) -> tuple[int, list[tuple[int, str]]]:
        cur = self.store.cursor()
        if cur is None:
            return self.start_block - 1, []
        block, recent = cur
        kept = list(recent)
        while kept:
            number, known = kept[-1]
            chain_block = self.w3.eth.get_block(number) if number <= head else None
            if chain_block is not None and hexstr(chain_block["hash"]) == known:
                break
            kept.pop()
        if len(kept) == len(recent):
            return block, recent
        if self.on_reorg is not None:
            self.on_reorg()
        back_to = kept[-1][0] if kept else self.start_block - 1
        event(log, f"reorg: block {recent[-1][0]} is no longer on the chain; reading again from block {back_to + 1}",
              level=logging.WARNING, event="reorg", from_block=back_to + 1)
        self.store.set_cursor(back_to, kept)
        return back_to, kept

    def _record(self, ev: RequestedEvent) -> None:
        seen = SeenRequest(
            request_id=ev.request_id, model_id=ev.model_id, requester=ev.requester, provider=ev.provider,
            prompt=ev.prompt, deadline=ev.deadline, fee_wei=ev.fee, block_number=ev.block_number,
            block_hash=ev.block_hash, request_tx=ev.tx_hash, requested_at=self._timestamp(ev.block_number),
        )
        if self.store.insert(seen):
            job = self.store.get(seen.request_id)
            assert job is not None
            if self.on_seen:
                self.on_seen(job)
            return
        job = self.store.get(seen.request_id)
        if job is None or (job.request_tx == seen.request_tx and job.prompt == seen.prompt):
            return
        fields = dict(model_id=seen.model_id, requester=seen.requester, prompt=seen.prompt, deadline=seen.deadline,
                      fee_wei=seen.fee_wei, block_number=seen.block_number, block_hash=seen.block_hash,
                      request_tx=seen.request_tx, requested_at=seen.requested_at)
        if job.state in (State.PROVING, State.PROVED):  # its mode is read again (the new request's may differ)
            self.store.transition(job.request_id, State.SEEN, expect=job.state, proof_path=None, answer=None,
                                  optimistic=None, detail=f"re-mined by a reorg in block {seen.block_number}",
                                  **fields)
        elif job.state == State.SEEN:
            self.store.update(job.request_id, optimistic=None, **fields)
        elif job.state == State.SUBMITTED:
            # submitted: the fulfilment in flight proves the old prompt; it will revert and be proved again
            self.store.update(job.request_id, **fields)
        else:
            event(log, f"request {job.request_id}: re-mined by a reorg after it was {job.state}; left as it is",
                  level=logging.WARNING, request_id=job.request_id, event="remined")
            return
        event(log, f"request {job.request_id}: re-mined by a reorg (block {seen.block_number}) with prompt "
              f"{seen.prompt.decode('utf-8', 'replace')!r}; it will be proved again", level=logging.WARNING,
              request_id=job.request_id, event="remined")

    def _timestamp(self, number: int) -> int:
        if number not in self._timestamps:
            if len(self._timestamps) > 1024:
                self._timestamps.clear()
            self._timestamps[number] = int(self.w3.eth.get_block(number)["timestamp"])
        return self._timestamps[number]
