"""Exponential backoff with full jitter, and the split between faults worth retrying and verdicts.

Full jitter (a uniform delay between 0 and the exponential bound) spreads the retries of many
nodes hitting one RPC endpoint, instead of synchronising them on the same instants.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

from zkrevox.chain.revert import RevertedError
from zkrevox.errors import ArtifactError, ChainError, InputError, ProofError, WitnessError

# Texts by which RPC endpoints report a transient refusal (rate limits, overload, gateways).
_TRANSIENT_TEXTS = (
    "429", "too many requests", "rate limit", "limit exceeded", "timeout", "timed out", "503", "502", "504",
    "connection", "temporarily", "try again", "header not found", "unknown block",
)


@dataclass
class Backoff:
    """Delays ``base * 2**n`` capped at ``cap``, each drawn uniformly from ``[min_delay, bound]``."""

    base: float = 0.5
    cap: float = 30.0
    min_delay: float = 0.05
    rng: random.Random = field(default_factory=random.Random)
    failures: int = 0

    def bound(self, failures: int | None = None) -> float:
        n = self.failures if failures is None else failures
        return min(self.cap, self.base * 2 ** min(n, 30))

    def next_delay(self) -> float:
        """Count one more failure and return how long to wait before the next try."""
        self.failures += 1
        return max(self.min_delay, self.rng.uniform(0, self.bound()))

    def delay_for(self, failures: int) -> float:
        """The delay after the ``failures``-th failure of something tracked elsewhere (a job's attempts)."""
        return max(self.min_delay, self.rng.uniform(0, self.bound(failures)))

    def reset(self) -> None:
        self.failures = 0


def is_transient(exc: BaseException) -> bool:
    """True for faults that may pass by themselves (RPC down, timeouts, rate limits); False for
    verdicts (a revert, a malformed prompt, a proof the circuit refuses)."""
    if isinstance(exc, RevertedError):
        return False
    if isinstance(exc, (InputError, ArtifactError, WitnessError)):
        return False
    if isinstance(exc, ProofError):
        return False
    if isinstance(exc, (OSError, TimeoutError, ConnectionError)):
        return True
    if isinstance(exc, ChainError):
        return True  # the client wraps RPC failures that are not reverts in ChainError
    text = str(exc).lower()
    return any(t in text for t in _TRANSIENT_TEXTS)
