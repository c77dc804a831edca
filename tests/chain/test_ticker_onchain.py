"""The real ticker circuit on-chain: its generated verifier, a real proof, the answer {BNB, CAKE}.

Needs the circuit artifacts (``zkrevox build ticker`` / ``make build-ticker``); skipped only when
``artifacts/ticker/manifest.json`` is absent.
"""

from __future__ import annotations

import json

import pytest
from chainenv import MIN_STAKE

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient, bitmap_indices
from zkrevox.chain.deploy import deploy, model_params
from zkrevox.chain.evm_verifier import generate_verifier
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.revert import RevertedError

pytestmark = [pytest.mark.chain, pytest.mark.slow]
GAS_BAR = 700_000


@pytest.fixture(scope="module")
def ticker(prover, tmp_path_factory):
    """The session ``prover`` fixture (tests/conftest.py) builds the circuit if it is missing."""
    from eth_account import Account

    params = model_params("ticker", min_stake_wei=MIN_STAKE)
    work = tmp_path_factory.mktemp("ticker-chain")
    sol = generate_verifier("ticker", prover.vk_path, prover.settings_path, prover.srs_path,
                            work / "TickerVerifier.sol")
    owner, provider, user = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:3])
    with Anvil() as chain:
        w3 = connect(chain.url)
        dep = deploy(w3, owner, params, verifier_sol=sol, directory=work)
        model_id = dep.models["ticker"].model_id
        DPromptClient(w3, dep.dprompt.address, provider).stake(model_id, MIN_STAKE)
        yield {"w3": w3, "dep": dep, "model_id": model_id, "prover": prover, "params": params,
               "provider": DPromptClient(w3, dep.dprompt.address, provider),
               "user": DPromptClient(w3, dep.dprompt.address, user)}


def _fulfil(ticker, prompt: str):
    rid, _ = ticker["user"].request(ticker["model_id"], prompt)
    proof = ticker["prover"].prove(prompt)
    chain_proof = ChainProof.from_proof(proof)
    n = ticker["params"].num_outputs
    assert ticker["provider"].public_instances(rid, chain_proof.outputs(n)) == chain_proof.instances
    receipt = ticker["provider"].fulfil(rid, chain_proof.proof_bytes, chain_proof.outputs(n))
    return rid, proof, chain_proof, receipt


def test_ticker_fulfilStoresBnbAndCake(ticker):
    rid, proof, _, receipt = _fulfil(ticker, "swap 2 bnb for cake")
    labels = list(ticker["params"].labels)
    tickers = [labels[i] for i in bitmap_indices(ticker["user"].answer(rid), ticker["params"].num_outputs)]
    assert tickers == proof.labels
    assert set(tickers) == {"BNB", "CAKE"}
    assert receipt["status"] == 1


def test_ticker_fulfilWithinGasBar(ticker):
    _, _, chain_proof, receipt = _fulfil(ticker, "swap 2 bnb for cake")
    tx = "0x" + bytes(receipt["transactionHash"]).hex()
    trace = ticker["w3"].provider.make_request("debug_traceTransaction", [tx, {"tracer": "callTracer"}])["result"]
    verifier_gas = int(trace["calls"][0]["gasUsed"], 16)
    data = bytes(ticker["w3"].eth.get_transaction(tx)["input"])
    intrinsic = 21_000 + sum(4 if b == 0 else 16 for b in data)
    print(json.dumps({"fulfil_gas": receipt["gasUsed"], "verifier_gas": verifier_gas, "intrinsic_gas": intrinsic,
                      "dprompt_execution_gas": receipt["gasUsed"] - verifier_gas - intrinsic,
                      "proof_bytes": len(chain_proof.proof_bytes)}))
    assert receipt["gasUsed"] <= GAS_BAR


def test_ticker_genuineProofForAnotherPromptFailsOnChain(ticker):
    rid, _ = ticker["user"].request(ticker["model_id"], "buy some pepe")
    proof = ChainProof.from_proof(ticker["prover"].prove("swap 2 bnb for cake"))
    with pytest.raises(RevertedError) as err:
        ticker["provider"].fulfil(rid, proof.proof_bytes, proof.outputs(ticker["params"].num_outputs),
                                  simulate=False)
    assert err.value.error_name == "DPromptProofRejected"
    assert ticker["w3"].eth.get_transaction_receipt(err.value.tx_hash)["status"] == 0
