"""Issue #18, item 5 (the node): on start the node takes in what the chain says happened, its
health says when its provider can serve nothing, and its job store counts as ``confirmed`` only
answers it made. Real anvil, the real ticker deployment, real nodes."""

from __future__ import annotations

import json
import urllib.request

import pytest
from nodeenv import STAKE, NodeEnv, config, expected, node_thread, wait_for, wait_states

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPT = "buy some pepe"


def test_optimisticAnswerPostedWhileTheNodeWasDown_isFinalizedAfterRestart(staked: NodeEnv, tmp_path):
    """The provider's key answered an optimistic request by hand (`zkrevox fulfil --optimistic`) while
    the node was down: the node takes the answer in (answered, not stuck in seen) and finalizes it."""
    env, db = staked, tmp_path / "node.db"
    rid, _ = env.client(env.user).request(env.model_id, PROMPT, optimistic=True)
    env.client(env.provider).post_answer(rid, expected(PROMPT))
    window = env.client().model(env.model_id).challenge_window
    env.advance(window + 1)
    with node_thread(config(env, db), env.provider):
        jobs = wait_states(db, [rid], {"confirmed", "failed", "skipped"}, timeout=60)
    job = jobs[rid]
    assert job["state"] == "confirmed", job
    assert [h["to"] for h in job["history"]][:2] == ["seen", "answered"]
    assert not any("cannot move" in (h["detail"] or "") for h in job["history"])
    assert env.client().request_info(rid).status == "fulfilled"


def _health(node) -> tuple[int, dict]:
    try:
        with urllib.request.urlopen(f"{node.metrics_url}/healthz", timeout=5) as resp:
            return resp.status, json.loads(resp.read())
    except urllib.error.HTTPError as err:
        return err.code, json.loads(err.read())


def test_healthz_isNotOk_onceTheProviderUnbonded(env: NodeEnv, tmp_path):
    with node_thread(config(env, tmp_path / "node.db", metrics_port=0), env.provider) as node:
        assert _health(node)[0] == 200
        env.client(env.provider).unbond(env.model_id)
        _, body = wait_for(lambda: (h := _health(node))[0] == 503 and h, 30, "healthz 503 after unbonding")
    assert body["status"] == "not-serving" and "no new requests" in body["detail"]


def test_requestFulfilledByAnotherTransaction_isNotCountedConfirmed(env: NodeEnv, tmp_path, prover):
    from zkrevox.chain.proofs import ChainProof

    env.client(env.provider).stake(env.model_id, STAKE)
    rid = env.request(PROMPT)
    proof = ChainProof.from_proof(prover.prove(PROMPT, out_dir=tmp_path / "proof"))
    env.client(env.provider).fulfil(rid, proof.proof_bytes, proof.outputs(len(env.dep.models["ticker"].labels)))
    db = tmp_path / "node.db"
    with node_thread(config(env, db), env.provider) as node:
        wait_states(db, [rid], {"skipped"}, timeout=60)
        counts = node.health()["jobs"]
    assert counts["confirmed"] == 0 and counts["skipped"] == 1
