"""Missed deadlines: the requester reclaims its fee, the provider's slash is burned; pull payments."""

from __future__ import annotations

import pytest
from chainenv import FEE, MIN_STAKE, SLASH_BPS, Env
from web3.exceptions import ContractCustomError

from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.revert import RevertedError, revert_data

pytestmark = pytest.mark.chain


def test_reclaim_refundsFeeAndBurnsTheSlash(staked: Env):
    user = staked.client(staked.user)
    rid, _ = user.request(staked.model_id, "swap 2 bnb for cake")
    staked.advance(staked.params.response_window_s + 1)
    assert user.request_info(rid).status == "expired"
    receipt = user.reclaim(rid)
    slashed = MIN_STAKE * SLASH_BPS // 10_000
    (event,) = user.contract.events.DPromptReclaimed().process_receipt(receipt)
    assert (event.args.refund, event.args.slashed) == (FEE, slashed)
    assert user.request_info(rid).status == "reclaimed"
    assert user.credits(staked.user.address) == FEE  # the fee back, nothing of the provider's stake
    assert user.burned() == slashed
    state = user.provider(staked.model_id, staked.provider.address)
    assert state.stake == MIN_STAKE - slashed and state.pending == 0
    assert state.eligible is False  # below the minimum stake now
    before = staked.w3.eth.get_balance(staked.user.address)
    r = user.withdraw()
    cost = r["gasUsed"] * r["effectiveGasPrice"]
    assert staked.w3.eth.get_balance(staked.user.address) == before + FEE - cost
    assert user.credits(staked.user.address) == 0


def test_reclaim_revertsBeforeDeadline(staked: Env):
    user = staked.client(staked.user)
    rid, _ = user.request(staked.model_id, "eth")
    with pytest.raises(RevertedError) as err:
        user.reclaim(rid)
    assert err.value.error_name == "DPromptDeadlineNotPassed"


def test_reclaim_byAnyone_creditsTheRequester(staked: Env):
    rid, _ = staked.client(staked.user).request(staked.model_id, "eth")
    staked.advance(staked.params.response_window_s + 1)
    receipt = staked.client(staked.other).reclaim(rid)
    (event,) = staked.client().contract.events.DPromptReclaimed().process_receipt(receipt)
    assert (event.args.requester, event.args.settler) == (staked.user.address, staked.other.address)
    assert staked.client().credits(staked.user.address) == FEE
    assert staked.client().credits(staked.other.address) == 0


def test_reclaim_revertsAfterFulfilment(staked: Env):
    rid, _ = staked.client(staked.user).request(staked.model_id, "swap 2 bnb for cake")
    proof = staked.toy.prove("swap 2 bnb for cake")
    staked.client(staked.provider).fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    staked.advance(staked.params.response_window_s + 1)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.user).reclaim(rid)
    assert err.value.error_name == "DPromptAlreadyFulfilled"


def test_fulfil_revertsAfterReclaim(staked: Env):
    rid, _ = staked.client(staked.user).request(staked.model_id, "swap 2 bnb for cake")
    staked.advance(staked.params.response_window_s + 1)
    staked.client(staked.user).reclaim(rid)
    proof = staked.toy.prove("swap 2 bnb for cake")
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    assert err.value.error_name == "DPromptAlreadyReclaimed"


def test_withdraw_revertsWithoutCredit(env: Env):
    with pytest.raises(RevertedError) as err:
        env.client(env.other).withdraw()
    assert err.value.error_name == "DPromptNothingToWithdraw"


def _contract_requester(env: Env, compiled):
    record = deploy_contract(env.w3, env.owner, compiled["ReentrantRequester"], env.dep.dprompt.address)
    return env.w3.eth.contract(address=record.address, abi=compiled["ReentrantRequester"].abi)


def _send(env: Env, fn, value: int = 0):
    tx = fn.build_transaction({"from": env.other.address, "value": value,
                               "nonce": env.w3.eth.get_transaction_count(env.other.address), "gas": 2_000_000})
    receipt = env.w3.eth.wait_for_transaction_receipt(
        env.w3.eth.send_raw_transaction(env.other.sign_transaction(tx).raw_transaction)
    )
    return receipt


def _reclaimed_by_contract(staked: Env, compiled):
    requester = _contract_requester(staked, compiled)
    _send(staked, requester.functions.request(staked.model_id, b"eth"), value=FEE)
    staked.advance(staked.params.response_window_s + 1)
    assert _send(staked, requester.functions.reclaim(1))["status"] == 1
    return requester


def test_withdraw_cannotBeReentered(staked: Env, compiled):
    requester = _reclaimed_by_contract(staked, compiled)
    _send(staked, requester.functions.setMode(True, False))
    credit = staked.client().credits(requester.address)
    assert credit > 0
    assert _send(staked, requester.functions.withdraw())["status"] == 0  # the nested withdraw finds no credit
    assert staked.client().credits(requester.address) == credit
    _send(staked, requester.functions.setMode(False, False))
    assert _send(staked, requester.functions.withdraw())["status"] == 1
    assert staked.w3.eth.get_balance(requester.address) == credit


def test_withdraw_keepsCreditIfRecipientRefuses(staked: Env, compiled):
    requester = _reclaimed_by_contract(staked, compiled)
    _send(staked, requester.functions.setMode(False, True))
    credit = staked.client().credits(requester.address)
    with pytest.raises(ContractCustomError) as err:
        requester.functions.withdraw().call({"from": staked.other.address})
    name, args = staked.client().errors.decode(revert_data(err.value))
    assert name == "DPromptTransferFailed" and args["amount"] == credit
    assert _send(staked, requester.functions.withdraw())["status"] == 0
    assert staked.client().credits(requester.address) == credit
