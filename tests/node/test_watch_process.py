"""The watcher as users run it: ``zkrevox watch`` killed with SIGKILL after recording its dispute and
restarted on the same ``--db`` disputes once; ``zkrevox node --watch`` (the node's loop, the
provider's key) overturns a wrong answer of another provider. Real anvil, contracts and proofs."""

from __future__ import annotations

import contextlib
import signal
import subprocess
from pathlib import Path

import pytest
from nodeenv import (
    NodeEnv,
    cli_process,
    config,
    dprompt_calls,
    expected,
    in_pool,
    log_has,
    node_thread,
    posted,
    wait_for,
    wait_states,
)
from test_watch import WRONG

from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.node.watch import watch_db

pytestmark = [pytest.mark.chain, pytest.mark.slow]

OTHER = 4  # dev account of NodeEnv.other


def watch_process(env: NodeEnv, db: Path, log_path: Path) -> contextlib.AbstractContextManager[subprocess.Popen]:
    """``zkrevox watch`` as a real process with ``env.other``'s key (JSON logs to ``log_path``)."""
    return cli_process(env, OTHER, log_path, "watch", "--db", str(db))


def test_watchSigkilledAfterRecordingDispute_restartDisputesOnce(staked: NodeEnv, tmp_path):
    env, db, log = staked, tmp_path / "watch.db", tmp_path / "watch.log"
    assert env.other.address == env.w3.eth.account.from_key(ANVIL_DEV_KEYS[OTHER]).address
    start = env.w3.eth.block_number
    rid = posted(env, WRONG, expected(WRONG) ^ 1)
    env.rpc_call("evm_setAutomine", [False])
    with watch_process(env, db, log) as proc:
        wait_for(lambda: log_has(log, '"event": "up"') or proc.poll() is not None, 90, "watcher up")
        assert proc.poll() is None, log.read_text()
        job = wait_states(db, [rid], {"submitted"}, 120)[rid]
        recorded = job["tx_hashes"][-1]
        wait_for(lambda: in_pool(env, recorded), 10, "the dispute in the pool")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    env.rpc_call("anvil_dropAllTransactions", [])  # killed, and its broadcast lost
    with watch_process(env, db, log) as proc:
        wait_for(lambda: in_pool(env, recorded) or proc.poll() is not None, 60, "the dispute broadcast again")
        assert proc.poll() is None, log.read_text()
        env.rpc_call("evm_setAutomine", [True])
        env.rpc_call("evm_mine", [])
        wait_states(db, [rid], {"confirmed"}, 30)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
    assert [(d["hash"], d["status"]) for d in dprompt_calls(env, start, "dispute")] == [(recorded, 1)]
    assert log_has(log, '"event": "up"') and env.client().request_info(rid).status == "overturned"


def test_nodeWithWatch_overturnsAnotherProvidersWrongAnswer(staked: NodeEnv, tmp_path):
    env, db = staked, tmp_path / "node.db"
    rid = posted(env, WRONG, expected(WRONG) ^ 1)  # by env.provider, before the node (provider2) stakes
    credits0 = env.client().credits(env.provider2.address)
    with node_thread(config(env, db, watch=True), env.provider2):
        jobs = wait_states(watch_db(db), [rid], {"confirmed", "failed", "skipped"}, 120)
    assert jobs[rid]["state"] == "confirmed", jobs[rid]
    info = env.client().request_info(rid)
    assert (info.status, info.answer) == ("overturned", expected(WRONG))
    [dispute] = dprompt_calls(env, 0, "dispute")
    assert dispute["from"] == env.provider2.address and dispute["status"] == 1
    assert env.client().credits(env.provider2.address) > credits0


@pytest.mark.parametrize(("args", "message"), [
    (("--model", "nosuchmodel"), "are not in the deployment record"),
    (("--margin", "-1"), "--margin must be 0 or more"),
])
def test_watchRefusesBadOptions_namingTheFix(env: NodeEnv, tmp_path, args: tuple[str, ...], message: str):
    log = tmp_path / "watch.log"
    with cli_process(env, OTHER, log, "watch", "--db", str(tmp_path / "watch.db"), *args) as proc:
        assert proc.wait(timeout=60) == 1
    assert message in log.read_text(), log.read_text()
