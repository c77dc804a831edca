"""One test per known failure of staking designs like this one (issue 23), on a real anvil with the
real REX, StakedRex and PointsPaymaster: a flash stake captures nothing; the redemption deduction
is not dodged by a transfer, by splitting, or by a deposit made for someone else; nothing is lost
while nobody is enrolled; no reward is paid out of principal."""

from __future__ import annotations

import pytest
from rexenv import DAY, UNIT, RexEnv, redeemed

from zkrevox.chain.revert import RevertedError

pytestmark = pytest.mark.chain

T = 180 * DAY


def _deduction(amount: int, age: int, bps: int = 2_000) -> int:
    weight = amount * max(T - age, 0)
    return -(-weight * bps // (T * 10_000))


def test_flashStake_capturesNoRewardAndNoPoints(rex: RexEnv):
    env = rex.env
    alice, attacker = rex.client(env.user), rex.client(env.other)
    alice.stake(1_000 * UNIT)
    alice.enroll()
    rex.client(env.owner).fund_pool(1_000_000 * UNIT)
    rex.advance(DAY)
    attacker.enroll()  # with nothing staked yet
    big = 900_000 * UNIT
    attacker.approve(rex.record.srex, big)
    srex = attacker.srex.functions
    stake, claim, redeem = rex.one_block([(env.other, srex.stake(big)), (env.other, srex.claim()),
                                          (env.other, srex.redeem(big, big))])
    assert stake["status"] == 1 and redeem["status"] == 1
    assert claim["status"] == 0  # RewardsPoolNothingToClaim: no second passed while it was staked
    assert attacker.pool().claimable == 0 and attacker.points() == 0
    (event,) = redeemed(attacker, redeem)
    assert event.args.deduction == _deduction(big, 0)  # and it paid the full deduction of a fresh stake
    assert attacker.rex_balance() == rex.params.dev_grant - event.args.deduction
    assert alice.pool().claimable > 0


def test_transfer_cannotMoveSrexToDodgeTheDeduction(rex: RexEnv):
    env = rex.env
    holder = rex.client(env.user)
    holder.stake(100 * UNIT)
    for fn in (holder.srex.functions.transfer(env.other.address, 100 * UNIT),):
        with pytest.raises(RevertedError) as err:
            holder._send(fn)
        assert err.value.error_name == "StakedRexNonTransferable"
    holder._send(holder.srex.functions.approve(env.other.address, 100 * UNIT))
    mover = rex.client(env.other)
    with pytest.raises(RevertedError) as err:
        mover._send(mover.srex.functions.transferFrom(env.user.address, env.other.address, 100 * UNIT))
    assert err.value.error_name == "StakedRexNonTransferable"
    assert holder.staked() == 100 * UNIT and mover.staked() == 0


def test_splitting_neverPaysLessThanOneRedemption(rex: RexEnv):
    env = rex.env
    holder = rex.client(env.user)
    holder.stake(1_000 * UNIT)
    rex.advance(10 * DAY)
    whole = 10 * UNIT + 7
    staked_at = holder.lots()["lots"][0]["time"]
    srex = holder.srex.functions
    pieces = [whole // 10] * 9 + [whole - 9 * (whole // 10)]
    receipts = rex.one_block([(env.user, srex.redeem(p, p)) for p in pieces])  # same second: same ages
    split = sum(e.args.deduction for r in receipts for e in redeemed(holder, r))
    age = int(rex.w3.eth.get_block(receipts[0]["blockNumber"])["timestamp"]) - staked_at
    one = _deduction(whole, age)  # what one redemption of the whole would have paid in that block
    assert split >= one > 0
    # dust redemptions round up to a whole unit each, never to 0
    receipts = rex.one_block([(env.user, srex.redeem(1, 1)) for _ in range(5)])
    dust = [e.args.deduction for r in receipts for e in redeemed(holder, r)]
    assert dust == [1] * 5


def test_depositForSomeoneElse_cannotResetTheirAge(rex: RexEnv):
    env = rex.env
    victim, griefer = rex.client(env.user), rex.client(env.other)
    victim.stake(1_000 * UNIT)
    rex.advance(90 * DAY)
    before = victim.deduction_of(1_000 * UNIT)
    # no entry point stakes for another account: `stake` takes only an amount, for the caller
    stakes = [f for f in victim.srex.abi if f.get("type") == "function" and "stake" in f["name"].lower()]
    assert [(f["name"], [i["type"] for i in f["inputs"]]) for f in stakes] == [("stake", ["uint256"])]
    # REX sent straight to the contract changes no one's lots; it goes to the pool
    lots = victim.lots()
    griefer._send(griefer.rex.functions.transfer(rex.record.srex, 1))
    griefer._send(griefer.srex.functions.collectSurplus())
    assert victim.lots() == lots and victim.staked() == 1_000 * UNIT
    assert victim.deduction_of(1_000 * UNIT) <= before
    assert rex.held() == victim.srex_total_supply() + victim.pool().reserve
    # the victim's own dust stake opens a new lot: the old one keeps its age
    victim.stake(1)
    lots = victim.lots()["lots"]
    assert [lot["amount"] for lot in lots] == [1_000 * UNIT, 1]
    age = rex.now() - lots[0]["time"]
    assert victim.deduction_of(1_000 * UNIT) == _deduction(1_000 * UNIT, age) < _deduction(1_000 * UNIT, 0) // 2 + 1


def test_nobodyEnrolled_rewardIsCarriedForwardNotLost(rex: RexEnv):
    env = rex.env
    funding = 1_000_000 * UNIT
    rex.client(env.owner).fund_pool(funding)
    staker = rex.client(env.user)
    staker.stake(500 * UNIT)
    rex.advance(200 * DAY)  # the whole foundation stream ran with nobody enrolled
    assert staker.pool().claimable == 0
    staker.enroll()  # what was carried starts a 7-day stream
    rex.advance(8 * DAY)
    got, _ = staker.claim()
    assert funding - 10**6 <= got <= funding  # all of it, but for sub-micro-REX rounding dust
    assert rex.held() == staker.srex_total_supply() + staker.pool().reserve


def test_rewards_neverComeFromPrincipal(rex: RexEnv):
    env = rex.env
    a, b = rex.client(env.user), rex.client(env.other)
    a.stake(1_000 * UNIT)
    b.stake(3_000 * UNIT)
    a.enroll()
    rex.advance(30 * DAY)
    assert a.pool().claimable == 0  # no funding, no deduction: nothing to pay, though principal is there
    with pytest.raises(RevertedError) as err:
        a.claim()
    assert err.value.error_name == "RewardsPoolNothingToClaim"
    rex.client(env.owner).fund_pool(1_000 * UNIT)
    rex.advance(200 * DAY)
    got, _ = a.claim()
    assert got <= 1_000 * UNIT and a.pool().reserve == 1_000 * UNIT - got
    # both redeem their whole principal, past maturity: exactly what they staked
    assert a.redeem(1_000 * UNIT).out == 1_000 * UNIT
    assert b.redeem(3_000 * UNIT).out == 3_000 * UNIT
    assert rex.held() == a.pool().reserve  # only the reward dust is left
