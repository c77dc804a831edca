"""What a newcomer meets running a node (issue 14): latencies on one clock after the chain's clock
moved, a ``node-jobs`` table whose counts mean what they say, ``--network`` checked against the
RPC's chain id, messages naming commands that work, and provers found by the registered vk."""

from __future__ import annotations

import logging
import os
import re
import shutil
import subprocess

import pytest
from nodeenv import STAKE, NodeEnv, config, node_command, node_thread, wait_states
from test_store import seen
from typer.testing import CliRunner

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.cli import app
from zkrevox.errors import ArtifactError, InputError
from zkrevox.node.jobs import Job, State
from zkrevox.node.store import SqliteJobStore, read_jobs

# ---------------------------------------------------------------- 1. latency on one clock


def test_e2eSeconds_chainClockAhead_isWallClockSeenToConfirmedNeverNegative():
    # the request's block says it was mined an hour after the node saw it (chain time moved)
    job = Job(1, State.CONFIRMED, 1, "0xu", b"p", 0, 1, 1, "0xb", "0xt", requested_at=10_000 + 3600,
              seen_at=10_000.0, confirmed_at=10_012.5)
    assert job.e2e_seconds == 12.5
    assert Job(1, State.CONFIRMED, 1, "0xu", b"p", 0, 1, 1, "0xb", "0xt", 0, seen_at=5.0,
               confirmed_at=4.0).e2e_seconds == 0.0  # a clock step back never prints a negative duration


@pytest.mark.chain
@pytest.mark.slow
def test_node_afterChainAdvance_logsNonNegativeLatencyNamedSeenToConfirmed(env: NodeEnv, tmp_path, caplog):
    db = tmp_path / "node.db"
    env.client(env.provider).stake(env.model_id, STAKE)
    env.advance(4356)  # `zkrevox chain advance 4356`: chain time an hour and more ahead of the wall clock
    with caplog.at_level(logging.INFO, logger="zkrevox.node"), node_thread(config(env, db), env.provider):
        rid = env.request("swap 2 bnb for cake")
        jobs = wait_states(db, [rid], {"confirmed"}, timeout=90)
    assert 0 <= jobs[rid]["e2e_seconds"] < 90
    confirmed = [r.getMessage() for r in caplog.records if "→ confirmed" in r.getMessage()]
    assert confirmed and re.search(r", \d+\.\ds after the node saw the request\)$", confirmed[0]), confirmed


# ---------------------------------------------------------------- 2, 3. node-jobs


def test_nodeJobs_countsProofsAndSendsMade_andFailuresApart(tmp_path):
    db = tmp_path / "jobs.db"
    store = SqliteJobStore(db, "31337:0xgen:0xdprompt:0xme")
    store.insert(seen(1))
    store.transition(1, State.PROVING, expect=State.SEEN)
    store.transition(1, State.PROVED, proof_path="/p/1", prove_seconds=1.5)
    store.transition(1, State.SUBMITTED, nonce=4, tx_hashes=["0xaa"], raw_tx="02f8")
    store.transition(1, State.SUBMITTED, tx_hashes=["0xaa", "0xbb"], raw_tx="02f9")  # a fee bump
    store.transition(1, State.CONFIRMED, fulfil_tx="0xbb")
    store.insert(seen(2))
    store.transition(2, State.PROVING, expect=State.SEEN)
    store.transition(2, State.SEEN, expect=State.PROVING, attempts=1, last_error="worker died")
    store.transition(2, State.PROVING, expect=State.SEEN)
    store.close()
    rows = {r["request_id"]: r for r in read_jobs(db)}
    assert (rows[1]["prove_attempts"], rows[1]["send_attempts"], rows[1]["failures"]) == (1, 2, 0)
    assert (rows[2]["prove_attempts"], rows[2]["send_attempts"], rows[2]["failures"]) == (2, 0, 1)
    out = CliRunner().invoke(app, ["node-jobs", "--db", str(db)])
    assert out.exit_code == 0, out.output
    header, first, second = out.stdout.splitlines()
    assert header.split()[:5] == ["request", "state", "proofs", "sends", "failed"]
    assert first.split()[:5] == ["1", "confirmed", "1", "2", "0"]
    assert second.split()[:5] == ["2", "proving", "2", "0", "1"]


