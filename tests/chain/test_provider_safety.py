"""Issue 18, items 0, 1 and 2: no cheap request can burn or lock an honest provider's stake.

- Every stored time is bounded at publication (a response window of 7 days at most): a deadline
  never wraps its 32-bit field into the past, and the request event and storage agree. A property
  test runs the publication rules over the parameters' whole range, contract against Python.
- A callback request whose fulfilment could not fit in one block is refused at request time.
- After a missed deadline anyone settles the request: the refund is the requester's credit (a
  consumer with no reclaim function of its own is refunded), the slash as before, and the
  provider's stake is withdrawable after unbonding.
"""

from __future__ import annotations

from dataclasses import replace

import pytest
from chainenv import FEE, MIN_STAKE, SLASH_BPS, UNBONDING_DELAY, Env
from clirun import own_deployment, run
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkrevox.chain.deploy import (
    MAX_RESPONSE_WINDOW,
    ModelParams,
    check_economics,
    deploy_contract,
)
from zkrevox.chain.models import provider_warnings
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.vocab_table import build_table
from zkrevox.errors import DeploymentError

pytestmark = pytest.mark.chain

PROMPT = "swap 2 bnb for cake"
UINT32_MAX = 2**32 - 1


def _config(env: Env, params: ModelParams) -> tuple:
    return params.config_for(env.dep.models["ticker"].verifier.address)


def _publish(env: Env, **changes) -> int:
    params = replace(env.params, **changes)
    model_id, _ = env.client(env.owner).publish_model(_config(env, params), build_table(params.spec).data)
    return model_id


def _refusal(env: Env, params: ModelParams) -> str | None:
    """The reason DPrompt refuses to publish ``params`` (an eth_call: nothing is written), or None."""
    try:
        env.client(env.owner).contract.functions.publishModel(
            _config(env, params), build_table(params.spec).data).call({"from": env.owner.address})
    except Exception as exc:  # web3 raises ContractCustomError; decode it with the client's errors
        name, args = env.client().errors.decode(_revert_data(exc))
        assert name == "DPromptInvalidModelConfig", name
        return args["reason"]
    return None


def _revert_data(exc: Exception) -> str:
    from zkrevox.chain.revert import revert_data

    return revert_data(exc)


# ------------------------------------------------------------------ 0. bounded times


@pytest.mark.parametrize("window", [UINT32_MAX, MAX_RESPONSE_WINDOW + 1, 2_500_000_000])
def test_publish_refusesAResponseWindowOverSevenDays(env: Env, window: int):
    params = replace(env.params, response_window_s=window)
    assert _refusal(env, params) == "responseWindow over 7 days"
    with pytest.raises(DeploymentError, match="7 days"):
        check_economics(params)


def test_request_atTheLongestWindow_eventAndStorageAgree(env: Env):
    model_id = _publish(env, response_window_s=MAX_RESPONSE_WINDOW)
    env.client(env.provider).stake(model_id, MIN_STAKE)
    rid, receipt = env.client(env.user).request(model_id, PROMPT)
    (event,) = env.client().contract.events.DPromptRequested().process_receipt(receipt)
    now = env.w3.eth.get_block(receipt["blockNumber"])["timestamp"]
    stored = env.client().request_info(rid)
    assert event.args.deadline == stored.deadline == now + MAX_RESPONSE_WINDOW
    assert stored.status == "pending"  # not expired on arrival
    with pytest.raises(RevertedError) as err:
        env.client(env.other).reclaim(rid)
    assert err.value.error_name == "DPromptDeadlineNotPassed"


_WHOLE_RANGE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])


@_WHOLE_RANGE
@given(
    response_window=st.one_of(st.integers(0, UINT32_MAX), st.sampled_from([59, 60, MAX_RESPONSE_WINDOW,
                                                                           MAX_RESPONSE_WINDOW + 1])),
    challenge_window=st.one_of(st.just(0), st.integers(0, UINT32_MAX), st.sampled_from([60, 30 * 86_400])),
    slash_bps=st.integers(0, 2**16 - 1),
    fulfil_gas=st.one_of(st.integers(0, UINT32_MAX), st.sampled_from([50_000, 15_000_000, 15_000_001])),
)
def test_publication_wholeRange_contractAndPythonAgree_andDeadlinesFit(
    env: Env, response_window: int, challenge_window: int, slash_bps: int, fulfil_gas: int
):
    params = replace(env.params, response_window_s=response_window, challenge_window_s=challenge_window,
                     slash_bps=slash_bps, fulfil_gas=fulfil_gas,
                     optimistic_fee_wei=None if challenge_window else 0,
                     answer_bond_wei=None if challenge_window else 0)
    try:
        check_economics(params)
        python_ok = True
    except DeploymentError:
        python_ok = False
    refusal = _refusal(env, params)
    assert (refusal is None) == python_ok, refusal
    if refusal is None:
        # every time a published model stores stays within 32 bits until 2106: deadline, then window end
        latest_2100 = 4_102_444_800
        assert latest_2100 + response_window + challenge_window < 2**32


def test_models_warnsAboutTermsHostileToProviders(env: Env, tmp_path):
    hostile = _publish(env, slash_bps=10_000, response_window_s=3 * 86_400)
    warnings = provider_warnings(env.client().model(hostile))
    assert any("100 %" in w for w in warnings) and any("over a day" in w for w in warnings)
    assert provider_warnings(env.client().model(env.model_id)) == []
    own_deployment(env, tmp_path)
    code, rows, err = run(env, tmp_path, None, "models")
    assert code == 0
    row = next(r for r in rows if r["id"] == hostile)
    assert row["provider_warnings"] == warnings
    code, _, err = run(env, tmp_path, None, "models", as_json=False)
    assert code == 0 and f"model {hostile} (unnamed) is hostile to providers" in err


