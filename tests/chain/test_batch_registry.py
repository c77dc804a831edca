"""Batch verifiers: owner-only, validated, never changed once registered; recorded by deploy.

Also the checks `fulfilBatch` makes before it calls a verifier (batch size, duplicates, one
model, a registered verifier), and a verifier that returns false. These need no real batch proof;
tests/chain/test_fulfil_batch.py runs the real ticker batch circuits.
"""

from __future__ import annotations

import pytest
from chainenv import MIN_STAKE, Env
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkrevox.chain.deploy import deploy_contract, load_deployment, register_batch_verifier
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.vocab_table import build_table
from zkrevox.encoding import FIELD_MODULUS, HALF_FIELD, unzigzag, zigzag
from zkrevox.errors import DeploymentError

pytestmark = pytest.mark.chain

VK_HASH = bytes.fromhex("ab" * 32)
PROMPTS = ["swap 2 bnb for cake", "buy some pepe", "price of eth", "hello there"]


def _false_verifier(env: Env, compiled) -> str:
    return deploy_contract(env.w3, env.owner, compiled["FalseVerifier"]).address


def _requests(env: Env, prompts: list[str] = PROMPTS, model_id: int | None = None) -> list[int]:
    user = env.client(env.user)
    return [user.request(env.model_id if model_id is None else model_id, p)[0] for p in prompts]


def _outputs(env: Env, n: int) -> list[int]:
    return [1] * (n * env.toy.num_outputs)


def test_registerBatchVerifier_recordsItAndEmits(env: Env, compiled):
    verifier = _false_verifier(env, compiled)
    owner = env.client(env.owner)
    assert owner.batch_verifier(env.model_id, 4) is None
    receipt = owner.register_batch_verifier(env.model_id, 4, verifier, VK_HASH)
    assert owner.batch_verifier(env.model_id, 4) == (verifier, VK_HASH)
    assert owner.batch_verifier(env.model_id, 8) is None
    (event,) = owner.contract.events.DPromptBatchVerifierRegistered().process_receipt(receipt)
    assert (event.args.modelId, event.args.batchSize, event.args.verifier, event.args.vkHash) == (
        env.model_id, 4, verifier, VK_HASH)


def test_registerBatchVerifier_revertsIfNotPublisher(env: Env, compiled):
    verifier = _false_verifier(env, compiled)
    with pytest.raises(RevertedError) as err:
        env.client(env.user).register_batch_verifier(env.model_id, 4, verifier, VK_HASH)
    assert err.value.error_name == "DPromptNotPublisher"


def test_registerBatchVerifier_neverReplacesARegisteredOne(env: Env, compiled):
    first, second = _false_verifier(env, compiled), _false_verifier(env, compiled)
    owner = env.client(env.owner)
    owner.register_batch_verifier(env.model_id, 4, first, VK_HASH)
    with pytest.raises(RevertedError) as err:
        owner.register_batch_verifier(env.model_id, 4, second, bytes(32))
    assert err.value.error_name == "DPromptBatchVerifierExists"
    assert err.value.error_args == {"modelId": env.model_id, "size": 4}
    assert owner.batch_verifier(env.model_id, 4) == (first, VK_HASH)


@pytest.mark.parametrize("size", [0, 1, 65])
def test_registerBatchVerifier_revertsForSizeOutOfRange(env: Env, compiled, size: int):
    verifier = _false_verifier(env, compiled)
    with pytest.raises(RevertedError) as err:
        env.client(env.owner).register_batch_verifier(env.model_id, size, verifier, VK_HASH)
    assert err.value.error_name == "DPromptWrongBatchSize"
    assert err.value.error_args == {"size": size}


def test_registerBatchVerifier_revertsForUnknownOrRetiredModel(env: Env, compiled):
    verifier = _false_verifier(env, compiled)
    owner = env.client(env.owner)
    with pytest.raises(RevertedError) as err:
        owner.register_batch_verifier(99, 4, verifier, VK_HASH)
    assert err.value.error_name == "DPromptUnknownModel"
    owner.retire_model(env.model_id)
    with pytest.raises(RevertedError) as err:
        owner.register_batch_verifier(env.model_id, 4, verifier, VK_HASH)
    assert err.value.error_name == "DPromptModelIsRetired"


def test_registerBatchVerifier_revertsIfVerifierHasNoCode(env: Env):
    with pytest.raises(RevertedError) as err:
        env.client(env.owner).register_batch_verifier(env.model_id, 4, env.other.address, VK_HASH)
    assert err.value.error_name == "DPromptInvalidModelConfig"


