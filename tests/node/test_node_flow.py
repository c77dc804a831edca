"""A node answers the requests assigned to it, records every state change, and reports it all on
/metrics and /healthz."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

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

from zkrevox.chain.client import bitmap_indices

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPTS = {
    "sell half my dogecoin for tether": {"DOGE", "USDT"},
    "what a lovely morning for a walk": set(),  # no ticker
    "swap 2 etherium for usdc": {"ETH", "USDC"},  # a typo
}


def test_node_fulfilsEachRequestOnceAndRecordsEveryStep(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with node_thread(config(env, db, metrics_port=0), env.provider) as node:
        ids = {env.request(p): p for p in PROMPTS}
        jobs = wait_states(db, list(ids), {"confirmed"}, timeout=90)
        text = metrics_text(node)
        with urllib.request.urlopen(node.metrics_url + "/healthz", timeout=5) as resp:
            health = json.loads(resp.read())
            assert resp.status == 200

    labels = env.dep.models["ticker"].labels
    for rid, prompt in ids.items():
        info = env.client().request_info(rid)
        assert info.status == "fulfilled"
        assert {labels[i] for i in bitmap_indices(info.answer, len(labels))} == PROMPTS[prompt]
        job = jobs[rid]
        assert [h["to"] for h in job["history"]] == ["seen", "proving", "proved", "submitted", "confirmed"]
        assert job["attempts"] == 0 and job["reason"] is None
        assert job["fulfil_tx"] == job["tx_hashes"][-1] and 500_000 < job["gas_used"] < 700_000
        assert job["prove_seconds"] > 0 and job["e2e_seconds"] > 0

    calls = fulfil_calls(env, start)
    assert sorted(c["request_id"] for c in calls) == sorted(ids)  # one fulfil transaction each, none reverted
    assert all(c["status"] == 1 and c["from"] == env.provider.address for c in calls)
    assert len({c["nonce"] for c in calls}) == len(calls)
    assert fulfilled_events(env, start) == dict.fromkeys(ids, 1)

    assert metric(text, "zkrevox_node_requests_seen_total") == 3
    assert metric(text, "zkrevox_node_requests_claimed_total") == 3
    assert metric(text, "zkrevox_node_requests_proved_total") == 3
    assert metric(text, "zkrevox_node_requests_fulfilled_total") == 3
    assert metric(text, "zkrevox_node_prove_seconds_count") == 3
    assert metric(text, "zkrevox_node_e2e_seconds_count") == 3
    assert metric(text, "zkrevox_node_stake_wei") == STAKE
    assert metric(text, "zkrevox_node_balance_wei") > 0
    assert metric(text, 'zkrevox_node_queue_depth{state="seen"}') == 0
    assert metric(text, "zkrevox_node_healthy") == 1
    assert "zkrevox_node_requests_failed_total" in text.replace("# HELP ", "")
    assert health["status"] == "ok"
    assert health["provider"] == env.provider.address
    assert health["jobs"]["confirmed"] == 3
    assert health["processed_block"] >= start


def test_metricsServer_answers404Elsewhere(env: NodeEnv, tmp_path):
    """(503 while degraded: see test_faults.)"""
    with node_thread(config(env, tmp_path / "node.db", metrics_port=0), env.provider) as node:
        with pytest.raises(urllib.error.HTTPError) as err:
            urllib.request.urlopen(node.metrics_url + "/nope", timeout=5)
        err.value.close()
        assert err.value.code == 404


def test_restartedNode_resumesFromItsCursorAndDoesNotResend(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with node_thread(config(env, db), env.provider):
        first = env.request("swap 2 bnb for cake")
        wait_states(db, [first], {"confirmed"}, timeout=60)
    second = env.request("price of eth")  # made while no node runs
    with node_thread(config(env, db), env.provider):
        wait_states(db, [second], {"confirmed"}, timeout=60)
    assert fulfilled_events(env, start) == {first: 1, second: 1}
    assert len(fulfil_calls(env, start)) == 2
    assert set(jobs_by_id(db)) == {first, second}