# ------------------------------------------------------------------ 1. a callback must fit a block


def _set_block_gas_limit(env: Env, limit: int) -> None:
    assert env.w3.provider.make_request("evm_setBlockGasLimit", [hex(limit)])["result"]
    env.w3.provider.make_request("evm_mine", [])


def test_requestWithCallback_thatCannotFitABlock_isRefusedAndNothingCharged(staked: Env, compiled):
    client = staked.client()
    fulfil_gas = client.model(staked.model_id).fulfil_gas
    assert client.max_callback_gas_limit(staked.model_id) == 2_000_000  # a 30M block: the cap
    record = deploy_contract(staked.w3, staked.owner, compiled["HostileConsumer"], staked.dep.dprompt.address)
    consumer = staked.w3.eth.contract(address=record.address, abi=compiled["HostileConsumer"].abi)
    limit = fulfil_gas + 1_500_000
    try:
        _set_block_gas_limit(staked, limit)
        room = (limit - fulfil_gas - 15_000 - 5_000) * 63 // 64
        assert client.max_callback_gas_limit(staked.model_id) == room
        consumer.functions.setMode(0, room + 1).transact({"from": staked.user.address})
        pay = client.required_payment(staked.model_id, room + 1, 10**9)
        before = client.contract.functions.nextRequestId().call()
        with pytest.raises(Exception) as err:
            consumer.functions.ask(staked.model_id, PROMPT.encode()).call({"from": staked.user.address, "value": pay})
        name, args = client.errors.decode(_revert_data(err.value))
        assert (name, args["callbackGasLimit"], args["max"]) == ("DPromptCallbackExceedsBlock", room + 1, room)
        # at the largest limit it fits: accepted, and a single fulfil of it goes through in the block
        consumer.functions.setMode(2, room).transact({"from": staked.user.address})  # BurnGas: all of it
        tx = consumer.functions.ask(staked.model_id, PROMPT.encode()).transact(
            {"from": staked.user.address, "value": client.required_payment(staked.model_id, room, 10**9),
             "gasPrice": 10**9})
        assert staked.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
        rid = before
        assert client.request_info(rid).callback_gas_limit == room
        proof = staked.toy.prove(PROMPT)
        receipt = staked.client(staked.provider).fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
        assert receipt["status"] == 1 and receipt["gasUsed"] <= limit
        assert client.request_info(rid).status == "fulfilled"
    finally:
        _set_block_gas_limit(staked, 30_000_000)


# ------------------------------------------------------------------ 2. anyone settles a missed request


def test_missedRequestOfAConsumerWithoutReclaim_isSettledByAThirdParty_andTheStakeWithdrawn(staked: Env, compiled):
    record = deploy_contract(staked.w3, staked.owner, compiled["TickerConsumer"], staked.dep.dprompt.address,
                             staked.model_id)
    consumer = staked.w3.eth.contract(address=record.address, abi=compiled["TickerConsumer"].abi)
    assert not any(item.get("name") == "reclaim" for item in compiled["TickerConsumer"].abi)
    client = staked.client()
    pay = client.required_payment(staked.model_id, 50_000, 10**9)
    tx = consumer.functions.ask(PROMPT.encode()).transact({"from": staked.user.address, "value": pay,
                                                          "gasPrice": 10**9})
    staked.w3.eth.wait_for_transaction_receipt(tx)
    rid = client.contract.functions.nextRequestId().call() - 1
    provider = staked.client(staked.provider)
    provider.unbond(staked.model_id)
    staked.advance(max(staked.params.response_window_s, UNBONDING_DELAY) + 1)
    with pytest.raises(RevertedError) as err:
        provider.withdraw_stake(staked.model_id)  # the missed request still holds the stake
    assert err.value.error_name == "DPromptStakeLocked"

    receipt = staked.client(staked.other).reclaim(rid)  # a third party settles it
    (event,) = client.contract.events.DPromptReclaimed().process_receipt(receipt)
    slashed = MIN_STAKE * SLASH_BPS // 10_000
    assert (event.args.requester, event.args.settler) == (record.address, staked.other.address)
    assert (event.args.refund, event.args.slashed) == (pay, slashed)
    assert client.credits(record.address) == pay  # the consumer's, pulled by it whenever it can
    assert client.credits(staked.other.address) == 0  # the settler gains nothing
    assert client.burned() == slashed
    provider.withdraw_stake(staked.model_id)
    assert provider.credits(staked.provider.address) == MIN_STAKE - slashed


def test_cli_reclaim_settlesAnyonesExpiredRequest_andUnbondWarnsAboutPendingWork(staked: Env, tmp_path):
    own_deployment(staked, tmp_path)
    rid, _ = staked.client(staked.user).request(staked.model_id, PROMPT)
    code, out, err = run(staked, tmp_path, 1, "provider", "unbond")  # key 1: the provider
    assert code == 0, err
    assert out["pending_request_ids"] == [rid] and "still hold this stake" in err
    staked.advance(staked.params.response_window_s + 1)
    code, out, err = run(staked, tmp_path, 4, "reclaim", str(rid))  # key 4: neither requester nor provider
    assert code == 0, err
    assert (out["refund_wei"], out["withdraw_tx"], out["requester"]) == (FEE, None, staked.user.address)
    assert staked.client().credits(staked.user.address) == FEE
    code, _, err = run(staked, tmp_path, 4, "reclaim", str(rid))
    assert code == 1 and "reclaimed" in err