def test_registerBatchVerifier_isRecordedInTheDeployment(env: Env, compiled, tmp_path):
    dep = load_deployment(env.dep.chain_id, env.dep.path.parent, w3=env.w3)
    dep.path = tmp_path / f"{dep.chain_id}.json"
    sol = env.toy.verifier_sol  # any compilable verifier will do for the record
    record = register_batch_verifier(env.w3, env.owner, dep, "ticker", 4, verifier_sol=sol,
                                     vk_sha256=env.toy.vk_sha256, directory=tmp_path)
    assert env.client().batch_verifier(env.model_id, 4) == (record.verifier.address, bytes.fromhex(env.toy.vk_sha256))
    again = load_deployment(env.dep.chain_id, tmp_path, w3=env.w3)
    assert again.model("ticker").batch_verifier(4) == record
    assert record.verifier_size > 0 and record.register_tx.startswith("0x")
    with pytest.raises(DeploymentError, match="batch-8"):
        again.model("ticker").batch_verifier(8)
    with pytest.raises(DeploymentError, match="never change"):
        register_batch_verifier(env.w3, env.owner, again, "ticker", 4, verifier_sol=sol, vk_sha256=env.toy.vk_sha256,
                                directory=tmp_path)


def test_fulfilBatch_revertsForUnknownBatchVerifier(staked: Env):
    ids = _requests(staked)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil_batch(ids, b"\x01" * 64, _outputs(staked, 4))
    assert err.value.error_name == "DPromptUnknownBatchVerifier"
    assert err.value.error_args == {"modelId": staked.model_id, "size": 4}


@pytest.mark.parametrize("size", [0, 1, 65])
def test_fulfilBatch_revertsForWrongBatchSize(staked: Env, size: int):
    ids = list(range(1, size + 1))
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil_batch(ids, b"\x01" * 64, _outputs(staked, size))
    assert err.value.error_name == "DPromptWrongBatchSize"
    assert err.value.error_args == {"size": size}


def test_fulfilBatch_revertsForDuplicateRequestId(staked: Env, compiled):
    staked.client(staked.owner).register_batch_verifier(staked.model_id, 4, _false_verifier(staked, compiled), VK_HASH)
    a, b, c, _ = _requests(staked)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil_batch([a, b, c, b], b"\x01" * 64, _outputs(staked, 4))
    assert err.value.error_name == "DPromptDuplicateRequest"
    assert err.value.error_args == {"requestId": b}


def test_fulfilBatch_revertsIfRequestsAreForDifferentModels(staked: Env):
    owner = staked.client(staked.owner)
    other_model, _ = owner.publish_model(staked.params.config_for(staked.dep.models["ticker"].verifier.address),
                                          build_table(staked.params.spec).data)
    staked.client(staked.provider).stake(other_model, MIN_STAKE)
    ids = _requests(staked, PROMPTS[:1]) + _requests(staked, PROMPTS[1:2], model_id=other_model)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).fulfil_batch(ids, b"\x01" * 64, _outputs(staked, 2))
    assert err.value.error_name == "DPromptBatchModelMismatch"
    assert err.value.error_args == {"requestId": ids[1], "modelId": other_model, "expected": staked.model_id}


def test_fulfilBatch_revertsIfVerifierReturnsFalse(staked: Env, compiled):
    staked.client(staked.owner).register_batch_verifier(staked.model_id, 4, _false_verifier(staked, compiled), VK_HASH)
    ids = _requests(staked)
    provider = staked.client(staked.provider)
    with pytest.raises(RevertedError) as err:
        provider.fulfil_batch(ids, b"\x01" * 64, _outputs(staked, 4))
    assert err.value.error_name == "DPromptBatchProofRejected"
    assert err.value.error_args == {"firstRequestId": ids[0], "size": 4}
    assert [provider.request_info(r).status for r in ids] == ["pending"] * 4
    assert provider.provider(staked.model_id, staked.provider.address).pending == 4


def test_batchPublicInstances_areEachRequestsFeaturesThenAllOutputs(staked: Env):
    ids = _requests(staked)
    client = staked.client()
    outputs = list(range(1, 4 * staked.toy.num_outputs + 1))  # zigzag: -1, 1, -2, 2, ...
    got = client.batch_public_instances(ids, outputs)
    features = [v for r in ids for v in client.public_instances(r, [])]
    assert got == features + [unzigzag(z) % FIELD_MODULUS for z in outputs]
    with pytest.raises(RevertedError) as err:
        client.batch_public_instances(ids, outputs[1:])
    assert err.value.error_name == "DPromptWrongOutputCount"
    assert err.value.error_args == {"given": len(outputs) - 1, "expected": len(outputs)}


def test_registerPackedBatchVerifier_recordsThePacking(env: Env, compiled):
    verifier = _false_verifier(env, compiled)
    owner = env.client(env.owner)
    assert owner.batch_packing(env.model_id, 4) is None  # nothing registered: one instance per feature
    owner.register_batch_verifier(env.model_id, 4, verifier, VK_HASH, packing={"digits": 11, "bits": 10, "shift": 14})
    assert owner.batch_verifier(env.model_id, 4) == (verifier, VK_HASH)
    assert owner.batch_packing(env.model_id, 4) == {"digits": 11, "bits": 10, "shift": 14}
    owner.register_batch_verifier(env.model_id, 8, verifier, VK_HASH)
    assert owner.batch_packing(env.model_id, 8) is None


