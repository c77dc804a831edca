"""Providers: stake, eligibility, unbonding delay, stake locked by pending requests."""

from __future__ import annotations

import pytest
from chainenv import MIN_STAKE, UNBONDING_DELAY, Env

from zkrevox.chain.revert import RevertedError

pytestmark = pytest.mark.chain


def test_stake_belowMinimumIsNotEligible(env: Env):
    client = env.client(env.provider)
    client.stake(env.model_id, MIN_STAKE // 2)
    assert client.provider(env.model_id, env.provider.address).eligible is False
    client.stake(env.model_id, MIN_STAKE // 2)
    state = client.provider(env.model_id, env.provider.address)
    assert state.eligible is True and state.stake == MIN_STAKE


def test_stake_revertsIfZero(env: Env):
    with pytest.raises(RevertedError) as err:
        env.client(env.provider).stake(env.model_id, 0)
    assert err.value.error_name == "DPromptZeroAmount"


def test_unbond_leavesThePoolAndDelaysWithdrawal(staked: Env):
    client = staked.client(staked.provider)
    client.unbond(staked.model_id)
    state = client.provider(staked.model_id, staked.provider.address)
    assert state.eligible is False and state.withdrawable_at > 0
    with pytest.raises(RevertedError) as err:
        client.withdraw_stake(staked.model_id)
    assert err.value.error_name == "DPromptUnbondingNotOver"
    staked.advance(UNBONDING_DELAY + 1)
    client.withdraw_stake(staked.model_id)
    assert client.credits(staked.provider.address) == MIN_STAKE
    before = staked.w3.eth.get_balance(staked.provider.address)
    receipt = client.withdraw()
    cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert staked.w3.eth.get_balance(staked.provider.address) == before + MIN_STAKE - cost


def test_withdrawStake_revertsWhileRequestsPending(staked: Env):
    staked.client(staked.user).request(staked.model_id, "eth")
    client = staked.client(staked.provider)
    client.unbond(staked.model_id)
    staked.advance(UNBONDING_DELAY + 1)
    with pytest.raises(RevertedError) as err:
        client.withdraw_stake(staked.model_id)
    assert err.value.error_name == "DPromptStakeLocked"
    assert err.value.error_args["pending"] == 1


def test_withdrawStake_revertsIfNotUnbonding(staked: Env):
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).withdraw_stake(staked.model_id)
    assert err.value.error_name == "DPromptNotUnbonding"


def test_unbond_revertsTwiceAndWithoutStake(staked: Env):
    client = staked.client(staked.provider)
    client.unbond(staked.model_id)
    with pytest.raises(RevertedError) as err:
        client.unbond(staked.model_id)
    assert err.value.error_name == "DPromptAlreadyUnbonding"
    with pytest.raises(RevertedError) as err:
        staked.client(staked.other).unbond(staked.model_id)
    assert err.value.error_name == "DPromptNotStaked"


def test_stake_duringUnbondingRejoinsThePool(staked: Env):
    client = staked.client(staked.provider)
    client.unbond(staked.model_id)
    client.stake(staked.model_id, 1)
    state = client.provider(staked.model_id, staked.provider.address)
    assert state.eligible and state.withdrawable_at == 0


def test_unbondedProviderGetsNoNewRequests(staked: Env):
    staked.client(staked.provider2).stake(staked.model_id, MIN_STAKE)
    staked.client(staked.provider).unbond(staked.model_id)
    client = staked.client(staked.user)
    for i in range(3):
        rid, _ = client.request(staked.model_id, f"eth {i}")
        assert client.request_info(rid).provider == staked.provider2.address
