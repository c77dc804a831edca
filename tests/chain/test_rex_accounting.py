"""REX staking's books after every step of random sequences (hypothesis stateful, real anvil and
contracts), against a Python model of the rules.

Checked after every step: REX held by StakedRex == sREX supply + reward reserve; each account's
sREX and the model's lots agree; every redemption's deduction is the model's, d0 x sum(taken x
time left) / T rounded up, with out + deduction == amount and burned + pooled == deduction
(burned = half, rounded down; REX's supply fell by exactly the burned total); claimed + claimable
<= funded + pooled; ``rewardPerToken`` never decreases; points <= cap; an account that stakes and
redeems in one block earns no points and no reward; a missed points request is refunded once.
The default run is small (``EXAMPLES``); ``ZKREVOX_THOROUGH=1 pytest -m thorough`` runs more.
"""

from __future__ import annotations

import os

import pytest
from chainenv import MIN_STAKE, RESPONSE_WINDOW
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from hypothesis.stateful import RuleBasedStateMachine, invariant, precondition, rule, run_state_machine_as_test
from rexenv import DAY, UNIT, RexEnv, redeemed

from zkrevox.chain.revert import RevertedError

pytestmark = pytest.mark.chain

EXAMPLES, STEPS = 4, 12
AMOUNTS = [1, 10**9, 7 * UNIT, 1_000 * UNIT, 250_000 * UNIT]
WAITS = [1, 3_600, DAY, 7 * DAY + 5, 30 * DAY, 100 * DAY]


