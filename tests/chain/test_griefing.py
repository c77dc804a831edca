"""No request can cost an honest, online provider its stake, and no requester profits from a miss.

The rule (issue 9, verifier-contracts/README.md "Economics"): a provider that keeps its declared
capacity and answers within the response window is never slashed. Each way a requester could
make it miss is closed here: more requests than it can prove in time (capacity), requests while
it leaves (unbonding), requests to a model being retired, a window shorter than a proof
(registration floor). And a provider that does miss pays a slash that no one receives, so a
requester gains nothing from arranging a miss: it gets its fee back, no more.
"""

from __future__ import annotations

import pytest
from chainenv import FEE, MIN_STAKE, PROVIDER_FEE, SLASH_BPS, UNBONDING_DELAY, Env

from zkrevox.chain.revert import RevertedError

pytestmark = pytest.mark.chain


def _fulfil(env: Env, rid: int, prompt: str) -> None:
    proof = env.toy.prove(prompt)
    env.client(env.provider).fulfil(rid, proof.proof_bytes, proof.outputs(env.toy.num_outputs))


def test_capacity_defaultsTo16AndCanBeDeclared(staked: Env):
    client = staked.client(staked.provider)
    assert client.provider(staked.model_id, staked.provider.address).capacity == 16
    receipt = client.set_capacity(staked.model_id, 3)
    (event,) = client.contract.events.DPromptCapacitySet().process_receipt(receipt)
    assert (event.args.provider, event.args.capacity) == (staked.provider.address, 3)
    assert client.provider(staked.model_id, staked.provider.address).capacity == 3


def test_setCapacity_revertsForZeroAndUnknownModel(staked: Env):
    client = staked.client(staked.provider)
    with pytest.raises(RevertedError) as err:
        client.set_capacity(staked.model_id, 0)
    assert err.value.error_name == "DPromptZeroAmount"
    with pytest.raises(RevertedError) as err:
        client.set_capacity(99, 4)
    assert err.value.error_name == "DPromptUnknownModel"


def test_request_beyondEveryProvidersCapacity_revertsAndChargesNothing(staked: Env):
    staked.client(staked.provider).set_capacity(staked.model_id, 2)
    user = staked.client(staked.user)
    for prompt in ("eth", "bnb"):
        user.request(staked.model_id, prompt)
    next_id = user.contract.functions.nextRequestId().call()
    balance = staked.w3.eth.get_balance(staked.dep.dprompt.address)
    # mined, not only simulated: the reverted transaction keeps the payment with the requester
    fn = user.contract.functions.request(staked.model_id, b"cake")
    tx_hash = fn.transact({"from": staked.user.address, "value": FEE, "gas": 1_000_000})
    receipt = staked.w3.eth.wait_for_transaction_receipt(tx_hash)
    assert receipt["status"] == 0
    with pytest.raises(RevertedError) as err:
        user.request(staked.model_id, "cake")
    assert err.value.error_name == "DPromptNoCapacity"
    assert err.value.error_args == {"modelId": staked.model_id}
    assert staked.w3.eth.get_balance(staked.dep.dprompt.address) == balance  # no fee taken
    assert user.contract.functions.nextRequestId().call() == next_id  # nothing recorded
    state = user.provider(staked.model_id, staked.provider.address)
    assert (state.pending, state.capacity) == (2, 2)


def test_assignment_skipsAFullProviderForOneWithRoom(staked: Env):
    staked.client(staked.provider).set_capacity(staked.model_id, 1)
    staked.client(staked.provider2).stake(staked.model_id, MIN_STAKE)
    user = staked.client(staked.user)
    providers = [user.request_info(user.request(staked.model_id, p)[0]).provider for p in ("eth", "bnb", "cake")]
    assert providers.count(staked.provider.address) == 1  # never above its capacity of 1
    assert providers.count(staked.provider2.address) == 2
    assert user.provider(staked.model_id, staked.provider.address).pending == 1


def test_fulfilment_freesCapacity(staked: Env):
    staked.client(staked.provider).set_capacity(staked.model_id, 1)
    user = staked.client(staked.user)
    rid, _ = user.request(staked.model_id, "swap 2 bnb for cake")
    with pytest.raises(RevertedError) as err:
        user.request(staked.model_id, "eth")
    assert err.value.error_name == "DPromptNoCapacity"
    _fulfil(staked, rid, "swap 2 bnb for cake")
    rid2, _ = user.request(staked.model_id, "eth")
    assert user.request_info(rid2).provider == staked.provider.address


def test_capacityLoweredBelowPending_keepsWhatIsAssignedAndTakesNoMore(staked: Env):
    user = staked.client(staked.user)
    ids = [user.request(staked.model_id, p)[0] for p in ("eth", "bnb", "swap 2 bnb for cake")]
    staked.client(staked.provider).set_capacity(staked.model_id, 1)
    with pytest.raises(RevertedError) as err:
        user.request(staked.model_id, "cake")
    assert err.value.error_name == "DPromptNoCapacity"
    assert [user.request_info(r).status for r in ids] == ["pending"] * 3
    _fulfil(staked, ids[2], "swap 2 bnb for cake")
    assert user.request_info(ids[2]).status == "fulfilled"


def test_unbondingProvider_getsNoNewWorkFinishesItsOwnAndKeepsItsStake(staked: Env):
    user, client = staked.client(staked.user), staked.client(staked.provider)
    rid, _ = user.request(staked.model_id, "swap 2 bnb for cake")
    client.unbond(staked.model_id)
    with pytest.raises(RevertedError) as err:
        user.request(staked.model_id, "eth")
    assert err.value.error_name == "DPromptNoProvider"  # nothing new is assigned to a leaving provider
    _fulfil(staked, rid, "swap 2 bnb for cake")  # what it holds, it may still answer
    state = client.provider(staked.model_id, staked.provider.address)
    assert (state.stake, state.earned, state.pending) == (MIN_STAKE, PROVIDER_FEE, 0)
    staked.advance(UNBONDING_DELAY + 1)
    client.withdraw_stake(staked.model_id)
    assert client.credits(staked.provider.address) == MIN_STAKE


def test_retiredModel_pendingRequestsAreStillAnswered(staked: Env):
    user = staked.client(staked.user)
    rid, _ = user.request(staked.model_id, "swap 2 bnb for cake")
    staked.client(staked.owner).retire_model(staked.model_id)  # by its publisher
    with pytest.raises(RevertedError) as err:
        user.request(staked.model_id, "eth")
    assert err.value.error_name == "DPromptModelIsRetired"
    _fulfil(staked, rid, "swap 2 bnb for cake")
    assert user.request_info(rid).status == "fulfilled"
    assert user.provider(staked.model_id, staked.provider.address).stake == MIN_STAKE


def test_miss_requesterGetsItsFeeBackAndNothingOfTheStake(staked: Env):
    """The one case where a provider is slashed: it missed. The requester is made whole, not richer."""
    user = staked.client(staked.user)
    rid, _ = user.request(staked.model_id, "swap 2 bnb for cake")
    staked.advance(staked.params.response_window_s + 1)
    user.reclaim(rid)
    slashed = MIN_STAKE * SLASH_BPS // 10_000
    assert user.credits(staked.user.address) == FEE  # paid FEE, gets FEE: no profit from the slash
    assert user.burned() == slashed
    assert user.provider(staked.model_id, staked.provider.address).stake == MIN_STAKE - slashed
    # the burned wei stay in DPrompt and no call can move them
    assert staked.w3.eth.get_balance(staked.dep.dprompt.address) == MIN_STAKE + FEE
