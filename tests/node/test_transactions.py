"""Fulfilments that do not get mined the easy way: stuck (fee bump with the same nonce), dropped
from the mempool (re-broadcast, same hash), their nonce taken by another transaction (re-sent
with a new nonce after checking the request is still pending). Anvil's automining is switched
off so the mempool can be seen and changed; the chain is mined by hand."""

from __future__ import annotations

import pytest
from nodeenv import (
    NodeEnv,
    config,
    fulfil_calls,
    fulfilled_events,
    metric,
    metrics_text,
    node_thread,
    wait_for,
)
from nodeenv import wait_states as wait_jobs

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def _sent(node, kind: str) -> float:
    text = metrics_text(node)
    return metric(text, f'zkrevox_node_transactions_sent_total{{kind="{kind}"}}') if f'kind="{kind}"' in text else 0


# A request that pays its fulfilment's gas up to 10 gwei: the node caps every fee, and each bump, at
# the break-even price (node/economics.py), so bumps need a request that pays for them.
PAYS_FOR_GAS = 10**15 + 10**6 * 10 * 10**9


def _submitted(env: NodeEnv, db, prompt: str) -> tuple[int, dict]:
    """A request whose fulfilment the node has signed and broadcast, with automining off."""
    (rid,) = env.request_held(prompt, value=PAYS_FOR_GAS)
    jobs = wait_jobs(db, [rid], {"submitted"}, timeout=60)
    _in_pool(env, jobs[rid]["tx_hashes"])
    return rid, jobs[rid]


def _in_pool(env: NodeEnv, hashes: list[str]) -> None:
    """Wait until the RPC node knows every hash: the node records a fulfilment before it broadcasts
    it, so ``submitted`` alone does not mean the transaction is in the pool yet."""
    wait_for(lambda: all(env.rpc_call("eth_getTransactionByHash", [h]) for h in hashes), 30, "the broadcast")


def test_stuckFulfilment_isReplacedWithHigherFeesAndTheSameNonce(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with node_thread(config(env, db, bump_after=0.5, metrics_port=0), env.provider) as node:
        rid, job = _submitted(env, db, "swap 2 bnb for cake")
        first = job["tx_hashes"][0]
        first_tip = int(env.w3.eth.max_priority_fee)  # what the first fulfilment was signed with
        # broadcast, not only recorded (the record is written before the broadcast)
        wait_for(lambda: _sent(node, "bump") >= 2, 30, "two fee bumps broadcast")
        env.rpc_call("evm_mine", [])
        env.rpc_call("evm_setAutomine", [True])
        jobs = wait_jobs(db, [rid], {"confirmed"}, timeout=30)
        text = metrics_text(node)
    job = jobs[rid]
    (call,) = fulfil_calls(env, start)
    assert call["hash"] == job["fulfil_tx"] and call["hash"] != first and call["nonce"] == job["nonce"]
    mined = env.w3.eth.get_transaction(call["hash"])
    assert mined["maxPriorityFeePerGas"] >= int(first_tip * 1.2**2) - 2
    assert [h["detail"] for h in job["history"] if "fee bump" in h["detail"]]
    assert metric(text, 'zkrevox_node_transactions_sent_total{kind="bump"}') >= 2
    assert fulfilled_events(env, start) == {rid: 1}


def test_droppedFulfilment_isBroadcastAgainUnchanged(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with node_thread(config(env, db, bump_after=600, metrics_port=0), env.provider) as node:
        rid, job = _submitted(env, db, "swap 2 bnb for cake")
        (sent,) = job["tx_hashes"]
        env.rpc_call("anvil_dropTransaction", [sent])
        wait_for(lambda: _sent(node, "rebroadcast") >= 1, 30, "a re-broadcast")
        env.rpc_call("evm_mine", [])
        env.rpc_call("evm_setAutomine", [True])
        jobs = wait_jobs(db, [rid], {"confirmed"}, timeout=30)
    assert jobs[rid]["tx_hashes"] == [sent] and jobs[rid]["fulfil_tx"] == sent
    assert [c["hash"] for c in fulfil_calls(env, start)] == [sent]


def test_nonceTakenByAnotherTransaction_requestIsSentAgainWithANewNonce(env: NodeEnv, tmp_path):
    """The provider's key is also used elsewhere: a transfer replaces the pending fulfilment (same
    nonce, higher fees) and is mined. The node sees the nonce used, finds the request still
    pending, and fulfils it with the next nonce."""
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with node_thread(config(env, db, bump_after=600), env.provider):
        rid, job = _submitted(env, db, "swap 2 bnb for cake")
        pending = env.w3.eth.get_transaction(job["tx_hashes"][0])
        transfer = env.provider.sign_transaction({
            "to": env.other.address, "value": 1, "gas": 21_000, "nonce": job["nonce"], "chainId": 31337,
            "maxFeePerGas": pending["maxFeePerGas"] * 2, "maxPriorityFeePerGas": pending["maxPriorityFeePerGas"] * 2,
        })
        env.w3.eth.send_raw_transaction(transfer.raw_transaction)
        env.rpc_call("evm_mine", [])
        env.rpc_call("evm_setAutomine", [True])
        jobs = wait_jobs(db, [rid], {"confirmed"}, timeout=60)
    job = jobs[rid]
    assert job["nonce"] == pending["nonce"] + 1
    assert job["attempts"] == 1
    assert any("used by another transaction" in h["detail"] for h in job["history"])
    assert [h["to"] for h in job["history"]][-3:] == ["proved", "submitted", "confirmed"]
    (call,) = fulfil_calls(env, start)
    assert call["hash"] == job["fulfil_tx"] and call["nonce"] == pending["nonce"] + 1
    assert fulfilled_events(env, start) == {rid: 1}


def test_concurrentFulfilments_getDistinctConsecutiveNonces(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with node_thread(config(env, db, workers=2, bump_after=600), env.provider):
        ids = env.request_held("swap 2 bnb for cake", "price of eth", "buy some pepe", "sell my link")
        jobs = wait_jobs(db, ids, {"submitted"}, timeout=90)  # four fulfilments pending at once
        _in_pool(env, [h for j in jobs.values() for h in j["tx_hashes"]])
        env.rpc_call("evm_mine", [])
        env.rpc_call("evm_setAutomine", [True])
        jobs = wait_jobs(db, ids, {"confirmed"}, timeout=60)
    nonces = sorted(j["nonce"] for j in jobs.values())
    assert nonces == list(range(nonces[0], nonces[0] + 4))
    calls = fulfil_calls(env, start)
    assert sorted(c["request_id"] for c in calls) == sorted(ids) and all(c["status"] == 1 for c in calls)
