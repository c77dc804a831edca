"""fulfilBatch with the real packed-features batch-16 circuit (circuits/ticker/circuit.json,
``feature_packing``): the features are private in the circuit, range-checked and published as 13
packed words per request; DPrompt rebuilds those words from its stored counts. Built once if
missing (~30 s), one proof (~10 s) per session.
"""

from __future__ import annotations

import dataclasses

import pytest
from chainenv import MIN_STAKE

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient, bitmap_indices
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.gasbench import eval_prompts
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.revert import RevertedError
from zkrevox.errors import ProofError

pytestmark = [pytest.mark.chain, pytest.mark.slow]

N = 16


@pytest.fixture(scope="module")
def packed(packed_prover):
    prover = packed_prover
    assert prover.manifest["feature_packing"] == {"digits": 11, "bits": 10, "shift": 14}
    prompts = eval_prompts("ticker", N)
    return prover, prompts, prover.prove_batch(prompts)


@pytest.fixture(scope="module")
def chain(packed, tmp_path_factory):
    from eth_account import Account

    params = model_params("ticker", min_stake_wei=MIN_STAKE)
    owner, provider, user = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:3])
    with Anvil() as anvil:
        w3 = connect(anvil.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), batch_sizes=[N],
                     directory=tmp_path_factory.mktemp("packed-deployments"))
        model_id = dep.models["ticker"].model_id
        client = DPromptClient(w3, dep.dprompt.address, provider)
        client.stake(model_id, MIN_STAKE)
        yield {"w3": w3, "dep": dep, "params": params, "model_id": model_id, "provider": client,
               "user": DPromptClient(w3, dep.dprompt.address, user)}



def _request(chain, prompts: list[str]) -> list[int]:
    return [chain["user"].request(chain["model_id"], p)[0] for p in prompts]


def test_packedBatch_answersSixteenRequestsWithOneProof(fresh, packed, prover):
    packed_prover, prompts, proof = packed
    chain_proof = ChainProof.from_proof(proof)
    outputs = chain_proof.outputs(N * 42)
    assert len(chain_proof.instances) == N * (13 + 42)  # 13 packed words instead of 138 features
    ids = _request(fresh, prompts)
    provider = fresh["provider"]
    packing = packed_prover.manifest["feature_packing"]
    assert provider.batch_packing(fresh["model_id"], N) == packing
    assert fresh["dep"].models["ticker"].batch_verifiers[str(N)].packing == packing
    assert provider.batch_public_instances(ids, outputs) == chain_proof.instances
    receipt = provider.fulfil_batch(ids, chain_proof.proof_bytes, outputs)
    assert receipt["status"] == 1
    labels = list(fresh["params"].labels)
    answers = [[labels[i] for i in bitmap_indices(provider.answer(r), 42)] for r in ids]
    assert answers == proof.answers
    assert answers == [prover.predict(p).labels for p in prompts]  # same network, same answers


def test_packedBatch_rejectsTheProofForRequestsOfOtherPrompts(fresh, packed):
    _, prompts, proof = packed
    chain_proof = ChainProof.from_proof(proof)
    swapped = [prompts[1], prompts[0], *prompts[2:]]
    ids = _request(fresh, swapped)
    with pytest.raises(RevertedError) as err:
        fresh["provider"].fulfil_batch(ids, chain_proof.proof_bytes, chain_proof.outputs(N * 42))
    assert err.value.error_name == "DPromptBatchProofRejected"


def test_packedBatch_proverRefusesAProofClaimingOtherPrompts(packed):
    prover, prompts, proof = packed
    assert prover.verify(proof)
    swapped = [prompts[1], prompts[0], *prompts[2:]]
    forged = dataclasses.replace(proof, prompts=swapped, raw_prompts=[p.encode() for p in swapped])
    with pytest.raises(ProofError, match="not the features of"):
        prover.verify(forged)
