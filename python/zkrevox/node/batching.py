"""Which waiting requests go into which proof: a pure decision, no chain and no clock of its own.

The node can answer N requests with one proof of the model's batch-N circuit and one
``fulfilBatch`` (sizes built locally *and* registered on-chain; size 1 is ``fulfil``). The cost of
a transaction grows much more slowly than N, so the gas per request falls with the batch size.

Policies:

* ``gas``: wait, up to ``max_wait`` seconds after the oldest waiting request was seen, for enough
  requests to fill the largest size; once the wait is over, cover what is waiting with the
  cheapest mix of sizes (``cheapest_cover``).
* ``latency``: prove at once whatever is waiting, covered by the cheapest mix.

Deadlines win over waiting: a request whose deadline would not leave time for a proof of the
largest size plus the margin, were it to wait any longer, ends the wait for everyone, and a
request is never put in a batch whose proof would end too late for it (a smaller one is taken,
down to proving it alone). Requests
whose proof already timed out once are proved alone (a prompt that hangs the prover must not
take others down with it twice).

Every proof is planned to fit in a block: a group's fulfilment (its verification, its members'
bookkeeping and every member's callback gas limit, as DPrompt must forward it) is kept within a
share of the block gas limit read from the chain (``unit_gas``, ``fits_block``). A group that
would not fit is made smaller, down to a request alone, so a requester who asks for large
callbacks can make the provider's fulfilments smaller, never impossible.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from zkrevox.errors import InputError
from zkrevox.node.jobs import Job

POLICIES = ("gas", "latency")


FULFIL_FIXED_GAS = 700_000  # a fulfilment's gas besides its members (verification; measured 510k for the ticker)
MEMBER_GAS = 200_000  # gas per member of a batch besides its callback (measured ~125k at N=16)
CALLBACK_OVERHEAD_GAS = 15_000  # DPrompt's own work around one callback (the figure requiredPayment charges)
CALLBACK_RESERVE_GAS = 5_000  # gas DPrompt keeps back before each callback (Callbacks.RESERVE_GAS)
BLOCK_SHARE = 0.8  # most of the block gas limit a planned fulfilment (times the submitter's margin) may use


def callback_gas_needed(limit: int) -> int:
    """Gas a fulfilment must still hold when it calls back with ``limit`` gas: EIP-150 keeps 1/64 back,
    so DPrompt refuses (``DPromptInsufficientGasForCallback``) unless ``limit * 64 / 63`` plus its reserve
    remain. 0 for a request without a callback."""
    if limit <= 0:
        return 0
    return -(-limit * 64 // 63) + CALLBACK_RESERVE_GAS + CALLBACK_OVERHEAD_GAS


def unit_gas(callback_limits: list[int], fixed: int = FULFIL_FIXED_GAS) -> int:
    """Upper estimate of the gas of one fulfilment of requests with these callback gas limits (one
    entry per member; 0 = no callback). ``fixed``: the fulfilment's gas besides its members (at
    least ``FULFIL_FIXED_GAS``; the model's published ``fulfilGas`` when larger)."""
    return max(fixed, FULFIL_FIXED_GAS) + sum(MEMBER_GAS + callback_gas_needed(c) for c in callback_limits)


def fits_block(callback_limits: list[int], block_gas_limit: int | None, margin: float = 1.2,
               fixed: int = FULFIL_FIXED_GAS) -> bool:
    """Whether a fulfilment of these members, sent with ``margin`` times its estimate, stays within
    ``BLOCK_SHARE`` of ``block_gas_limit`` (None: unknown, anything fits). A lone request always
    "fits": it is the smallest fulfilment there is (the contract refuses callbacks too large for it)."""
    if block_gas_limit is None or len(callback_limits) <= 1:
        return True
    return unit_gas(callback_limits, fixed) * margin <= block_gas_limit * BLOCK_SHARE


def prior_gas(size: int) -> float:
    """Relative gas of one fulfilment of ``size`` requests before any was measured: the verifier's
    work grows far slower than the batch (measured curves sit between sqrt(N) and N^0.5 · 1.2)."""
    return math.sqrt(size)