def test_nodeJobs_dbHelpSaysItOnlyReads_missingDbExits1NamingThePath(tmp_path):
    runner = CliRunner()
    text = runner.invoke(app, ["node-jobs", "--help"], env={"COLUMNS": "200", "TERM": "dumb"}).output
    assert "created if missing" not in text and "must exist" in text
    missing = tmp_path / "nope.db"
    out = subprocess.run([*node_command()[:-1], "node-jobs", "--db", str(missing)], capture_output=True,
                         text=True, timeout=60)
    assert out.returncode == 1 and str(missing) in out.stderr and not missing.exists()


# ---------------------------------------------------------------- 4. --network


def _node(rpc: str, tmp_path, *args: str) -> subprocess.CompletedProcess:
    variables = {k: v for k, v in os.environ.items() if not k.startswith("ZKREVOX_RPC")}
    variables |= {"ZKREVOX_DEPLOYMENTS": str(tmp_path / "none"), "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[1]}
    return subprocess.run(node_command("--rpc", rpc, "--db", str(tmp_path / "node.db"), *args), env=variables,
                          capture_output=True, text=True, timeout=120)


@pytest.mark.chain
def test_node_defaultNetworkLocal_refusesANonLocalChain_namingBothChainIds(tmp_path):
    with Anvil(chain_id=97) as chain:
        out = _node(chain.url, tmp_path)
    assert out.returncode == 1, out.stderr
    assert "chain id 97" in out.stderr and "31337" in out.stderr and "--network bsc-testnet" in out.stderr


@pytest.mark.chain
def test_node_namedNetwork_mustMatchTheRpcsChain(env: NodeEnv, tmp_path):
    out = _node(env.rpc, tmp_path, "--network", "bsc-testnet")
    assert out.returncode == 1, out.stderr
    assert "chain id 97" in out.stderr and "chain id 31337" in out.stderr and "did not start" in out.stderr
    out = _node(env.rpc, tmp_path, "--network", "nowhere")
    assert out.returncode == 1 and "unknown network 'nowhere'" in out.stderr


# ---------------------------------------------------------------- 6. provers by registered vk


@pytest.fixture()
def kept_only_root(prover, tmp_path, monkeypatch):
    """An artifacts root whose ticker build is only kept under by-vk/<sha> (as a rebuild that changed
    the vk leaves it), the current build's place empty; the shared artifacts/ are only read."""
    sha = prover.manifest["files"]["vk"]["sha256"]
    root = tmp_path / "artifacts"
    kept = root / "ticker" / "by-vk" / sha
    shutil.copytree(prover.artifacts.path, kept, ignore=shutil.ignore_patterns("by-vk", "*.building"))
    monkeypatch.setenv("ZKREVOX_ARTIFACTS", str(root))
    return root, sha


def test_proverPool_withRegisteredVk_provesWithTheKeptBuild(kept_only_root):
    from zkrevox.pool import ProverPool

    root, sha = kept_only_root
    with pytest.raises(ArtifactError):
        ProverPool("ticker", root=root)  # the current build's place is empty
    with ProverPool("ticker", root=root, vks={1: sha}) as pool:
        made = pool.submit("swap 2 bnb for cake").result(timeout=120)
    assert made.vk_sha256 == sha


def test_fulfilProver_findsTheKeptBuildByVk_refusesAnUnknownVkBeforeProving(kept_only_root):
    from zkrevox.cli.chain import _registered_prover
    from zkrevox.node.bootstrap import _kept_build

    _root, sha = kept_only_root
    assert _registered_prover("ticker", 1, sha).manifest["files"]["vk"]["sha256"] == sha
    assert _kept_build("ticker", 1, sha) is None
    with pytest.raises(InputError, match="nothing was proven or sent"):
        _registered_prover("ticker", 1, "ab" * 32)
    assert "abababababab" in (_kept_build("ticker", 1, "ab" * 32) or "")
