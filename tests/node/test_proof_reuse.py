"""Proofs of repeated prompts reused (``node.proofcache``): a real node on anvil answers a second
request with the same prompt with the proof it made for the first, at once (no new proof), and
DPrompt accepts it; with ``reuse_proofs`` off it proves again; a kept proof the chain refuses is
forgotten."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
from nodeenv import NodeEnv, config, fulfil_calls, metric, metrics_text, node_thread, wait_states

from zkrevox.chain.client import bitmap_indices
from zkrevox.node.proofcache import REUSABLE_DIR, ProofCache

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPT = "sell half my dogecoin for tether"


def _steps(job: dict) -> list[str]:
    return [h["to"] for h in job["history"]]


def test_node_answersRepeatedPromptWithKeptProof_noNewProof(env: NodeEnv, tmp_path, caplog):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with caplog.at_level(logging.INFO, logger="zkrevox.node"), \
            node_thread(config(env, db, metrics_port=0), env.provider) as node:
        first = env.request(PROMPT)
        wait_states(db, [first], {"confirmed"}, timeout=90)
        second = env.request(PROMPT)
        jobs = wait_states(db, [second], {"confirmed"}, timeout=60)
        text = metrics_text(node)

    assert _steps(jobs[first]) == ["seen", "proving", "proved", "submitted", "confirmed"]
    # the second request never went through ``proving``: answered from the kept proof
    assert _steps(jobs[second]) == ["seen", "proved", "submitted", "confirmed"]
    reused = jobs[second]["history"][1]["detail"]
    assert reused == f"reused proof of request {first} (same features; no new proof)"
    logged = [r.getMessage() for r in caplog.records if "reused proof" in r.getMessage()]
    assert logged == [f"request {second}: seen → proved: reused proof of request {first} (same features, used 1×; "
                      "no new proof)"]
    assert jobs[second]["prove_seconds"] == 0.0
    assert metric(text, "zkrevox_node_prove_seconds_count") == 1  # one proof made in all
    assert metric(text, "zkrevox_node_requests_proved_total") == 2

    # DPrompt took the same proof bytes for both requests: nothing request-specific is in the proof
    proofs = [json.loads(Path(jobs[r]["proof_path"]).read_text()) for r in (first, second)]
    assert proofs[0]["proof"] == proofs[1]["proof"] and proofs[0]["instances"] == proofs[1]["instances"]
    labels = env.dep.models["ticker"].labels
    for rid in (first, second):
        info = env.client().request_info(rid)
        assert info.status == "fulfilled"
        assert {labels[i] for i in bitmap_indices(info.answer, len(labels))} == {"DOGE", "USDT"}
    calls = fulfil_calls(env, start)
    assert sorted(c["request_id"] for c in calls) == [first, second] and all(c["status"] == 1 for c in calls)

    cache = ProofCache(db, config(env, db).proofs_path)
    try:
        assert cache.stats() == {"proofs": 1, "uses": 1}
    finally:
        cache.close()


def test_node_withoutReuse_provesTheRepeatAgain(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    with node_thread(config(env, db, reuse_proofs=False), env.provider):
        first = env.request(PROMPT)
        wait_states(db, [first], {"confirmed"}, timeout=90)
        second = env.request(PROMPT)
        jobs = wait_states(db, [second], {"confirmed"}, timeout=90)
    assert _steps(jobs[second]) == ["seen", "proving", "proved", "submitted", "confirmed"]
    assert not (config(env, db).proofs_path / REUSABLE_DIR).exists()


def test_keptProofRefusedByTheChain_isForgotten_thenProvedAfresh(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    cfg = config(env, db)
    with node_thread(cfg, env.provider):
        first = env.request(PROMPT)
        wait_states(db, [first], {"confirmed"}, timeout=90)
        # damage the kept copy consistently (both of ezkl's copies of the proof): the verifier refuses it
        (kept,) = (cfg.proofs_path / REUSABLE_DIR).glob("*/proof.json")
        raw = json.loads(kept.read_text())
        raw["proof"][100] ^= 1
        raw["hex_proof"] = "0x" + bytes(raw["proof"]).hex()
        kept.write_text(json.dumps(raw))
        second = env.request(PROMPT)
        jobs = wait_states(db, [second], {"failed"}, timeout=60)
        third = env.request(PROMPT)
        jobs = wait_states(db, [third], {"confirmed"}, timeout=90)
    assert _steps(jobs[second])[:2] == ["seen", "proved"] and jobs[second]["reason"] is not None
    assert "proving" in _steps(jobs[third])  # the refused proof was not offered again
    assert env.client().request_info(third).status == "fulfilled"
