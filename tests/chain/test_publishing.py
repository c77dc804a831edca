"""Anyone can publish an agent model and earn from it; what a publisher registers touches only its
own model; the owner's powers are an emergency stop, never funds or a live model."""

from __future__ import annotations

import dataclasses

import pytest
from chainenv import FEE, MIN_STAKE, Env

from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.vocab_table import build_table

pytestmark = pytest.mark.chain

PROMPT = "swap 2 bnb for cake"


def _publish(env: Env, account, verifier: str, **changes) -> int:
    params = dataclasses.replace(env.params, **changes)
    model_id, _ = env.client(account).publish_model(params.config_for(verifier), build_table(params.spec).data)
    return model_id


def _fulfil(env: Env, model_rid: int, prompt: str = PROMPT):
    proof = env.toy.prove(prompt)
    return env.client(env.provider).fulfil(model_rid, proof.proof_bytes, proof.outputs(env.toy.num_outputs))


def test_secondAccountPublishes_andEarnsItsDeveloperShare(env: Env):
    toy_verifier = env.dep.models["ticker"].verifier.address
    model_id = _publish(env, env.other, toy_verifier, developer_share_bps=2500, fee_wei=4 * FEE)
    info = env.client().model(model_id)
    assert (info.publisher, info.developer_share_bps, info.fee) == (env.other.address, 2500, 4 * FEE)
    env.client(env.provider).stake(model_id, MIN_STAKE)
    rid, _ = env.client(env.user).request(model_id, PROMPT, value=4 * FEE + 7)  # a 7 wei tip
    _fulfil(env, rid)
    publisher = env.client(env.other)
    assert publisher.developer_earnings(model_id) == FEE  # 25 % of the model fee; the tip is the provider's
    assert env.client().provider(model_id, env.provider.address).earned == 3 * FEE + 7
    publisher.collect_developer_earnings(model_id)
    assert publisher.developer_earnings(model_id) == 0
    before = env.w3.eth.get_balance(env.other.address)
    receipt = publisher.withdraw()
    assert env.w3.eth.get_balance(env.other.address) == before + FEE - receipt["gasUsed"] * receipt["effectiveGasPrice"]


def test_collectDeveloperEarnings_onlyByThePublisher(env: Env):
    model_id = _publish(env, env.other, env.dep.models["ticker"].verifier.address)
    with pytest.raises(RevertedError) as err:
        env.client(env.user).collect_developer_earnings(model_id)
    assert err.value.error_name == "DPromptNotPublisher"
    with pytest.raises(RevertedError) as err:
        env.client(env.other).collect_developer_earnings(model_id)
    assert err.value.error_name == "DPromptNothingToWithdraw"


def test_ownerCannotRetireOrExtendAModelItDidNotPublish(env: Env, compiled):
    model_id = _publish(env, env.other, env.dep.models["ticker"].verifier.address)
    owner = env.client(env.owner)
    with pytest.raises(RevertedError) as err:
        owner.retire_model(model_id)
    assert err.value.error_name == "DPromptNotPublisher"
    verifier = deploy_contract(env.w3, env.owner, compiled["FalseVerifier"]).address
    with pytest.raises(RevertedError) as err:
        owner.register_batch_verifier(model_id, 4, verifier, b"\x01" * 32)
    assert err.value.error_name == "DPromptNotPublisher"
    env.client(env.other).register_batch_verifier(model_id, 4, verifier, b"\x01" * 32)  # its publisher may
    env.client(env.other).retire_model(model_id)
    assert env.client().model(model_id).retired is True


def test_alwaysAcceptingVerifier_affectsOnlyItsOwnModel(staked: Env, compiled):
    evil = deploy_contract(staked.w3, staked.other, compiled["AlwaysAcceptVerifier"]).address
    evil_id = _publish(staked, staked.other, evil)
    staked.client(staked.provider).stake(evil_id, MIN_STAKE)
    user = staked.client(staked.user)
    evil_rid, _ = user.request(evil_id, PROMPT)
    good_rid, _ = user.request(staked.model_id, PROMPT)
    provider = staked.client(staked.provider)
    outputs = [0] * staked.toy.num_outputs
    provider.fulfil(evil_rid, b"\x00" * 64, outputs)  # any "proof" passes for the evil model...
    with pytest.raises(RevertedError) as err:  # ...and for no other model
        provider.fulfil(good_rid, b"\x00" * 64, outputs)
    assert err.value.error_name == "DPromptProofRejected"
    _fulfil(staked, good_rid)
    assert user.provider(staked.model_id, staked.provider.address).stake == MIN_STAKE
    assert user.developer_earnings(staked.model_id) > 0 and user.request_info(good_rid).status == "fulfilled"


def test_gasBurningVerifier_cannotBlockOtherModels(staked: Env, compiled):
    burner = deploy_contract(staked.w3, staked.other, compiled["GasBurnerVerifier"]).address
    burner_id = _publish(staked, staked.other, burner)
    staked.client(staked.provider).stake(burner_id, MIN_STAKE)
    user = staked.client(staked.user)
    burner_rid, _ = user.request(burner_id, PROMPT)
    good_rid, _ = user.request(staked.model_id, PROMPT)
    proof = staked.toy.prove(PROMPT)
    provider = staked.client(staked.provider)
    with pytest.raises(RevertedError) as err:
        provider.fulfil(burner_rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    assert err.value.error_name == "DPromptProofRejected"  # the burner ate its 63/64; DPrompt still reverts cleanly
    provider.fulfil(good_rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    assert user.request_info(good_rid).status == "fulfilled"


def test_pause_stopsNewWorkButNeverFundsOrPendingAnswers(staked: Env):
    user, owner, provider = staked.client(staked.user), staked.client(staked.owner), staked.client(staked.provider)
    rid, _ = user.request(staked.model_id, PROMPT)
    late, _ = user.request(staked.model_id, "eth")
    owner.set_paused(True)
    for call in (lambda: user.request(staked.model_id, "bnb"),
                 lambda: staked.client(staked.provider2).stake(staked.model_id, MIN_STAKE),
                 lambda: _publish(staked, staked.other, staked.dep.models["ticker"].verifier.address)):
        with pytest.raises(RevertedError) as err:
            call()
        assert err.value.error_name == "DPromptIsPaused"
    _fulfil(staked, rid)  # answers go on
    provider.collect_earnings(staked.model_id)
    provider.withdraw()  # payouts go on
    staked.advance(staked.params.response_window_s + 1)
    user.reclaim(late)  # refunds go on
    user.withdraw()
    provider.unbond(staked.model_id)  # leaving goes on
    with pytest.raises(RevertedError) as err:
        user.set_paused(False)
    assert err.value.error_name == "DPromptNotOwner"
    owner.set_paused(False)
    staked.client(staked.provider2).stake(staked.model_id, MIN_STAKE)
    user.request(staked.model_id, "bnb")
