"""request: fee and length checks, on-chain featurization, assignment, the event."""

from __future__ import annotations

import pytest
from chainenv import FEE, MIN_STAKE, Env

from zkrevox.chain.revert import RevertedError
from zkrevox.featurize import featurize_bytes

pytestmark = pytest.mark.chain


def test_request_storesFeaturesOfThePrompt(staked: Env):
    prompt = "Swap 2.5 BNB for CAKE and some etherium"
    rid, _ = staked.client(staked.user).request(staked.model_id, prompt)
    assert staked.client().features(rid) == featurize_bytes(prompt.encode(), staked.toy.spec)


def test_request_assignsAStakedProviderAndEmitsThePrompt(staked: Env):
    client = staked.client(staked.user)
    rid, receipt = client.request(staked.model_id, "swap 2 bnb for cake")
    info = client.request_info(rid)
    assert info.status == "pending"
    assert info.provider == staked.provider.address
    assert info.requester == staked.user.address
    assert info.fee == FEE
    block = staked.w3.eth.get_block(receipt["blockNumber"])
    assert info.deadline == block["timestamp"] + staked.params.response_window_s
    (event,) = client.contract.events.DPromptRequested().process_receipt(receipt)
    assert event.args.prompt == b"swap 2 bnb for cake"
    assert client.prompt(rid) == b"swap 2 bnb for cake"
    assert client.provider(staked.model_id, staked.provider.address).pending == 1


def test_request_keepsATipAboveTheFee(staked: Env):
    rid, _ = staked.client(staked.user).request(staked.model_id, "eth", value=FEE * 3)
    assert staked.client().request_info(rid).fee == FEE * 3


def test_request_revertsIfFeeTooLow(staked: Env):
    with pytest.raises(RevertedError) as err:
        staked.client(staked.user).request(staked.model_id, "eth", value=FEE - 1)
    assert err.value.error_name == "DPromptFeeTooLow"
    assert err.value.error_args == {"paid": FEE - 1, "required": FEE}


def test_request_revertsIfPromptTooLong(staked: Env):
    limit = staked.toy.spec.max_bytes
    staked.client(staked.user).request(staked.model_id, "a" * limit)  # exactly the limit is fine
    with pytest.raises(RevertedError) as err:
        staked.client(staked.user).request(staked.model_id, "a" * (limit + 1))
    assert err.value.error_name == "DPromptPromptTooLong"
    assert err.value.error_args == {"length": limit + 1, "maxBytes": limit}
    assert "never truncated" in str(err.value)


def test_request_revertsIfPromptEmpty(staked: Env):
    with pytest.raises(RevertedError) as err:
        staked.client(staked.user).request(staked.model_id, b"")
    assert err.value.error_name == "DPromptEmptyPrompt"


def test_request_revertsIfNoProviderStaked(env: Env):
    with pytest.raises(RevertedError) as err:
        env.client(env.user).request(env.model_id, "eth")
    assert err.value.error_name == "DPromptNoProvider"
    assert "provider stake" in str(err.value)


def test_request_revertsForUnknownModel(staked: Env):
    with pytest.raises(RevertedError) as err:
        staked.client(staked.user).request(77, "eth", value=FEE)
    assert err.value.error_name == "DPromptUnknownModel"


def test_request_assignsRoundRobinOverEligibleProviders(staked: Env):
    staked.client(staked.provider2).stake(staked.model_id, MIN_STAKE)
    client = staked.client(staked.user)
    providers = [client.request_info(client.request(staked.model_id, f"eth {i}")[0]).provider for i in range(4)]
    assert set(providers) == {staked.provider.address, staked.provider2.address}
    assert providers[0] != providers[1] and providers[0] == providers[2]


def test_request_featurizesArbitraryBytes(staked: Env):
    """The contract featurizes whatever bytes it is sent (invalid UTF-8 included)."""
    data = b"\xff\xfe eth \x80btc"
    rid, _ = staked.client(staked.user).request(staked.model_id, data)
    assert staked.client().features(rid) == featurize_bytes(data, staked.toy.spec)
