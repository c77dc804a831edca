"""Real ``zkrevox node`` processes answering a batch, killed with SIGKILL at each stage and
restarted on the same ``--db``: no request is lost and none is answered twice (counted from the
chain's blocks and events)."""

from __future__ import annotations

import signal

import pytest
from nodeenv import BATCH, NodeEnv, fulfil_txs, fulfilled_events, jobs_by_id, log_has, node_process, wait_for
from nodeenv import wait_states as wait_jobs
from test_crash import _log_state

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPTS = ["swap 2 bnb for cake", "price of eth", "buy some pepe", "sell my link"]
ARGS = ("--max-batch-wait", "30")


def _up(log, proc) -> None:
    wait_for(lambda: log_has(log, '"event": "up"') or proc.poll() is not None, 90, "node up")
    assert proc.poll() is None, log.read_text()


def _restart_until_confirmed(env: NodeEnv, db, log, ids) -> dict:
    with node_process(env, db, 1, log, *ARGS) as proc:
        jobs = wait_jobs(db, ids, {"confirmed"}, timeout=120)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    return jobs


def test_sigkillWhileProvingABatch_restartFulfilsEachOnce(benv: NodeEnv, tmp_path):
    db, log = tmp_path / "node.db", tmp_path / "node.log"
    start = benv.w3.eth.block_number
    with node_process(benv, db, 1, log, *ARGS) as proc:
        _up(log, proc)
        ids = [benv.request(p) for p in PROMPTS]
        wait_for(lambda: all(_log_state(log, i, "proving") for i in ids[:1]), 60, "the batch proving")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert {jobs_by_id(db)[i]["state"] for i in ids} == {"proving"}
    jobs = _restart_until_confirmed(benv, db, log, ids)
    assert all("resumed after a restart" in " ".join(h["detail"] for h in jobs[i]["history"]) for i in ids)
    (tx,) = fulfil_txs(benv, start)
    assert tx["fn"] == "fulfilBatch" and tx["request_ids"] == ids
    assert fulfilled_events(benv, start) == {i: 1 for i in ids}


@pytest.mark.parametrize("dropped", [False, True], ids=["mined-while-down", "dropped-while-down"])
def test_sigkillAfterSubmittingABatch_restartTracksTheSameTransaction(benv: NodeEnv, tmp_path, dropped: bool):
    db, log = tmp_path / "node.db", tmp_path / "node.log"
    start = benv.w3.eth.block_number
    with node_process(benv, db, 1, log, *ARGS) as proc:
        _up(log, proc)
        ids = benv.request_held(*PROMPTS)
        wait_jobs(db, ids, {"submitted"}, timeout=60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    jobs = jobs_by_id(db)
    (sent,) = jobs[ids[0]]["tx_hashes"]
    assert all(jobs[i]["tx_hashes"] == [sent] and jobs[i]["batch"] == ids for i in ids)  # recorded before sent
    if dropped:
        benv.rpc_call("anvil_dropTransaction", [sent])
    else:
        benv.rpc_call("evm_mine", [])
    benv.rpc_call("evm_setAutomine", [True])
    jobs = _restart_until_confirmed(benv, db, log, ids)
    assert all(jobs[i]["fulfil_tx"] == sent for i in ids)
    assert [t["hash"] for t in fulfil_txs(benv, start)] == [sent]
    assert fulfilled_events(benv, start) == {i: 1 for i in ids}


def test_sigkillBetweenProvedAndSubmitted_restartSendsTheBatchOnce(benv: NodeEnv, tmp_path):
    """Killed once the batch proof is recorded (state proved) but with broadcasting held back: the
    node that restarts sends it; a second kill right after it is recorded changes nothing."""
    db, log = tmp_path / "node.db", tmp_path / "node.log"
    start = benv.w3.eth.block_number
    with node_process(benv, db, 1, log, *ARGS) as proc:
        _up(log, proc)
        ids = [benv.request(p) for p in PROMPTS]
        benv.rpc_call("evm_setAutomine", [False])  # the fulfilBatch stays in the mempool
        wait_jobs(db, ids, {"submitted"}, timeout=60)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    with node_process(benv, db, 1, log, *ARGS) as proc:
        _up(log, proc)
        proc.send_signal(signal.SIGKILL)  # killed again while tracking
        proc.wait(timeout=10)
    benv.rpc_call("evm_setAutomine", [True])
    benv.rpc_call("evm_mine", [])
    jobs = _restart_until_confirmed(benv, db, log, ids)
    (tx,) = fulfil_txs(benv, start)
    assert tx["request_ids"] == ids and all(jobs[i]["fulfil_tx"] == tx["hash"] for i in ids)
    assert fulfilled_events(benv, start) == {i: 1 for i in ids}
    assert len(ids) == BATCH