@pytest.mark.parametrize(
    ("packing", "reason"),
    [
        ({"digits": 0, "bits": 10, "shift": 14}, "packing needs digits >= 1"),
        ({"digits": 11, "bits": 1, "shift": 14}, "packing bits cannot hold a count"),  # clip 3: 2 bits
        ({"digits": 25, "bits": 10, "shift": 14}, "packed words exceed 253 bits"),  # 14 + 240 + 2 > 253
    ],
)
def test_registerPackedBatchVerifier_revertsForAPackingThatCannotBeSound(env: Env, compiled, packing, reason):
    verifier = _false_verifier(env, compiled)
    with pytest.raises(RevertedError) as err:
        env.client(env.owner).register_batch_verifier(env.model_id, 4, verifier, VK_HASH, packing=packing)
    assert err.value.error_name == "DPromptInvalidModelConfig"
    assert err.value.error_args == {"reason": reason}
    assert env.client(env.owner).batch_verifier(env.model_id, 4) is None


def test_registerPackedBatchVerifier_revertsIfNotPublisher(env: Env, compiled):
    verifier = _false_verifier(env, compiled)
    with pytest.raises(RevertedError) as err:
        env.client(env.user).register_batch_verifier(
            env.model_id, 4, verifier, VK_HASH, packing={"digits": 11, "bits": 10, "shift": 14}
        )
    assert err.value.error_name == "DPromptNotPublisher"


@pytest.mark.parametrize(
    ("size", "packing"),
    [
        (2, {"digits": 5, "bits": 9, "shift": 3}),
        (3, {"digits": 11, "bits": 10, "shift": 14}),  # the ticker batch-16 circuit's
        (4, {"digits": 1, "bits": 2, "shift": 0}),  # a word per feature
        (2, {"digits": 126, "bits": 2, "shift": 0}),  # as dense as 253 bits allow
    ],
)
def test_batchPublicInstances_packTheStoredFeaturesAsTheVerifierTakesThem(staked: Env, compiled, size, packing):
    from zkrevox.encoding import pack_features

    owner = staked.client(staked.owner)
    owner.register_batch_verifier(staked.model_id, size, _false_verifier(staked, compiled), VK_HASH, packing=packing)
    ids = _requests(staked, (PROMPTS * 2)[:size])
    outputs = _outputs(staked, size)
    features = [owner.features(r) for r in ids]
    want = [w for row in features for w in pack_features(row, **packing)]
    assert owner.batch_public_instances(ids, outputs) == want + [unzigzag(z) % FIELD_MODULUS for z in outputs]


@pytest.mark.parametrize(
    ("z", "felt"),
    [(0, 0), (2, 1), (1, FIELD_MODULUS - 1), (2 * HALF_FIELD, HALF_FIELD), (2 * HALF_FIELD - 1, HALF_FIELD + 1)],
)
def test_outputs_areZigzagSignedIntegersMappedToTheField(staked: Env, z: int, felt: int):
    client = staked.client()
    (rid,) = _requests(staked, PROMPTS[:1])
    outputs = [z] + [0] * (staked.toy.num_outputs - 1)
    assert client.public_instances(rid, outputs)[-staked.toy.num_outputs] == felt
    assert zigzag(unzigzag(z)) == z


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(v=st.one_of(st.integers(-HALF_FIELD, HALF_FIELD), st.integers(-(2**64), 2**64)))
def test_outputs_zigzagDecodesOnChainAsInPython(staked: Env, v: int):
    staked.client(staked.provider).set_capacity(staked.model_id, 2**16 - 1)  # one request per example
    client = staked.client()
    (rid,) = _requests(staked, PROMPTS[:1])
    n = staked.toy.num_outputs
    outputs = [zigzag(v)] * n
    assert client.public_instances(rid, outputs)[-n:] == [v % FIELD_MODULUS] * n


@pytest.mark.parametrize("z", [2 * HALF_FIELD + 1, 2 * HALF_FIELD + 2, FIELD_MODULUS, 2**256 - 1])
def test_outputs_outsideHalfTheFieldRevert(staked: Env, z: int):
    (rid,) = _requests(staked, PROMPTS[:1])
    outputs = [0, z] + [0] * (staked.toy.num_outputs - 2)
    with pytest.raises(RevertedError) as err:
        staked.client().public_instances(rid, outputs)
    assert err.value.error_name == "DPromptOutputOutOfRange"
    assert err.value.error_args == {"index": 1}
