"""Following the chain: K confirmations before a request or a fulfilment counts, and a reorg that
re-mines a request id with another prompt while its fulfilment is in flight."""

from __future__ import annotations

import time

import pytest
from nodeenv import NodeEnv, config, fulfil_calls, fulfilled_events, job_state, node_thread, wait_states

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def test_confirmations_requestAndFulfilmentCountOnlyKBlocksDeep(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    with node_thread(config(env, db, confirmations=2), env.provider):
        rid = env.request("swap 2 bnb for cake")
        time.sleep(1.0)
        assert job_state(db, rid) is None  # mined, but not 2 blocks deep
        env.rpc_call("evm_mine", [])
        env.rpc_call("evm_mine", [])
        jobs = wait_states(db, [rid], {"submitted"}, timeout=60)
        tx_block = None
        for _ in range(100):
            receipt = env.w3.eth.get_transaction_receipt(jobs[rid]["tx_hashes"][-1]) if jobs[rid]["tx_hashes"] else None
            if receipt:
                tx_block = receipt["blockNumber"]
                break
            time.sleep(0.05)
        assert tx_block is not None
        time.sleep(1.0)
        assert job_state(db, rid) == "submitted"  # mined, not yet 2 blocks deep
        env.rpc_call("evm_mine", [])
        env.rpc_call("evm_mine", [])
        wait_states(db, [rid], {"confirmed"}, timeout=30)


def test_reorgRemintsTheRequestWithAnotherPrompt_nodeProvesTheNewOneAndFulfilsIt(env: NodeEnv, tmp_path):
    """Request k ("price of eth") is mined and the node's fulfilment waits in the mempool; a reorg
    drops that block and request k is mined again with another prompt. The fulfilment in flight
    reverts (its proof is for the old prompt); the node sees the reorg, proves the new prompt,
    and fulfils request k with it."""
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with node_thread(config(env, db, bump_after=600), env.provider):
        (rid,) = env.request_held("price of eth")
        wait_states(db, [rid], {"submitted"}, timeout=60)
        env.rpc_call("anvil_rollback", [1])  # the request's block is gone; the fulfilment stays pending
        env.rpc_call("evm_setAutomine", [True])  # the stale fulfilment is mined and reverts
        new_rid = env.request("swap 2 bnb for cake")  # request k again, with another prompt
        assert new_rid == rid
        jobs = wait_states(db, [rid], {"confirmed"}, timeout=90)
    job = jobs[rid]
    assert job["prompt"] == "swap 2 bnb for cake"
    details = " | ".join(h["detail"] for h in job["history"])
    # the fulfilment reverted when the request was either already re-mined, or not yet
    assert "re-mined with another prompt" in details or "not on-chain (reorged out?)" in details
    info = env.client().request_info(rid)
    labels = env.dep.models["ticker"].labels
    assert {labels[i] for i in range(len(labels)) if info.answer >> i & 1} == {"BNB", "CAKE"}
    assert fulfilled_events(env, start) == {rid: 1}
    assert [c["status"] for c in fulfil_calls(env, start)] == [0, 1]  # the stale one reverted, then the new one