@dataclass
class GasBook:
    """Gas of one fulfilment per batch size: measured (running average of receipts) or the prior."""

    sizes: tuple[int, ...]
    measured: dict[int, float] = field(default_factory=dict)

    def observe(self, size: int, gas_used: int) -> None:
        old = self.measured.get(size)
        self.measured[size] = float(gas_used) if old is None else 0.7 * old + 0.3 * gas_used

    def cost(self, size: int) -> float:
        if size in self.measured:
            return self.measured[size]
        # scale the prior to a measured size, so that measured and unmeasured sizes compare
        if self.measured:
            ref = min(self.measured, key=lambda s: abs(s - size))
            return self.measured[ref] * prior_gas(size) / prior_gas(ref)
        return prior_gas(size)


def cheapest_cover(count: int, sizes: Iterable[int], cost: Callable[[int], float]) -> list[int]:
    """Batch sizes that add up to ``count`` at the least total cost, largest first (``sizes`` has 1)."""
    sizes = sorted(set(sizes))
    if 1 not in sizes:
        raise ValueError("sizes must include 1")
    best: list[float] = [0.0] + [math.inf] * count
    pick = [0] * (count + 1)
    for c in range(1, count + 1):
        for s in sizes:
            if s <= c and best[c - s] + cost(s) < best[c]:
                best[c], pick[c] = best[c - s] + cost(s), s
    out = []
    while count:
        out.append(pick[count])
        count -= pick[count]
    return sorted(out, reverse=True)


@dataclass(frozen=True)
class Plan:
    groups: list[list[Job]]  # each: one proof, earliest deadlines first
    wait_until: float | None  # wall time at which waiting requests stop waiting (None: nothing waits)


def plan(queue: list[Job], *, free: int, now: float, sizes: tuple[int, ...], policy: str, max_wait: float,
         cost: Callable[[int], float], latest_start: Callable[[Job, int], float],
         fits: Callable[[list[Job]], bool] | None = None) -> Plan:
    """Groups to prove now on up to ``free`` workers, out of ``queue`` (requests admitted and waiting).

    ``latest_start(job, size)``: the last wall time at which a proof of ``size`` requests with this
    job in it can start and still be mined before its deadline. ``fits(group)``: whether one
    fulfilment of ``group`` fits in a block (default: any group fits).
    """
    if policy not in POLICIES:
        raise InputError(f"--batch-policy must be one of {', '.join(POLICIES)}, got {policy!r}")
    queue = sorted(queue, key=lambda j: (j.deadline, j.request_id))
    groups: list[list[Job]] = []
    for job in [j for j in queue if isolated(j)]:
        if len(groups) < free:
            groups.append([job])
        queue.remove(job)
    largest = max(sizes)
    while len(groups) < free and queue:
        if len(queue) >= largest:
            size = _in_time(queue, largest, sizes, now, latest_start, fits)
        elif _wait_over(queue, now, policy, max_wait, largest, latest_start):
            size = _in_time(queue, cheapest_cover(len(queue), sizes, cost)[0], sizes, now, latest_start, fits)
        else:
            break
        groups.append(queue[:size])
        del queue[:size]
    wait_until = None
    if queue:
        wait_until = min(min(j.seen_at for j in queue) + max_wait,
                         min(latest_start(j, largest) for j in queue))
    return Plan(groups, wait_until)


def _in_time(queue: list[Job], size: int, sizes: tuple[int, ...], now: float,
             latest_start: Callable[[Job, int], float], fits: Callable[[list[Job]], bool] | None) -> int:
    """``size``, or the largest smaller size whose proof still ends in time for the earliest deadline
    (``queue[0]``) and whose fulfilment fits in a block: a request near its deadline is not put in a
    batch too slow to prove for it, nor in one too large to be mined."""
    for s in sorted((x for x in sizes if x <= size), reverse=True):
        if now < latest_start(queue[0], s) and (fits is None or fits(queue[:s])):
            return s
    return 1


ALONE = "alone:"  # last_error prefix of a request sent back from a batch the chain refused: proved alone next


def isolated(job: Job) -> bool:
    """Proved alone: its proof timed out, its last proof (maybe in a batch) failed, or its batch's
    fulfilment was refused with no member to blame (``ALONE``)."""
    return job.timeouts > 0 or (job.last_error or "").startswith(("prove:", ALONE))


def _wait_over(queue: list[Job], now: float, policy: str, max_wait: float, largest: int,
               latest_start: Callable[[Job, int], float]) -> bool:
    if policy == "latency":
        return True
    if now >= min(j.seen_at for j in queue) + max_wait:
        return True
    return any(now >= latest_start(j, largest) for j in queue)
