"""``zkrevox node`` refuses a set-up it cannot serve (exit 1, the message names the fix);
``zkrevox node-jobs`` prints what a job store holds."""

from __future__ import annotations

import dataclasses
import json
import os
import subprocess

import pytest
from nodeenv import STAKE, NodeEnv, config, node_command, node_thread, wait_states

from zkrevox.chain.deploy import model_params, write_deployment
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.vocab_table import build_table

pytestmark = [pytest.mark.chain]


def _run_node(env: NodeEnv, deployments, db, *args: str) -> subprocess.CompletedProcess:
    variables = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(deployments), "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[1]}
    return subprocess.run(node_command("--rpc", env.rpc, "--db", str(db), *args), env=variables,
                          capture_output=True, text=True, timeout=120)


def test_node_withoutDeploymentRecord_exits1NamingTheFix(env: NodeEnv, tmp_path):
    out = _run_node(env, tmp_path / "empty", tmp_path / "node.db")
    assert out.returncode == 1, out.stderr
    assert "no deployment record" in out.stderr and "zkrevox deploy" in out.stderr


def test_node_registeredVkIsNotTheLocalCircuits_exits1(env: NodeEnv, tmp_path):
    params = dataclasses.replace(model_params("ticker"), vk_sha256="00" * 32)
    verifier = env.dep.models["ticker"].verifier.address
    model_id, _ = env.client(env.owner).publish_model(params.config_for(verifier), build_table(params.spec).data)
    dep = env.dep.__class__.from_json(env.dep.to_json())
    dep.models["ticker"].model_id = model_id
    write_deployment(dep, tmp_path / "deployments")
    out = _run_node(env, tmp_path / "deployments", tmp_path / "node.db")
    assert out.returncode == 1, out.stderr
    assert "registered with vk sha256 000000000000" in out.stderr and "would be rejected" in out.stderr
    # names the commands that work on a live deployment (`zkrevox deploy ticker` alone refuses there)
    assert "`zkrevox deploy ticker --new`" in out.stderr and "`zkrevox publish NAME`" in out.stderr
    assert "`zkrevox deploy ticker`" not in out.stderr


def test_node_badOptions_exit1(env: NodeEnv, tmp_path):
    out = _run_node(env, env.deployments_dir, tmp_path / "node.db", "--workers", "0")
    assert out.returncode == 1 and "--workers must be at least 1" in out.stderr
    out = _run_node(env, env.deployments_dir, tmp_path / "node.db", "--log-format", "xml")
    assert out.returncode == 1 and "text or json" in out.stderr


@pytest.mark.slow
def test_nodeJobs_listsTheStore(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    env.client(env.provider).stake(env.model_id, STAKE)
    with node_thread(config(env, db), env.provider):
        rid = env.request("swap 2 bnb for cake")
        wait_states(db, [rid], {"confirmed"}, timeout=60)
    cmd = node_command()[:-1]
    table = subprocess.run([*cmd, "node-jobs", "--db", str(db)], capture_output=True, text=True, timeout=60)
    assert table.returncode == 0, table.stderr
    assert "confirmed" in table.stdout and str(rid) in table.stdout
    rows = subprocess.run([*cmd, "node-jobs", "--db", str(db), "--json"], capture_output=True, text=True, timeout=60)
    (row,) = [json.loads(line) for line in rows.stdout.splitlines()]
    assert row["request_id"] == rid and row["state"] == "confirmed" and row["fulfil_tx"].startswith("0x")
    missing = subprocess.run([*cmd, "node-jobs", "--db", str(tmp_path / "nope.db")], capture_output=True, text=True,
                             timeout=60)
    assert missing.returncode == 1 and "no job store" in missing.stderr
