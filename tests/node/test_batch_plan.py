"""The batching decisions (``zkrevox.node.batching``), without a chain: which waiting requests go
into which proof, under the gas and latency policies, with deadlines and time-outs."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from zkrevox.node.batching import GasBook, cheapest_cover, plan
from zkrevox.node.jobs import Job, State

SIZES = (1, 4, 8, 16)
# measured per-call gas (README, gasbench): what the node learns from its receipts
GAS = {1: 575_552, 4: 4 * 356_582, 8: 8 * 270_321, 16: 16 * 137_033}


def _job(rid: int, *, seen_at: float = 0.0, deadline: int = 10_000, timeouts: int = 0,
         last_error: str | None = None) -> Job:
    return Job(rid, State.SEEN, 1, "0xu", b"p", deadline, 1, 1, "0xb", "0xt", 0, seen_at=seen_at,
               timeouts=timeouts, last_error=last_error)


def _plan(queue, *, now=1.0, free=1, policy="gas", max_wait=5.0, sizes=SIZES, prove=10.0):
    return plan(queue, free=free, now=now, sizes=sizes, policy=policy, max_wait=max_wait, cost=GAS.__getitem__,
                latest_start=lambda j, n: j.deadline - 10 - prove)


@given(st.integers(0, 70))
def test_cheapestCover_addsUpAndCostsNoMoreThanAnyGreedyCover(count):
    cover = cheapest_cover(count, SIZES, GAS.__getitem__)
    assert sum(cover) == count and cover == sorted(cover, reverse=True)
    greedy, left = [], count
    for s in sorted(SIZES, reverse=True):
        greedy += [s] * (left // s)
        left %= s
    assert sum(GAS[s] for s in cover) <= sum(GAS[s] for s in greedy)


def test_cheapestCover_thirtyTwoIsTwoSixteens_andTwelveIsEightPlusFour():
    assert cheapest_cover(32, SIZES, GAS.__getitem__) == [16, 16]
    assert cheapest_cover(12, SIZES, GAS.__getitem__) == [8, 4]
    assert cheapest_cover(3, SIZES, GAS.__getitem__) == [1, 1, 1]


def test_gas_waitsForCompanionsUntilMaxWait():
    queue = [_job(i, seen_at=0.0) for i in range(5)]
    early = _plan(queue, now=2.0)
    assert early.groups == [] and early.wait_until == 5.0
    late = _plan(queue, now=5.0)
    assert [len(g) for g in late.groups] == [4]  # the cheapest cover of 5 is 4 + 1, the largest first


def test_gas_fillsTheLargestSizeAtOnce_earliestDeadlinesFirst():
    queue = [_job(i, deadline=1000 + (i * 7) % 20) for i in range(20)]
    got = _plan(queue, now=0.5, free=2)
    assert [len(g) for g in got.groups] == [16]  # 4 left: they wait
    assert sorted(j.deadline for j in got.groups[0]) == sorted(j.deadline for j in queue)[:16]
    assert got.wait_until == 5.0


def test_latency_provesWhatIsWaitingAtOnce():
    queue = [_job(i) for i in range(9)]
    got = _plan(queue, policy="latency", free=2)
    assert [len(g) for g in got.groups] == [8, 1]


def test_deadlines_endTheWait():
    queue = [_job(1, deadline=100), _job(2, deadline=5000)]
    got = _plan(queue, now=80.0)  # 100 - margin 10 - prove 10 = 80: must start now
    assert [len(g) for g in got.groups] == [1]


def test_aRequestNearItsDeadline_isNotPutInABatchTooSlowForIt():
    queue = [_job(1, deadline=40)] + [_job(i, deadline=5000) for i in range(2, 20)]
    # prove time grows with the size: 16 takes 32 s, 4 takes 8 s, 1 takes 2 s; job 1 must start by 40 - 10 - t
    got = plan(queue, free=2, now=1.0, sizes=SIZES, policy="gas", max_wait=5.0, cost=GAS.__getitem__,
               latest_start=lambda j, n: j.deadline - 10 - 2 * n)
    assert [len(g) for g in got.groups] == [8]  # 16 would start too late for job 1 (by 40 - 10 - 32 = -2)
    assert got.groups[0][0].request_id == 1 and got.wait_until == 5.0  # the other 11 wait for companions


def test_aTimedOutRequest_isProvedAlone():
    queue = [_job(i) for i in range(4)] + [_job(9, timeouts=1), _job(10, last_error="prove: ProofError: x")]
    got = _plan(queue, free=3, sizes=(1, 4))
    assert [[j.request_id for j in g] for g in got.groups] == [[9], [10], [0, 1, 2, 3]]


def test_unmeasuredSizes_scaleFromMeasuredOnes():
    book = GasBook(SIZES)
    assert book.cost(16) / book.cost(1) == pytest.approx(4.0)
    book.observe(1, 575_000)
    assert book.cost(16) == pytest.approx(575_000 * 4)
    book.observe(16, 2_200_000)
    assert book.cost(16) == 2_200_000
    assert math.isclose(book.cost(8), 575_000 * math.sqrt(8))  # from the nearest measured size


def test_policy_isChecked():
    from zkrevox.errors import InputError

    with pytest.raises(InputError, match="batch-policy"):
        _plan([_job(1)], policy="cheap")
