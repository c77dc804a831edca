"""Real ``zkrevox node`` processes killed with SIGKILL or stopped with SIGTERM, restarted on the same
``--db``: every request is fulfilled exactly once (counted from the chain's blocks)."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path

import pytest
from nodeenv import (
    NodeEnv,
    fulfil_calls,
    fulfilled_events,
    jobs_by_id,
    log_has,
    node_process,
    wait_for,
    wait_states,
)

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPT = "sell half my dogecoin for tether"


def _log_state(log: Path, rid: int, state: str) -> bool:
    if not log.is_file():
        return False
    for line in log.read_text(errors="replace").splitlines():
        try:
            rec = json.loads(line)
        except json.JSONDecodeError:
            continue
        if rec.get("request_id") == rid and rec.get("state") == state:
            return True
    return False


def _children(pid: int) -> list[int]:
    path = Path(f"/proc/{pid}/task/{pid}/children")
    return [int(p) for p in path.read_text().split()] if path.is_file() else []


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    stat = Path(f"/proc/{pid}/stat")
    return stat.is_file() and stat.read_text().split()[2] != "Z"


def test_sigkillWhileProving_restartFulfilsExactlyOnce(env: NodeEnv, tmp_path):
    db, log = tmp_path / "node.db", tmp_path / "node.log"
    start = env.w3.eth.block_number
    with node_process(env, db, 1, log) as proc:
        wait_for(lambda: log_has(log, '"event": "up"') or proc.poll() is not None, 90, "node up")
        assert proc.poll() is None, log.read_text()
        rid = env.request(PROMPT)
        wait_for(lambda: _log_state(log, rid, "proving"), 30, f"request {rid} proving")
        workers = _children(proc.pid)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert jobs_by_id(db)[rid]["state"] == "proving"  # killed mid-proof, as recorded
    assert env.client().request_info(rid).status == "pending"
    wait_for(lambda: not any(_alive(p) for p in workers), 15, "orphaned prover workers to exit")

    with node_process(env, db, 1, log) as proc:
        jobs = wait_states(db, [rid], {"confirmed"}, timeout=90)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    assert [h["to"] for h in jobs[rid]["history"]] == [
        "seen", "proving", "seen", "proving", "proved", "submitted", "confirmed"]
    assert "resumed after a restart" in jobs[rid]["history"][2]["detail"]
    assert fulfilled_events(env, start) == {rid: 1}
    assert [c["request_id"] for c in fulfil_calls(env, start)] == [rid]  # one fulfil transaction, ever


@pytest.mark.parametrize("dropped", [False, True], ids=["mined-while-down", "dropped-while-down"])
def test_sigkillAfterSubmitting_restartTracksTheSameTransaction(env: NodeEnv, tmp_path, dropped: bool):
    """Killed with its fulfilment in the mempool: on restart the node finds it mined, or (dropped
    meanwhile) broadcasts the very same signed transaction again; it never signs a second one."""
    db, log = tmp_path / "node.db", tmp_path / "node.log"
    start = env.w3.eth.block_number
    with node_process(env, db, 1, log) as proc:
        wait_for(lambda: log_has(log, '"event": "up"') or proc.poll() is not None, 90, "node up")
        (rid,) = env.request_held(PROMPT)
        wait_for(lambda: _log_state(log, rid, "submitted"), 60, f"request {rid} submitted")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    (sent,) = jobs_by_id(db)[rid]["tx_hashes"]
    if dropped:
        env.rpc_call("anvil_dropTransaction", [sent])
    else:
        env.rpc_call("evm_mine", [])
    env.rpc_call("evm_setAutomine", [True])

    with node_process(env, db, 1, log) as proc:
        jobs = wait_states(db, [rid], {"confirmed"}, timeout=90)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    assert jobs[rid]["tx_hashes"] == [sent] and jobs[rid]["fulfil_tx"] == sent
    assert [c["hash"] for c in fulfil_calls(env, start)] == [sent]
    assert fulfilled_events(env, start) == {rid: 1}


def test_sigtermWhileProving_finishesInFlightWorkAndExitsCleanly(env: NodeEnv, tmp_path):
    db, log = tmp_path / "node.db", tmp_path / "node.log"
    start = env.w3.eth.block_number
    with node_process(env, db, 1, log) as proc:
        wait_for(lambda: log_has(log, '"event": "up"') or proc.poll() is not None, 90, "node up")
        rid = env.request(PROMPT)
        wait_for(lambda: _log_state(log, rid, "proving"), 30, f"request {rid} proving")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    assert log_has(log, '"event": "draining"') and log_has(log, '"event": "stopped"')
    job = jobs_by_id(db)[rid]
    assert job["state"] == "confirmed"  # finished, not abandoned
    assert fulfilled_events(env, start) == {rid: 1}


def test_secondSigterm_checkpointsInFlightProofAndExitsAtOnce(env: NodeEnv, tmp_path):
    db, log = tmp_path / "node.db", tmp_path / "node.log"
    start = env.w3.eth.block_number
    with node_process(env, db, 1, log) as proc:
        wait_for(lambda: log_has(log, '"event": "up"') or proc.poll() is not None, 90, "node up")
        rid = env.request(PROMPT)
        wait_for(lambda: _log_state(log, rid, "proving"), 30, f"request {rid} proving")
        proc.send_signal(signal.SIGTERM)
        wait_for(lambda: log_has(log, '"event": "draining"'), 10, "draining")
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    job = jobs_by_id(db)[rid]
    assert job["state"] == "seen" and job["history"][-1]["detail"] == "checkpointed at shutdown"
    with node_process(env, db, 1, log) as proc:
        wait_states(db, [rid], {"confirmed"}, timeout=90)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    assert fulfilled_events(env, start) == {rid: 1}
