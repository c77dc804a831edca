"""The node and optimistic requests, on a real anvil with the real contracts: answered at once by
prediction (no proof) within the gas target, finalized after the challenge window (the provider is
paid), proven requests untouched; an answer recorded then lost is posted once after a restart."""

from __future__ import annotations

import pytest
from nodeenv import (
    STAKE,
    NodeEnv,
    config,
    dprompt_calls,
    expected,
    in_pool,
    node_thread,
    wait_for,
    wait_states,
)

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPT = "swap 2 bnb for cake"
PROVEN = "sell half my dogecoin for tether"
ANSWER_GAS_TARGET = 80_000


def request_optimistic_held(env: NodeEnv, prompt: str) -> int:
    """Automining off, then the optimistic request mined in a block of its own by hand: what the node
    sends afterwards stays in the pool until the test mines it."""
    env.rpc_call("evm_setAutomine", [False])
    client = env.client(env.user)
    fee = client.model(env.model_id).optimistic_fee
    tx = client.contract.functions.requestOptimistic(env.model_id, prompt.encode(), 0).transact(
        {"from": env.user.address, "value": fee})
    env.rpc_call("evm_mine", [])
    event = client.contract.events.DPromptRequested()
    return int(event.process_receipt(env.w3.eth.get_transaction_receipt(tx))[0].args.requestId)


def test_node_answersOptimisticAtOnce_thenFinalizesAfterWindow_provenUntouched(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    window = env.client().model(env.model_id).challenge_window
    user = env.client(env.user)
    with node_thread(config(env, db), env.provider):
        earned0 = env.client().provider(env.model_id, env.provider.address).earned
        rid, request_receipt = user.request(env.model_id, PROMPT, optimistic=True)
        proven = env.request(PROVEN)
        job = wait_states(db, [rid], {"answered"}, 30)[rid]
        receipt = env.w3.eth.get_transaction_receipt(job["fulfil_tx"])
        blocks = receipt["blockNumber"] - request_receipt["blockNumber"]
        assert receipt["status"] == 1 and receipt["gasUsed"] <= ANSWER_GAS_TARGET, receipt["gasUsed"]
        assert blocks <= 2, f"answer mined {blocks} blocks after the request"
        info = env.client().request_info(rid)
        assert (info.status, info.optimistic, info.answer) == ("answered", True, expected(PROMPT))
        assert info.window_end == job["window_end"] and job["optimistic"] is True and job["proof_path"] is None
        assert wait_states(db, [proven], {"confirmed"}, 120)[proven]["proof_path"]  # proved and fulfilled as today
        assert env.client().request_info(rid).status == "answered"  # nothing finalized inside the window
        env.advance(window + 1)
        jobs = wait_states(db, [rid], {"confirmed"}, 30)
    info = env.client().request_info(rid)
    assert (info.status, info.answer) == ("fulfilled", expected(PROMPT))
    assert env.client().provider(env.model_id, env.provider.address).earned > earned0  # paid
    [fin] = dprompt_calls(env, start, "finalize")
    assert fin["status"] == 1 and fin["hash"] == jobs[rid]["finalize_tx"] and list(fin["args"]["requestIds"]) == [rid]
    assert [(c["fn"], int(c["args"]["requestId"])) for c in dprompt_calls(env, start, "answer", "fulfil")] == [
        ("answer", rid), ("fulfil", proven)]
    states = [h["to"] for h in jobs[rid]["history"]]
    assert states == ["seen", "proved", "submitted", "answered", "finalizing", "confirmed"]


def test_answerRecordedThenLost_restartPostsTheSameTransactionOnce(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    cfg = config(env, db, drain_timeout=0.5, stake_wei=STAKE)
    with node_thread(cfg, env.provider):
        start = env.w3.eth.block_number
        rid = request_optimistic_held(env, PROMPT)
        job = wait_states(db, [rid], {"submitted"}, 30)[rid]
        recorded = job["tx_hashes"][-1]
        wait_for(lambda: in_pool(env, recorded), 10, "the answer in the pool")
    env.rpc_call("anvil_dropAllTransactions", [])  # the node stopped and its broadcast was lost
    assert env.client().request_info(rid).status == "pending"
    with node_thread(cfg, env.provider):
        wait_for(lambda: in_pool(env, recorded), 30, "the recorded answer broadcast again")
        env.rpc_call("evm_setAutomine", [True])
        env.rpc_call("evm_mine", [])
        wait_states(db, [rid], {"answered"}, 30)
    answers = dprompt_calls(env, start, "answer")
    assert [(a["hash"], a["status"]) for a in answers] == [(recorded, 1)]  # one answer, the recorded bytes
    assert env.client().request_info(rid).answer == expected(PROMPT)


def test_stakeCoversOneBondOnly_secondRequestProvedInstead(bond_env: NodeEnv, tmp_path):
    env, db = bond_env, tmp_path / "node.db"
    min_stake = env.client().model(env.model_id).min_stake
    start = env.w3.eth.block_number
    with node_thread(config(env, db, stake_wei=min_stake), env.provider):
        user = env.client(env.user)
        first, _ = user.request(env.model_id, PROMPT, optimistic=True)
        wait_states(db, [first], {"answered"}, 30)
        second, _ = user.request(env.model_id, PROVEN, optimistic=True)
        jobs = wait_states(db, [second], {"confirmed", "failed"}, 120)
    assert jobs[second]["state"] == "confirmed", jobs[second]
    assert "DPromptStakeBelowBonds" in " ".join(h["detail"] for h in jobs[second]["history"])
    assert env.client().request_info(second).status == "fulfilled"  # by a proof: final at once
    assert env.client().request_info(second).answer == expected(PROVEN)
    calls = [(c["fn"], int(c["args"]["requestId"])) for c in dprompt_calls(env, start, "answer", "fulfil")]
    assert calls == [("answer", first), ("fulfil", second)]  # the refused answer was never sent


def test_finalizeRecordedThenLost_restartSendsTheSameTransactionOnce(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    cfg = config(env, db, drain_timeout=0.5)
    window = env.client().model(env.model_id).challenge_window
    start = env.w3.eth.block_number
    with node_thread(cfg, env.provider):
        rid, _ = env.client(env.user).request(env.model_id, PROMPT, optimistic=True)
        wait_states(db, [rid], {"answered"}, 30)
        env.rpc_call("evm_setAutomine", [False])
        env.advance(window + 1)  # a block past the window, mined by hand
        job = wait_states(db, [rid], {"finalizing"}, 30)[rid]
        recorded = job["tx_hashes"][-1]
        wait_for(lambda: in_pool(env, recorded), 10, "the finalize in the pool")
    env.rpc_call("anvil_dropAllTransactions", [])  # stopped, its broadcast lost
    with node_thread(cfg, env.provider):
        wait_for(lambda: in_pool(env, recorded), 30, "the recorded finalize broadcast again")
        env.rpc_call("evm_setAutomine", [True])
        env.rpc_call("evm_mine", [])
        jobs = wait_states(db, [rid], {"confirmed"}, 30)
    assert [(f["hash"], f["status"]) for f in dprompt_calls(env, start, "finalize")] == [(recorded, 1)]
    assert jobs[rid]["finalize_tx"] == recorded and env.client().request_info(rid).status == "fulfilled"
