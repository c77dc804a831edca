"""fulfil with the real packed-features single circuit (circuits/ticker/circuit.json,
``feature_packing.batches`` holds 1): the model's own verifier takes the 138 features private
and publishes 13 packed words; the model config says so (``ModelConfig.packing``) and DPrompt
rebuilds the words from the counts it stored at ``request``, never from the provider. Attacks:
a proof of another prompt, tampered outputs, a packing the publication must refuse.
"""

from __future__ import annotations

import dataclasses

import pytest
from chainenv import MIN_STAKE, Env

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient, answer_bitmap, bitmap_indices
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.vocab_table import build_table
from zkrevox.encoding import pack_features
from zkrevox.errors import ProofError
from zkrevox.featurizer import featurize_batch

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPT = "swap 2 bnb for cake and check eth"
OTHER = "swap 2 bnb for cake and check btc"  # one word apart: other stored counts
PACKING = {"digits": 11, "bits": 10, "shift": 14}
NUM_OUTPUTS = 42
WORDS = 13  # ceil(138 / 11)


@pytest.fixture(scope="module")
def single(prover, tmp_path_factory):
    assert prover.manifest["feature_packing"] == PACKING, "rebuild the single circuit: `zkrevox build ticker`"
    return prover, prover.prove(PROMPT, out_dir=tmp_path_factory.mktemp("packed-single"))


@pytest.fixture(scope="module")
def chain(single, tmp_path_factory):
    from eth_account import Account

    params = model_params("ticker", min_stake_wei=MIN_STAKE)
    assert params.packing == PACKING  # read from artifacts/ticker/manifest.json
    owner, provider, user, watcher = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:4])
    with Anvil() as anvil:
        w3 = connect(anvil.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params),
                     directory=tmp_path_factory.mktemp("packed-single-deployments"))
        model_id = dep.models["ticker"].model_id
        client = DPromptClient(w3, dep.dprompt.address, provider)
        client.stake(model_id, MIN_STAKE)
        yield {"w3": w3, "params": params, "model_id": model_id, "provider": client,
               "user": DPromptClient(w3, dep.dprompt.address, user),
               "watcher": DPromptClient(w3, dep.dprompt.address, watcher)}



def test_packedSingle_fulfilsFromTheStoredPromptsPackedWords(fresh, single):
    prover, proof = single
    chain_proof = ChainProof.from_proof(proof)
    outputs = chain_proof.outputs(NUM_OUTPUTS)
    assert len(chain_proof.instances) == WORDS + NUM_OUTPUTS  # 13 packed words instead of 138 features
    provider = fresh["provider"]
    assert provider.model(fresh["model_id"]).packing == PACKING
    request_id, _ = fresh["user"].request(fresh["model_id"], PROMPT)
    instances = provider.public_instances(request_id, outputs)
    # DPrompt's words are the stored counts packed, and exactly the proof's public inputs.
    (counts,) = featurize_batch([PROMPT.encode()], prover.spec)
    assert instances[:WORDS] == pack_features(counts, **PACKING)
    assert instances == chain_proof.instances
    assert provider.fulfil(request_id, chain_proof.proof_bytes, outputs)["status"] == 1
    labels = list(fresh["params"].labels)
    proven = [label for label, v in zip(labels, proof.outputs, strict=True) if v > 0]
    assert [labels[i] for i in bitmap_indices(provider.answer(request_id), NUM_OUTPUTS)] == proven
    assert sorted(proven) == ["BNB", "CAKE", "ETH"]


def test_packedSingle_rejectsTheProofOfAnotherPrompt(fresh, single):
    _, proof = single
    chain_proof = ChainProof.from_proof(proof)
    request_id, _ = fresh["user"].request(fresh["model_id"], OTHER)
    with pytest.raises(RevertedError) as err:
        fresh["provider"].fulfil(request_id, chain_proof.proof_bytes, chain_proof.outputs(NUM_OUTPUTS))
    assert err.value.error_name == "DPromptProofRejected"


