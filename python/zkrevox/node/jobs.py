"""A request's life in the node: the states, the transitions allowed between them, and the job record.

::

    seen ──► proving ──► proved ──► submitted ──► confirmed
      │         │  ▲        │  ▲        │  │
      │         └──┘(retry) │  └────────┘  └──► failed      (attempted, gave up: reason recorded)
      └──────────────────────┴─────────────────► skipped     (not attempted: deadline, other model, bad prompt)

An optimistic request (``optimistic``: answered without a proof, final after the model's challenge
window) takes another road::

    seen ──► proved ──► submitted ──► answered ──► finalizing ──► confirmed
     (predicted:         (answer tx)   (window      (finalize tx,      │
      ``answer`` set)                   open)        batched)          └─ or failed (overturned)

``proved`` then holds the predicted bitmap (no proof); ``answered`` waits for the window to end;
``finalizing`` shares one ``finalize`` transaction with the other members of its ``batch``;
``finalizing → answered`` sends the finalization again (reverted, or its nonce used otherwise);
``answered → failed`` (reason ``overturned``) when a dispute replaced the answer.

The watcher (``zkrevox watch``) keeps its own jobs with the same states: ``seen`` (an answer
posted by some provider), ``proving`` → ``proved`` (the answer is wrong: proof of the right
one made), ``submitted`` (the dispute in flight), ``confirmed`` (overturned by us); ``skipped``
(reason ``correct``: the answer is right; ``other-model``), ``failed`` (``lost-race``: another
dispute overturned it first; ``window-passed``).

Backward moves: ``proving → seen`` is a retry (or a restart: a proof interrupted by a crash is
made again); ``proved → seen`` and ``submitted → seen`` prove again when the request's on-chain
features no longer match the proof (a reorg re-mined the request id with another prompt; in
``submitted`` only once the fulfilment in flight is settled, i.e. reverted); ``submitted →
proved`` sends again when the fulfilment's nonce was used by another transaction.
When the chain already shows the request fulfilled by a transaction this node did not send, it
ends ``skipped`` (reason ``already-fulfilled``) from any live state: never sent again, and not
counted as ``confirmed`` (an answer this node made).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass, field


class State(str, enum.Enum):
    SEEN = "seen"
    PROVING = "proving"
    PROVED = "proved"
    SUBMITTED = "submitted"
    CONFIRMED = "confirmed"
    FAILED = "failed"
    SKIPPED = "skipped"
    ANSWERED = "answered"  # optimistic: the answer is mined, its challenge window not yet finalized
    FINALIZING = "finalizing"  # optimistic: a finalize transaction for it is recorded (in flight)

    def __str__(self) -> str:
        return self.value

    @property
    def terminal(self) -> bool:
        return self in TERMINAL


TERMINAL = frozenset({State.CONFIRMED, State.FAILED, State.SKIPPED})
LIVE = frozenset(State) - TERMINAL
IN_FLIGHT = (State.SUBMITTED, State.FINALIZING)  # states whose job holds a nonce of a transaction in flight
_ENDS = {State.CONFIRMED, State.FAILED, State.SKIPPED}

TRANSITIONS: dict[State, frozenset[State]] = {
    # seen/proved → answered: the chain shows an optimistic answer this node did not send (posted while
    # it was down, e.g. `zkrevox fulfil --optimistic`): taken in, finalized after its window
    State.SEEN: frozenset({State.PROVING, State.PROVED, State.ANSWERED, *_ENDS}),
    State.PROVING: frozenset({State.PROVED, State.SEEN, *_ENDS}),
    State.PROVED: frozenset({State.SUBMITTED, State.SEEN, State.ANSWERED, *_ENDS}),
    State.SUBMITTED: frozenset({State.SUBMITTED, State.PROVED, State.SEEN, State.ANSWERED, *_ENDS}),
    State.ANSWERED: frozenset({State.FINALIZING, *_ENDS}),
    State.FINALIZING: frozenset({State.FINALIZING, State.ANSWERED, *_ENDS}),
    State.CONFIRMED: frozenset(),
    State.FAILED: frozenset(),
    State.SKIPPED: frozenset(),
}


def allowed(src: State, dst: State) -> bool:
    return dst in TRANSITIONS[src]


@dataclass(frozen=True)
class SeenRequest:
    """A ``DPromptRequested`` event assigned to this node's provider, as the follower reads it."""

    request_id: int
    model_id: int
    requester: str
    provider: str
    prompt: bytes
    deadline: int  # unix seconds, chain time
    fee_wei: int
    block_number: int
    block_hash: str
    request_tx: str
    requested_at: int  # timestamp of the block that mined the request