class RexBooks(RuleBasedStateMachine):
    rex: RexEnv  # set by the test before the machine runs

    def __init__(self) -> None:
        super().__init__()
        rex = self.rex
        env = rex.env
        self.snapshot = rex.w3.provider.make_request("evm_snapshot", [])["result"]
        self.accounts = [env.user, env.provider2, env.owner]  # stakers; env.other only flash-stakes
        self.flasher = env.other
        self.clients = {a.address: rex.client(a) for a in [*self.accounts, self.flasher]}
        self.reader = rex.client(None)
        self.lots: dict[str, list[list[int]]] = {a.address: [] for a in self.accounts}  # [time, amount], oldest first
        self.matured = {a.address: 0 for a in self.accounts}  # lots past T, folded
        self.staked = {a.address: 0 for a in [*self.accounts, self.flasher]}
        self.funded = self.pooled = self.burned = 0
        self.rpt = 0
        self.supply0 = self.reader.rex_total_supply()
        self.requests: dict[int, bool] = {}  # points request id -> refunded
        self.params = rex.params
        env.client(env.provider).stake(env.model_id, MIN_STAKE)  # a provider to assign points requests to
        self.clients[self.flasher.address].enroll()  # enrolled with nothing: a flash stake would show at once

    def teardown(self) -> None:
        self.rex.w3.provider.make_request("evm_revert", [self.snapshot])

    def _c(self, who: int):
        return self.clients[self.accounts[who].address]

    def _time(self, receipt) -> int:
        return int(self.rex.w3.eth.get_block(receipt["blockNumber"])["timestamp"])

    # ------------------------------------------------------------ rules

    @rule(who=st.integers(0, 2), amount=st.sampled_from(AMOUNTS))
    def stake(self, who: int, amount: int) -> None:
        client = self._c(who)
        if client.rex_balance() < amount:
            return
        receipt = client.stake(amount)
        now, address = self._time(receipt), self.accounts[who].address
        lots, T = self.lots[address], self.params.maturity_s
        while lots and now - lots[0][0] >= T:  # lots past T fold into the matured stake
            self.matured[address] += lots.pop(0)[1]
        if lots and lots[-1][0] // (7 * DAY) == now // (7 * DAY):
            lots[-1] = [now, lots[-1][1] + amount]
        else:
            lots.append([now, amount])
        self.staked[address] += amount

    @rule(who=st.integers(0, 2), part=st.sampled_from([1, 2, 3, 10, 1000]), dust=st.booleans())
    def redeem(self, who: int, part: int, dust: bool) -> None:
        address = self.accounts[who].address
        amount = 1 if dust else self.staked[address] // part
        if amount == 0 or self.staked[address] < amount:
            return
        r = self._c(who).redeem(amount)
        receipt = self.rex.w3.eth.get_transaction_receipt(r.tx)
        expected = self._take(address, amount, self._time(receipt))
        assert (r.amount, r.deduction) == (amount, expected)
        assert r.out + r.deduction == amount and r.burned + r.pooled == r.deduction and r.burned == r.deduction // 2
        self.staked[address] -= amount
        self.burned += r.burned
        self.pooled += r.pooled

    def _take(self, address: str, amount: int, now: int) -> int:
        """The model's deduction for ``amount`` taken from ``address``'s lots (matured first, then oldest)."""
        T, lots = self.params.maturity_s, self.lots[address]
        from_matured = min(amount, self.matured[address])
        self.matured[address] -= from_matured
        left, weight = amount - from_matured, 0
        while left:
            take = min(left, lots[0][1])
            weight += take * max(T - (now - lots[0][0]), 0)
            left -= take
            lots[0][1] -= take
            if lots[0][1] == 0:
                lots.pop(0)
        return -(-weight * self.params.deduction_bps // (T * 10_000))

    @rule(who=st.integers(0, 2))
    def enroll(self, who: int) -> None:
        try:
            self._c(who).enroll()
        except RevertedError as exc:
            assert exc.error_name == "RewardsPoolAlreadyEnrolled"

    @rule(who=st.integers(0, 2))
    def unenroll(self, who: int) -> None:
        try:
            self._c(who).unenroll()
        except RevertedError as exc:
            assert exc.error_name == "RewardsPoolNotEnrolled"

    @rule(who=st.integers(0, 2))
    def claim(self, who: int) -> None:
        try:
            self._c(who).claim()
        except RevertedError as exc:
            assert exc.error_name == "RewardsPoolNothingToClaim"

    @rule(amount=st.sampled_from([1, 10**12, 5_000 * UNIT]))
    def fund(self, amount: int) -> None:
        owner = self.clients[self.rex.env.owner.address]
        try:
            owner.fund_pool(amount)
        except RevertedError as exc:
            assert exc.error_name == "RewardsPoolFundingClosed"
            return
        self.funded += amount

    @rule(seconds=st.sampled_from(WAITS))
    def advance(self, seconds: int) -> None:
        self.rex.advance(seconds)

    @rule(amount=st.sampled_from([10**9, 1_000 * UNIT]))
    def flash(self, amount: int) -> None:
        """Stake and redeem in one block: the deduction of a fresh stake, no points, no reward."""
        flasher = self.clients[self.flasher.address]
        flasher.approve(self.rex.record.srex, amount)
        fns = flasher.srex.functions
        stake, redeem = self.rex.one_block([(self.flasher, fns.stake(amount)),
                                            (self.flasher, fns.redeem(amount, amount))])
        assert stake["status"] == redeem["status"] == 1
        (event,) = redeemed(flasher, redeem)
        assert event.args.deduction == -(-amount * self.params.deduction_bps // 10_000)
        self.burned += event.args.burned
        self.pooled += event.args.pooled

    @rule(who=st.integers(0, 2))
    def request_with_points(self, who: int) -> None:
        client = self._c(who)
        if client.points() < client.points_price():
            return
        before = client.points()
        rid, spent, _ = client.request_with_points(self.rex.env.model_id, "swap 2 bnb for cake")
        assert spent == self.params.points_price and client.points() <= before - spent + self._accrual(who)
        self.requests[rid] = False

    def _accrual(self, who: int) -> int:
        """An upper bound of points accrued over the seconds (at most 120) two reads may be apart."""
        return self.staked[self.accounts[who].address] * self.params.points_per_day * 120 // (UNIT * DAY) + 1

    @precondition(lambda self: self.requests)
    @rule(pick=st.integers(0, 2**16), by=st.integers(0, 2))
    def refund(self, pick: int, by: int) -> None:
        rid = sorted(self.requests)[pick % len(self.requests)]
        try:
            self._c(by).refund(rid)
        except RevertedError as exc:
            # before the deadline DPrompt refuses the reclaim; after a refund, the paymaster refuses
            assert exc.error_name in ("DPromptDeadlineNotPassed", "PointsPaymasterAlreadyRefunded"), exc
            assert exc.error_name != "PointsPaymasterAlreadyRefunded" or self.requests[rid]
            return
        assert not self.requests[rid]  # a refund happens once
        self.requests[rid] = True

    @rule()
    def miss(self) -> None:
        self.rex.advance(RESPONSE_WINDOW + 1)

    # ------------------------------------------------------------ invariants

    @invariant()
    def books(self) -> None:
        r, srex = self.reader, self.reader.srex.functions
        funded, pooled, claimed = srex.rewardTotals().call()
        reserve, supply = srex.rewardReserve().call(), srex.totalSupply().call()
        assert self.rex.held() == supply + reserve
        assert supply == sum(self.staked.values())
        assert (funded, pooled) == (self.funded, self.pooled) and reserve == funded + pooled - claimed
        assert r.rex_total_supply() == self.supply0 - self.burned
        claimable = 0
        per_day, cap_days = self.params.points_per_day, self.params.points_cap_days
        for address, amount in self.staked.items():
            if address in self.lots:
                times, amounts, matured = srex.lotsOf(address).call()
                assert [[int(t), int(a)] for t, a in zip(times, amounts, strict=True)] == self.lots[address]
                assert matured == self.matured[address] and matured + sum(amounts) == amount
                assert len(times) <= self.params.maturity_s // (7 * DAY) + 2
            assert srex.balanceOf(address).call() == amount
            assert srex.pointsOf(address).call() <= amount * per_day * cap_days // UNIT  # points <= cap
            claimable += srex.claimable(address).call()
        assert claimed + claimable <= funded + pooled
        rpt = srex.rewardPerToken().call()
        assert rpt >= self.rpt  # never decreases
        self.rpt = rpt
        assert srex.pointsOf(self.flasher.address).call() == 0  # flash stakes earn nothing
        assert srex.claimable(self.flasher.address).call() == 0
        for rid, refunded in self.requests.items():
            assert r.paid_request(rid)[2] == refunded


def _run(rex: RexEnv, examples: int, steps: int) -> None:
    RexBooks.rex = rex
    run_state_machine_as_test(RexBooks, settings=settings(
        max_examples=examples, stateful_step_count=steps, deadline=None,
        suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow]))


def test_rexBooks_balanceThroughRandomSequences(rex: RexEnv):
    _run(rex, EXAMPLES, STEPS)


@pytest.mark.thorough
@pytest.mark.skipif(not os.environ.get("ZKREVOX_THOROUGH"), reason="more examples: ZKREVOX_THOROUGH=1 -m thorough")
def test_rexBooks_balanceThroughManyRandomSequences(rex: RexEnv):
    _run(rex, 60, 30)


def test_rexBooks_balanceThroughEveryPath(rex: RexEnv):
    """The paths random sequences reach only sometimes, in a fixed order, the books checked after each:
    a points request missed and refunded (a second refund refused), a flash stake, a funded stream,
    enrolment, early and matured redemptions, a claim."""
    RexBooks.rex = rex
    books = RexBooks()
    try:
        steps = [
            (books.stake, 0, 1_000 * UNIT), (books.stake, 1, 250_000 * UNIT), (books.enroll, 1),
            (books.fund, 5_000 * UNIT), (books.advance, DAY), (books.request_with_points, 0), (books.miss,),
            (books.refund, 0, 2), (books.refund, 0, 1), (books.flash, 1_000 * UNIT), (books.stake, 0, 7 * UNIT),
            (books.redeem, 0, 2, False), (books.redeem, 0, 1, True), (books.advance, 100 * DAY),
            (books.advance, 100 * DAY), (books.stake, 1, 7 * UNIT), (books.redeem, 1, 1, False), (books.claim, 1),
        ]
        for fn, *args in steps:
            fn(*args)
            books.books()
        assert list(books.requests.values()) == [True]  # refunded, once
        assert books.pooled > 0 and books.burned > 0 and books.matured[rex.env.provider2.address] == 0
    finally:
        books.teardown()
