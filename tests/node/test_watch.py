"""The watcher on a real anvil with real proofs: a wrong optimistic answer posted by a provider is
overturned before its window ends and the watcher's account gets its share of the bond; a right
one is left alone; a watcher stopped after recording its dispute (the broadcast lost) disputes
once after a restart; a dispute that lost the race to another disputer is recorded so, not retried."""

from __future__ import annotations

import time

import pytest
from nodeenv import (
    NodeEnv,
    config,
    dprompt_calls,
    expected,
    in_pool,
    jobs_by_id,
    posted,
    wait_for,
    wait_states,
    watch_thread,
)

from zkrevox import Prover
from zkrevox.chain.proofs import ChainProof

pytestmark = [pytest.mark.chain, pytest.mark.slow]

WRONG = "swap 2 bnb for cake"
RIGHT = "sell half my dogecoin for tether"


def test_watcher_overturnsWrongAnswerBeforeWindowEnd_earnsBond_leavesRightOneAlone(staked: NodeEnv, tmp_path):
    env, db = staked, tmp_path / "watch.db"
    start = env.w3.eth.block_number
    bond = env.client().model(env.model_id).answer_bond
    credits0 = env.client().credits(env.other.address)
    with watch_thread(config(env, db), env.other):
        bad = posted(env, WRONG, expected(WRONG) ^ 1)
        good = posted(env, RIGHT, expected(RIGHT))
        jobs = wait_states(db, [bad, good], {"confirmed", "skipped", "failed"}, 120)
    assert (jobs[bad]["state"], jobs[good]["state"], jobs[good]["reason"]) == ("confirmed", "skipped", "correct")
    info = env.client().request_info(bad)
    assert (info.status, info.answer) == ("overturned", expected(WRONG))
    assert env.client().request_info(good).status == "answered"  # left alone
    [dispute] = dprompt_calls(env, start, "dispute")
    assert (int(dispute["args"]["requestId"]), dispute["from"], dispute["status"]) == (bad, env.other.address, 1)
    assert dispute["hash"] == jobs[bad]["fulfil_tx"]
    assert env.w3.eth.get_block(dispute["block"])["timestamp"] < info.window_end  # inside the window
    assert env.client().credits(env.other.address) - credits0 == (bond + 1) // 2  # the disputer's half


def _recorded_then_lost(env: NodeEnv, db, rid: int) -> str:
    """Run a watcher until its dispute of ``rid`` is recorded and in the pool (automining off), stop it,
    and drop the pool (the broadcast lost); returns the recorded transaction's hash."""
    env.rpc_call("evm_setAutomine", [False])
    with watch_thread(config(env, db), env.other):
        job = wait_states(db, [rid], {"submitted"}, 120)[rid]
        recorded = job["tx_hashes"][-1]
        wait_for(lambda: in_pool(env, recorded), 10, "the dispute in the pool")
    env.rpc_call("anvil_dropAllTransactions", [])
    return recorded


def test_watcherStoppedAfterRecordingDispute_restartDisputesOnce(staked: NodeEnv, tmp_path):
    env, db = staked, tmp_path / "watch.db"
    start = env.w3.eth.block_number
    rid = posted(env, WRONG, expected(WRONG) ^ 1)
    recorded = _recorded_then_lost(env, db, rid)
    assert env.client().request_info(rid).status == "answered"
    with watch_thread(config(env, db), env.other):
        wait_for(lambda: in_pool(env, recorded), 30, "the recorded dispute broadcast again")
        env.rpc_call("evm_setAutomine", [True])
        env.rpc_call("evm_mine", [])
        wait_states(db, [rid], {"confirmed"}, 30)
        time.sleep(1.0)  # a few more ticks: nothing else is sent
    disputes = dprompt_calls(env, start, "dispute")
    assert [(d["hash"], d["status"]) for d in disputes] == [(recorded, 1)]
    assert env.client().request_info(rid).status == "overturned"


def test_disputeLostToAnotherDisputer_recordedLostRace_notRetried(staked: NodeEnv, tmp_path):
    env, db = staked, tmp_path / "watch.db"
    start = env.w3.eth.block_number
    rid = posted(env, WRONG, expected(WRONG) ^ 1)
    _recorded_then_lost(env, db, rid)
    env.rpc_call("evm_setAutomine", [True])
    proof = ChainProof.from_proof(Prover.load("ticker").prove(WRONG, out_dir=tmp_path / "rival"))
    n = env.client().model(env.model_id).num_outputs
    env.client(env.user).dispute(rid, proof.proof_bytes, proof.outputs(n))  # a rival disputer wins
    with watch_thread(config(env, db), env.other):
        job = wait_states(db, [rid], {"failed"}, 30)[rid]
        time.sleep(1.0)
    assert job["reason"] == "lost-race"
    # its recorded dispute was not sent again: the answer it disputed no longer stands (no gas spent)
    assert [d["from"] for d in dprompt_calls(env, start, "dispute")] == [env.user.address]
    assert jobs_by_id(db)[rid]["state"] == "failed"
