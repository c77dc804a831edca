"""Model registry: owner-only, validated, immutable once registered, retirable."""

from __future__ import annotations

import dataclasses

import pytest
from chainenv import FEE, MIN_STAKE, Env

from zkrevox.chain.revert import RevertedError
from zkrevox.chain.vocab_table import build_table, spec_hash

pytestmark = pytest.mark.chain


def _verifier(env: Env) -> str:
    return env.dep.models["ticker"].verifier.address


def test_publishModel_recordsTheConfigurationAndThePublisher(env: Env):
    info = env.client().model(env.model_id)
    assert info.publisher == env.owner.address  # the deployment published it
    assert info.developer_share_bps == env.params.developer_share_bps
    assert info.verifier == _verifier(env)
    assert info.vk_hash.hex() == env.toy.vk_sha256
    assert info.spec_hash == spec_hash(env.toy.spec)
    assert (info.fee, info.min_stake, info.num_outputs, info.input_scale) == (
        FEE, MIN_STAKE, env.toy.num_outputs, env.toy.input_scale)
    assert info.num_features == env.toy.spec.num_features
    assert info.retired is False
    assert env.w3.eth.get_code(info.spec[6])[:1] == b"\x00"  # the table data contract starts with STOP


def test_publishModel_isOpenToAnyAccount(env: Env):
    model_id, receipt = env.client(env.user).publish_model(env.params.config_for(_verifier(env)),
                                                           build_table(env.params.spec).data)
    (event,) = env.client().contract.events.DPromptModelPublished().process_receipt(receipt)
    assert (event.args.modelId, event.args.publisher) == (model_id, env.user.address)
    assert env.client().model(model_id).publisher == env.user.address


def test_registerModel_newVersionLeavesLiveModelUnchanged(staked: Env):
    owner = staked.client(staked.owner)
    before = owner.model(staked.model_id)
    v2 = dataclasses.replace(staked.params, fee_wei=FEE * 2, response_window_s=60)
    new_id, _ = owner.publish_model(v2.config_for(_verifier(staked)), build_table(v2.spec).data)
    assert new_id == staked.model_id + 1
    assert owner.model(staked.model_id) == before
    assert owner.model(new_id).fee == FEE * 2
    # the live model still takes requests at its own fee
    staked.client(staked.user).request(staked.model_id, "eth", value=FEE)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"num_outputs": 0}, "numOutputs"),
        ({"num_outputs": 257}, "numOutputs"),
        ({"slash_bps": 10_001}, "slashBps"),
        ({"response_window_s": 0}, "responseWindow below 60 s"),
        ({"response_window_s": 59}, "responseWindow below 60 s"),
        ({"input_scale": 65}, "inputScale"),
        ({"developer_share_bps": 10_001}, "developerShareBps"),
    ],
)
def test_registerModel_revertsOnInvalidConfig(env: Env, change: dict, reason: str):
    bad = dataclasses.replace(env.params, **change)
    with pytest.raises(RevertedError) as err:
        env.client(env.owner).publish_model(bad.config_for(_verifier(env)), build_table(bad.spec).data)
    assert err.value.error_name == "DPromptInvalidModelConfig"
    assert err.value.error_args["reason"] == reason


def test_registerModel_revertsIfVerifierHasNoCode(env: Env):
    with pytest.raises(RevertedError) as err:
        env.client(env.owner).publish_model(env.params.config_for(env.other.address),
                                             build_table(env.params.spec).data)
    assert err.value.error_args["reason"] == "verifier has no code"


def test_registerModel_revertsOnMalformedTable(env: Env):
    table = build_table(env.params.spec)
    owner = env.client(env.owner)
    with pytest.raises(RevertedError) as err:
        owner.publish_model(env.params.config_for(_verifier(env)), table.data[:-8])  # wrong size
    assert err.value.error_name == "FeaturizerInvalidTable"
    slots = env.params.spec.num_slots
    poisoned = bytearray(table.data)
    poisoned[0:8] = (0x12345678 << 32 | (slots + 1) << 16).to_bytes(8, "big")  # slot == S: out of range
    with pytest.raises(RevertedError) as err:
        owner.publish_model(env.params.config_for(_verifier(env)), bytes(poisoned))
    assert err.value.error_name == "FeaturizerInvalidTable"


def test_retireModel_onlyByItsPublisher(staked: Env):
    with pytest.raises(RevertedError) as err:
        staked.client(staked.user).retire_model(staked.model_id)
    assert err.value.error_name == "DPromptNotPublisher"
    assert err.value.error_args == {"modelId": staked.model_id, "caller": staked.user.address}


def test_retireModel_stopsNewRequestsAndStake(staked: Env):
    owner = staked.client(staked.owner)
    owner.retire_model(staked.model_id)
    assert owner.model(staked.model_id).retired is True
    with pytest.raises(RevertedError) as err:
        staked.client(staked.user).request(staked.model_id, "eth")
    assert err.value.error_name == "DPromptModelIsRetired"
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider2).stake(staked.model_id, MIN_STAKE)
    assert err.value.error_name == "DPromptModelIsRetired"


def test_transferOwnership_movesThePauseSwitch(env: Env):
    owner = env.client(env.owner)
    owner._send(owner.contract.functions.transferOwnership(env.other.address))
    assert owner.contract.functions.owner().call() == env.other.address
    with pytest.raises(RevertedError) as err:
        owner.set_paused(True)
    assert err.value.error_name == "DPromptNotOwner"
    env.client(env.other).set_paused(True)
    assert owner.paused() is True
