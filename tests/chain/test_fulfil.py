"""fulfil: the contract derives the instances itself and pays only for a valid proof of that prompt."""

from __future__ import annotations

import pytest
from chainenv import DEVELOPER_CUT, MIN_STAKE, PROVIDER_FEE, Env

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.vocab_table import build_table
from zkrevox.encoding import FIELD_MODULUS, unzigzag
from zkrevox.featurize import featurize

pytestmark = pytest.mark.chain

PROMPT = "swap 2 bnb for cake"
OTHER_PROMPT = "buy some pepe"


def _request(env: Env, prompt: str = PROMPT) -> int:
    request_id, _ = env.client(env.user).request(env.model_id, prompt)
    return request_id


def _expected_bitmap(outputs: list[int]) -> int:
    """The answer for zigzag-encoded ``outputs``: bit i iff output i is positive."""
    return sum(1 << i for i, z in enumerate(outputs) if unzigzag(z) > 0)


def test_fulfil_storesAnswerAndCreditsProvider(staked: Env):
    rid = _request(staked)
    proof = staked.toy.prove(PROMPT)
    outputs = proof.outputs(staked.toy.num_outputs)
    provider = staked.client(staked.provider)
    receipt = provider.fulfil(rid, proof.proof_bytes, outputs)
    info = provider.request_info(rid)
    assert info.status == "fulfilled"
    assert info.answer == _expected_bitmap(outputs) == provider.answer(rid)
    state = provider.provider(staked.model_id, staked.provider.address)
    assert (state.earned, state.pending) == (PROVIDER_FEE, 0)  # the fee less the developer's share
    assert provider.developer_earnings(staked.model_id) == DEVELOPER_CUT  # the publisher's share
    staked.client(staked.owner).collect_developer_earnings(staked.model_id)
    assert provider.credits(staked.owner.address) == DEVELOPER_CUT  # withdrawable
    provider.collect_earnings(staked.model_id)
    assert provider.credits(staked.provider.address) == PROVIDER_FEE
    (event,) = provider.contract.events.DPromptFulfilled().process_receipt(receipt)
    assert event.args.requestId == rid and event.args.answer == info.answer


def test_publicInstances_matchTheProofsInstances(staked: Env):
    rid = _request(staked)
    proof = staked.toy.prove(PROMPT)
    client = staked.client()
    assert client.public_instances(rid, proof.outputs(staked.toy.num_outputs)) == proof.instances
    want = [v << staked.toy.input_scale for v in featurize(PROMPT, staked.toy.spec)]
    assert proof.instances[: len(want)] == want


def test_fulfil_revertsIfProofTampered(staked: Env):
    rid = _request(staked)
    proof = staked.toy.prove(PROMPT)
    tampered = bytearray(proof.proof_bytes)
    tampered[100] ^= 0x01
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil(rid, bytes(tampered), proof.outputs(staked.toy.num_outputs))
    assert err.value.error_name == "DPromptProofRejected"
    assert "rejected the proof" in str(err.value)


def test_fulfil_revertsIfOutputsTampered(staked: Env):
    rid = _request(staked)
    proof = staked.toy.prove(PROMPT)
    outputs = proof.outputs(staked.toy.num_outputs)
    outputs[0] = (outputs[0] + 1) % FIELD_MODULUS
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil(rid, proof.proof_bytes, outputs)
    assert err.value.error_name == "DPromptProofRejected"


def test_fulfil_revertsIfProofIsForAnotherPrompt(staked: Env):
    rid = _request(staked, OTHER_PROMPT)
    proof = staked.toy.prove(PROMPT)  # genuine, but for another prompt
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    assert err.value.error_name == "DPromptProofRejected"


def test_fulfil_revertsOnChainWithoutSimulation(staked: Env):
    """With the local simulation skipped the transaction is mined and reverts; the error is recovered."""
    rid = _request(staked, OTHER_PROMPT)
    proof = staked.toy.prove(PROMPT)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil(
            rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs), simulate=False
        )
    assert err.value.tx_hash is not None
    receipt = staked.w3.eth.get_transaction_receipt(err.value.tx_hash)
    assert receipt["status"] == 0
    assert err.value.error_name == "DPromptProofRejected"


def test_fulfil_revertsOnSecondFulfilment(staked: Env):
    rid = _request(staked)
    proof = staked.toy.prove(PROMPT)
    provider = staked.client(staked.provider)
    provider.fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    with pytest.raises(RevertedError) as err:
        provider.fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    assert err.value.error_name == "DPromptAlreadyFulfilled"
    assert provider.provider(staked.model_id, staked.provider.address).earned == PROVIDER_FEE


def test_fulfil_revertsAfterDeadline(staked: Env):
    rid = _request(staked)
    proof = staked.toy.prove(PROMPT)
    staked.advance(staked.params.response_window_s + 1)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    assert err.value.error_name == "DPromptDeadlinePassed"


def test_fulfil_revertsIfCallerNotAssigned(staked: Env):
    rid = _request(staked)
    proof = staked.toy.prove(PROMPT)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.other).fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    assert err.value.error_name == "DPromptNotAssigned"
    assert err.value.error_args["caller"] == staked.other.address


def test_fulfil_revertsIfOutputCountWrong(staked: Env):
    rid = _request(staked)
    proof = staked.toy.prove(PROMPT)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs)[1:])
    assert err.value.error_name == "DPromptWrongOutputCount"


def test_fulfil_revertsIfOutputNotAFieldElement(staked: Env):
    rid = _request(staked)
    proof = staked.toy.prove(PROMPT)
    outputs = proof.outputs(staked.toy.num_outputs)
    outputs[3] = FIELD_MODULUS
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil(rid, proof.proof_bytes, outputs)
    assert err.value.error_name == "DPromptOutputOutOfRange"
    assert err.value.error_args["index"] == 3


def test_fulfil_revertsForUnknownRequest(staked: Env):
    proof = staked.toy.prove(PROMPT)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil(999, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    assert err.value.error_name == "DPromptUnknownRequest"


@pytest.mark.parametrize("verifier", ["FalseVerifier", "StatefulVerifier"])
def test_fulfil_revertsIfVerifierReturnsFalseOrWritesState(env: Env, compiled, verifier: str):
    """A verifier that returns false, or that tries to write state (blocked by STATICCALL), rejects."""
    record = deploy_contract(env.w3, env.owner, compiled[verifier])
    owner = env.client(env.owner)
    model_id, _ = owner.publish_model(env.params.config_for(record.address), build_table(env.params.spec).data)
    env.client(env.provider).stake(model_id, MIN_STAKE)
    rid, _ = env.client(env.user).request(model_id, PROMPT)
    with pytest.raises(RevertedError) as err:
        env.client(env.provider).fulfil(rid, b"\x01" * 64, [1] * env.toy.num_outputs)
    assert err.value.error_name == "DPromptProofRejected"


def test_fulfil_answerBitmapMarksStrictlyPositiveOutputs(staked: Env):
    proof = staked.toy.prove(PROMPT)
    outputs = proof.outputs(staked.toy.num_outputs)
    signed = proof.signed_outputs(staked.toy.num_outputs)
    assert any(v > 0 for v in signed) and any(v <= 0 for v in signed)
    rid = _request(staked)
    staked.client(staked.provider).fulfil(rid, proof.proof_bytes, outputs)
    bitmap = DPromptClient(staked.w3, staked.dep.dprompt.address).answer(rid)
    assert [bool(bitmap >> i & 1) for i in range(len(signed))] == [v > 0 for v in signed]
