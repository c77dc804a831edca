"""Requests the node cannot or must not answer: recorded with a clear reason, and the node goes on."""

from __future__ import annotations

import pytest
from nodeenv import (
    STAKE,
    NodeEnv,
    config,
    fulfil_calls,
    fulfilled_events,
    jobs_by_id,
    metric,
    metrics_text,
    node_thread,
    wait_states,
)

from zkrevox.chain.deploy import model_params, write_deployment
from zkrevox.chain.proofs import ChainProof
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.vocab_table import build_table

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def _register(env: NodeEnv, verifier: str) -> int:
    """Register a second model (the ticker's spec and vk hash) whose proofs go to ``verifier``."""
    params = model_params("ticker")
    model_id, _ = env.client(env.owner).publish_model(params.config_for(verifier), build_table(params.spec).data)
    return model_id


def test_otherModel_badPrompt_overLongPrompt_areReportedAndTheNodeGoesOn(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    other_model = _register(env, env.dep.models["ticker"].verifier.address)
    env.client(env.provider).stake(other_model, STAKE)  # so requests for it are assigned to this provider
    with node_thread(config(env, db, metrics_port=0), env.provider) as node:
        with pytest.raises(RevertedError) as err:  # over-long: the contract refuses it, nothing reaches the node
            env.request("swap bnb for cake " * 20)
        assert err.value.error_name == "DPromptPromptTooLong"
        other = env.request("swap 2 bnb for cake", model_id=other_model)
        not_utf8 = env.request(b"swap \xff\xfe bnb for cake")
        good = env.request("sell half my dogecoin for tether")
        jobs = wait_states(db, [other, not_utf8, good], {"confirmed", "skipped", "failed"}, timeout=60)
        text = metrics_text(node)
        assert node.health()["status"] == "ok"

    assert jobs[other]["state"] == "skipped" and jobs[other]["reason"] == "other-model"
    assert f"model {other_model}" in jobs[other]["last_error"] and "proves ticker" in jobs[other]["last_error"]
    assert jobs[not_utf8]["state"] == "confirmed"  # any bytes the contract accepts are proved (issue 9)
    assert jobs[good]["state"] == "confirmed"
    assert sorted(c["request_id"] for c in fulfil_calls(env, start)) == sorted([not_utf8, good])
    assert fulfilled_events(env, start) == {not_utf8: 1, good: 1}
    assert metric(text, 'zkrevox_node_requests_skipped_total{reason="other-model"}') == 1


def test_fulfilmentRefusedByTheVerifier_isFailedWithTheReason_nothingSent(env: NodeEnv, tmp_path):
    """A model registered with a verifier that rejects every proof (here: DPrompt itself, which has no
    verifyProof): the simulation reverts with DPromptProofRejected, nothing is sent, the node goes on."""
    rejecting = _register(env, env.dep.dprompt.address)
    dep = env.dep.__class__.from_json(env.dep.to_json())
    dep.models["ticker"].model_id = rejecting
    write_deployment(dep, tmp_path / "deployments")
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    cfg = config(env, db, deployments_dir=tmp_path / "deployments", max_attempts=2)
    with node_thread(cfg, env.provider) as node:
        ids = [env.request("swap 2 bnb for cake", model_id=rejecting),
               env.request("price of eth", model_id=rejecting)]
        jobs = wait_states(db, ids, {"failed"}, timeout=60)
        assert node.health()["status"] == "ok"
    for rid in ids:
        assert jobs[rid]["reason"] == "proof-rejected"
        assert "verifier rejected the proof" in jobs[rid]["last_error"]
        assert "nothing sent" in jobs[rid]["history"][-1]["detail"]
        assert jobs[rid]["tx_hashes"] == []
    assert fulfil_calls(env, start) == []


def test_fulfilmentRevertedOnChain_isFailedWithTheDecodedReason(env: NodeEnv, tmp_path):
    """The fulfilment is simulated fine and sent, then mined after the deadline: it reverts on-chain
    with DPromptDeadlinePassed; the node records the revert (tx, gas, reason) and goes on."""
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    window = env.client().model(env.model_id).response_window
    with node_thread(config(env, db, bump_after=600), env.provider):
        (late,) = env.request_held("swap 2 bnb for cake")
        wait_states(db, [late], {"submitted"}, timeout=60)
        env.rpc_call("evm_increaseTime", [window + 5])
        env.rpc_call("evm_mine", [])
        env.rpc_call("evm_setAutomine", [True])
        jobs = wait_states(db, [late], {"failed"}, timeout=60)
        on_time = env.request("price of eth")  # the node is still serving
        wait_states(db, [on_time], {"confirmed"}, timeout=60)
    job = jobs[late]
    assert job["reason"] == "deadline" and "DPromptDeadlinePassed" in job["last_error"]
    assert job["gas_used"] > 0 and job["tx_hashes"]
    calls = {c["request_id"]: c for c in fulfil_calls(env, start)}
    assert calls[late]["status"] == 0 and calls[on_time]["status"] == 1


def test_unmeetableDeadline_isSkippedNotAttempted(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    window = env.client().model(env.model_id).response_window
    env.client(env.provider).stake(env.model_id, STAKE)
    rid = env.request("swap 2 bnb for cake")
    env.advance(window - 3)  # 3 s left: less than a proof plus the margin
    with node_thread(config(env, db), env.provider):
        jobs = wait_states(db, [rid], {"skipped"}, timeout=60)
    assert jobs[rid]["reason"] == "deadline" and "cannot be met" in jobs[rid]["last_error"]
    assert [h["to"] for h in jobs[rid]["history"]] == ["seen", "skipped"]  # decided before it is claimed
    assert fulfil_calls(env, start) == []


def test_requestAlreadyFulfilledOnChain_isMarkedDoneAndNeverSent(env: NodeEnv, tmp_path, prover):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    env.client(env.provider).stake(env.model_id, STAKE)
    rid = env.request("swap 2 bnb for cake")
    proof = ChainProof.from_proof(prover.prove("swap 2 bnb for cake", out_dir=tmp_path / "proof"))
    env.client(env.provider).fulfil(rid, proof.proof_bytes, proof.outputs(len(env.dep.models["ticker"].labels)))
    with node_thread(config(env, db), env.provider):
        jobs = wait_states(db, [rid], {"skipped"}, timeout=60)
    assert jobs[rid]["reason"] == "already-fulfilled"  # not counted as confirmed: this node did not answer it
    assert [h["to"] for h in jobs[rid]["history"]] == ["seen", "proving", "skipped"]
    assert len(fulfil_calls(env, start)) == 1  # the one made above; the node sent none
    assert jobs_by_id(db)[rid]["tx_hashes"] == []