@dataclass
class Job:
    """One request as the store holds it."""

    request_id: int
    state: State
    model_id: int
    requester: str
    prompt: bytes
    deadline: int
    fee_wei: int
    block_number: int
    block_hash: str
    request_tx: str
    requested_at: int
    attempts: int = 0  # prove and submit attempts that failed for this job's own reasons
    proof_path: str | None = None
    prove_seconds: float | None = None
    nonce: int | None = None
    tx_hashes: list[str] = field(default_factory=list)  # fulfil txs signed for the current nonce, oldest first
    raw_tx: str | None = None  # the latest signed fulfil (hex), kept so it can be re-broadcast
    tx_fees: dict[str, int] = field(default_factory=dict)  # fee fields of the latest signed fulfil
    sent_at: float | None = None  # wall time the latest fulfil was signed
    fulfil_tx: str | None = None  # the transaction that fulfilled it
    gas_used: int | None = None
    reason: str | None = None  # short code of a failure or skip: deadline, other-model, reverted, …
    last_error: str | None = None
    next_attempt_at: float = 0.0  # wall time before which the job is not retried (backoff)
    seen_at: float = 0.0
    updated_at: float = 0.0
    confirmed_at: float | None = None
    batch: list[int] | None = None  # the members of its batch proof, in the proof's order (None: proved alone)
    timeouts: int = 0  # proofs of this request that timed out
    optimistic: bool | None = None  # None until read from the chain; True: answered without a proof
    answer: int | None = None  # optimistic: the bitmap predicted (node) or posted by the provider (watcher)
    window_end: int | None = None  # optimistic: unix seconds (chain time) the answer can be disputed until
    finalize_tx: str | None = None  # optimistic: the finalize transaction that made it final

    @property
    def unit(self) -> tuple[int, ...]:
        """The requests that share this job's proof and fulfilment transaction (itself alone if unbatched)."""
        return tuple(self.batch) if self.batch else (self.request_id,)

    @property
    def prompt_text(self) -> str:
        return self.prompt.decode("utf-8", errors="replace")

    @property
    def e2e_seconds(self) -> float | None:
        """Seconds from the node first seeing the request to its fulfilment confirmed, both on this
        machine's wall clock (``seen_at``, ``confirmed_at``); never negative.

        Not measured from the request's block timestamp: that is chain time, which a local chain can
        move at will (``zkrevox chain advance``, ``evm_increaseTime``), so mixing it with wall time
        gave negative latencies. The few seconds between mining and the node's next poll are left out.
        """
        if self.confirmed_at is None:
            return None
        return max(0.0, self.confirmed_at - self.seen_at)


@dataclass
class Filler:
    """A 0-value self-transfer signed to fill a nonce that no fulfilment will use (a nonce gap)."""

    nonce: int
    tx_hashes: list[str]  # signed for this nonce, oldest first (replacements raise the fees)
    raw_tx: str  # the latest, hex
    fees: dict[str, int]
    sent_at: float
    outcome: str | None = None  # None while in flight; mined | superseded


@dataclass(frozen=True)
class Transition:
    request_id: int
    src: State | None
    dst: State
    at: float
    detail: str