def test_packedSingle_rejectsTamperedOutputs(fresh, single):
    _, proof = single
    chain_proof = ChainProof.from_proof(proof)
    outputs = chain_proof.outputs(NUM_OUTPUTS)
    request_id, _ = fresh["user"].request(fresh["model_id"], PROMPT)
    for forged in ([*outputs[:-1], outputs[-1] + 2], [outputs[1], outputs[0], *outputs[2:]]):
        with pytest.raises(RevertedError) as err:
            fresh["provider"].fulfil(request_id, chain_proof.proof_bytes, forged)
        assert err.value.error_name == "DPromptProofRejected"
    with pytest.raises(RevertedError) as err:  # an extra output (e.g. to smuggle a word in) is refused by count
        fresh["provider"].fulfil(request_id, chain_proof.proof_bytes, [*outputs, 0])
    assert err.value.error_name == "DPromptWrongOutputCount"


def test_packedSingle_disputeOverturnsAWrongOptimisticAnswer(fresh, single):
    _, proof = single
    chain_proof = ChainProof.from_proof(proof)
    right = answer_bitmap(chain_proof.signed_outputs(NUM_OUTPUTS))
    request_id, _ = fresh["user"].request(fresh["model_id"], PROMPT, optimistic=True)
    fresh["provider"].post_answer(request_id, right ^ 1)
    receipt = fresh["watcher"].dispute(request_id, chain_proof.proof_bytes, chain_proof.outputs(NUM_OUTPUTS))
    assert receipt["status"] == 1
    assert fresh["user"].answer(request_id) == right


def test_packedSingle_proverRefusesAProofClaimingAnotherPrompt(single):
    prover, proof = single
    assert prover.verify(proof)
    forged = dataclasses.replace(proof, prompt=OTHER, raw_prompt=OTHER.encode())
    with pytest.raises(ProofError, match="not the features of"):
        prover.verify(forged)


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        ({"packing": {"digits": 11, "bits": 1, "shift": 14}}, "packing bits cannot hold a count"),
        ({"packing": {"digits": 30, "bits": 10, "shift": 0}}, "packed words exceed 253 bits"),
        ({"packing": {"digits": 11, "bits": 10, "shift": 220}}, "packed words exceed 253 bits"),
        ({"packing": {"digits": 0, "bits": 10, "shift": 14}}, "packing bits/shift need digits"),
        ({"fee_wei": 2**80, "developer_share_bps": 10_000}, "developer cut over 2^72 wei"),
    ],
)
def test_publishModel_refusesAPackingItCannotRebuild(env: Env, change: dict, reason: str):
    bad = dataclasses.replace(env.params, **change)
    with pytest.raises(RevertedError) as err:
        env.client(env.owner).publish_model(bad.config_for(env.dep.models["ticker"].verifier.address),
                                            build_table(bad.spec).data)
    assert err.value.error_name == "DPromptInvalidModelConfig"
    assert err.value.error_args["reason"] == reason


@pytest.mark.parametrize(
    "packing",
    [
        {"digits": 1, "bits": 2, "shift": 0},  # one count per word
        {"digits": 3, "bits": 3, "shift": 7},
        {"digits": 11, "bits": 10, "shift": 14},  # the ticker circuit's
        {"digits": 50, "bits": 5, "shift": 0},  # chunks of 100 bits: every third straddles two storage words
        {"digits": 126, "bits": 2, "shift": 0},  # chunks of 252 bits: nearly every one straddles
    ],
)
def test_publicInstances_packsTheStoredCountsAsPackFeatures(env: Env, packing: dict):
    """DPrompt's packed words equal ``pack_features`` of the prompt's counts for any valid packing
    (the toy model's spec, clip 3: two-bit counts), including chunks that straddle storage words."""
    params = dataclasses.replace(env.params, packing=packing)
    owner = env.client(env.owner)
    model_id, _ = owner.publish_model(params.config_for(env.dep.models["ticker"].verifier.address),
                                      build_table(params.spec).data)
    env.client(env.provider).stake(model_id, MIN_STAKE)
    user = env.client(env.user)
    prompts = [PROMPT, "x", "bnb " * 40, "eth btc usdc usdt arb op uni link aave mkr crv ldo " * 3]
    rows = featurize_batch([p.encode()[: params.spec.max_bytes] for p in prompts], params.spec)
    for prompt, counts in zip(prompts, rows, strict=True):
        request_id, _ = user.request(model_id, prompt.encode()[: params.spec.max_bytes])
        words = -(-len(counts) // packing["digits"])
        instances = user.public_instances(request_id, [0] * params.num_outputs)
        assert len(instances) == words + params.num_outputs
        assert instances[:words] == pack_features(counts, **packing), prompt
