"""A node that proves nothing itself (``--workers 0``) and remote provers on a PostgreSQL store:
real anvil, real ticker proofs, real PostgreSQL. Requests are counted from the chain's events:
each fulfilled exactly once, through a prover killed mid-proof and an active node killed with a
standby waiting."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from nodeenv import STAKE, NodeEnv, config, fulfilled_events, in_thread, log_has, node_thread, wait_for

from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.node.prover_service import ProverConfig, RemoteProver
from zkrevox.node.store_pg import PostgresJobStore

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPTS = ["swap 2 bnb for cake", "price of eth", "sell half my dogecoin for tether", "buy some pepe"]


def states(url: str, scope: str) -> dict[int, str]:
    store = PostgresJobStore(url, scope)
    try:
        return {j.request_id: j.state.value for j in store.jobs()}
    finally:
        store.close()


def wait_confirmed(url: str, scope: str, ids: list[int], timeout: float) -> None:
    wait_for(lambda: all(states(url, scope).get(i) == "confirmed" for i in ids), timeout,
             f"requests {ids} confirmed in the PostgreSQL store")


@contextlib.contextmanager
def prover_thread(url: str, tmp_path: Path, **kw) -> Iterator[RemoteProver]:
    service = RemoteProver(ProverConfig(store=url, proofs_dir=tmp_path / "prover-proofs", lease_seconds=3, **kw))
    with in_thread(service, service.ready.is_set, "prover", 90):
        yield service


# ---------------------------------------------------------------- processes and faults


def _cli(*args: str) -> list[str]:
    return [sys.executable, "-c", "from zkrevox.cli import main; main()", *args]


@contextlib.contextmanager
def process(cmd: list[str], log_path: Path, env_vars: dict[str, str] | None = None) -> Iterator[subprocess.Popen]:
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env_vars or {})}, start_new_session=True)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def node_cmd(env: NodeEnv, url: str, proofs: Path) -> tuple[list[str], dict[str, str]]:
    return (_cli("node", "--rpc", env.rpc, "--store", url, "--workers", "0", "--stake", "1", "--poll-interval", "0.1",
                 "--rpc-timeout", "2", "--log-format", "json", "--db", str(proofs)),
            {"ZKREVOX_DEPLOYMENTS": str(env.deployments_dir), "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[1]})


def prover_cmd(url: str, name: str, proofs: Path) -> list[str]:
    return _cli("prover", "--store", url, "--name", name, "--lease", "3", "--proofs-dir", str(proofs),
                "--log-format", "json")


def claimed_by(url: str, name: str) -> bool:
    with psycopg.connect(url) as c:
        return bool(c.execute("SELECT 1 FROM proof_jobs WHERE state = 'claimed' AND prover = %s", (name,)).fetchone())


def test_faults_proverKilledMidProof_activeNodeKilled_everyRequestFulfilledOnce(env: NodeEnv, pg_url, tmp_path):
    """Two provers and two nodes (same key, same store) as real processes. SIGKILL the prover that holds
    a job: its lease expires, the job is proved by the other. SIGKILL the active node: the standby
    takes over within a few seconds and finishes the burst. Counted from DPromptFulfilled events."""
    start = env.w3.eth.block_number
    env.client(env.provider).stake(env.model_id, STAKE)
    cmd, variables = node_cmd(env, pg_url, tmp_path / "n.db")
    logs = {k: tmp_path / f"{k}.log" for k in ("a", "b", "p1", "p2")}
    with contextlib.ExitStack() as stack:
        p1 = stack.enter_context(process(prover_cmd(pg_url, "p1", tmp_path / "p1"), logs["p1"]))
        stack.enter_context(process(prover_cmd(pg_url, "p2", tmp_path / "p2"), logs["p2"]))
        node_a = stack.enter_context(process(cmd, logs["a"], variables))
        wait_for(lambda: log_has(logs["a"], '"event": "up"'), 90, "node a up")
        node_b = stack.enter_context(process(cmd, logs["b"], variables))
        wait_for(lambda: log_has(logs["b"], '"event": "standby"'), 90, "node b on standby")
        ids = [env.request(p) for p in PROMPTS]
        wait_for(lambda: claimed_by(pg_url, "p1"), 120, "prover p1 holding a job")
        os.killpg(p1.pid, signal.SIGKILL)  # mid-proof: its lease (3 s) runs out, p2 proves the job
        first = env.request("bridge my usdc to arbitrum")
        ids.append(first)
        wait_for(lambda: fulfilled_events(env, start).get(ids[0]), 120, "a first fulfilment")
        killed_at = time.monotonic()
        os.killpg(node_a.pid, signal.SIGKILL)
        wait_for(lambda: log_has(logs["b"], '"event": "takeover"'), 30, "node b taking over")
        takeover = time.monotonic() - killed_at
        more = [env.request(p) for p in ("what a lovely morning", "buy some pepe")]
        ids += more
        wait_for(lambda: all(fulfilled_events(env, start).get(i) for i in ids), 240, "every request fulfilled")
        time.sleep(2)  # anything sent twice would be mined by now
        assert node_b.poll() is None
    assert fulfilled_events(env, start) == dict.fromkeys(ids, 1)  # none lost, none twice
    assert takeover < 10, f"takeover took {takeover:.1f}s"
    with psycopg.connect(pg_url) as c:
        expired = c.execute("SELECT COUNT(*) FROM proof_jobs WHERE tries > 1").fetchone()[0]
    assert expired >= 1  # the killed prover's job was claimed again


def test_nodeWithoutWorkers_admitsNothingUntilAProverLives_thenEachRequestFulfilledOnce(env: NodeEnv, pg_url,
                                                                                       tmp_path):
    """``--workers 0``: the node proves nothing itself. Back-pressure: with no prover alive it enqueues no
    proof job (its requests wait in ``seen``, skipped by admission if their deadline comes first); a
    prover starting drains them, each fulfilled once (chain events). /metrics: the node's queue depth,
    age and prover slots; the prover's claimed, proved and lease-expiry counters."""
    import urllib.request

    from nodeenv import metric, metrics_text

    start = env.w3.eth.block_number
    cfg = config(env, tmp_path / "node.db", store=pg_url, workers=0, metrics_port=0)
    with node_thread(cfg, env.provider) as node:
        ids = [env.request(p) for p in PROMPTS]
        scope = node.store.scope
        wait_for(lambda: len(states(pg_url, scope)) == len(ids), 30, "every request seen")
        time.sleep(2.0)  # many ticks with no prover: nothing taken on
        with psycopg.connect(pg_url) as c:
            assert c.execute("SELECT COUNT(*) FROM proof_jobs").fetchone()[0] == 0
        assert set(states(pg_url, scope).values()) == {"seen"}
        assert metric(metrics_text(node), "zkrevox_node_prover_slots") == 0
        with prover_thread(pg_url, tmp_path, metrics_port=0) as prover:
            wait_for(lambda: metric(metrics_text(node), "zkrevox_node_prover_slots") == 1, 30, "slots seen")
            wait_confirmed(pg_url, scope, ids, timeout=180)
            with urllib.request.urlopen(prover.server.url + "/metrics", timeout=5) as resp:
                text = resp.read().decode()
            assert metric(text, "zkrevox_prover_jobs_claimed_total") == len(ids)
            assert metric(text, "zkrevox_prover_jobs_proved_total") == len(ids)
            assert metric(text, "zkrevox_prover_lease_expiries_total") == 0
        health = node.health()
        assert health["role"] == "active" and health["store"].startswith("postgresql://")
        text = metrics_text(node)
        assert metric(text, "zkrevox_node_proof_jobs") == 0  # drained
        assert metric(text, "zkrevox_node_proof_queue_oldest_seconds") == 0
    assert fulfilled_events(env, start) == dict.fromkeys(ids, 1)
    with psycopg.connect(pg_url) as c:
        rows = c.execute("SELECT state, COUNT(*) FROM proof_jobs GROUP BY state").fetchall()
    assert dict(rows) == {"collected": len(ids)}  # every proof job collected, none left behind
