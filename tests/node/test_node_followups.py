"""Follow-ups of the node: what a request out of time really became on-chain, and a deployment
record that names another DPrompt while the node runs. Real anvil, real contracts, real proofs."""

from __future__ import annotations

import logging
import shutil
import time
from dataclasses import replace

import pytest
from nodeenv import STAKE, NodeEnv, config, fulfil_calls, node_thread, wait_for, wait_states

from zkrevox.chain.deploy import deploy_dprompt, load_deployment, write_deployment
from zkrevox.chain.proofs import ChainProof

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def test_outOfTimeRequests_areRecordedAsWhatTheyBecameOnChain(env: NodeEnv, tmp_path, prover):
    """While the node was down: one request was fulfilled with `zkrevox fulfil`, one reclaimed by its
    requester, one left pending; all are past their deadline when the node starts."""
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    window = env.client().model(env.model_id).response_window
    env.client(env.provider).stake(env.model_id, STAKE)
    fulfilled, reclaimed, pending = (env.request(p) for p in ("swap 2 bnb for cake", "buy some pepe", "sell eth"))
    proof = ChainProof.from_proof(prover.prove("swap 2 bnb for cake", out_dir=tmp_path / "proof"))
    env.client(env.provider).fulfil(fulfilled, proof.proof_bytes,
                                    proof.outputs(len(env.dep.models["ticker"].labels)))
    env.advance(window + 1)
    env.client(env.user).reclaim(reclaimed)
    with node_thread(config(env, db), env.provider):
        jobs = wait_states(db, [fulfilled, reclaimed, pending], {"confirmed", "failed", "skipped"}, timeout=60)
    assert jobs[fulfilled]["state"] == "skipped" and jobs[fulfilled]["reason"] == "already-fulfilled"
    assert jobs[fulfilled]["tx_hashes"] == []
    assert jobs[reclaimed]["state"] == "skipped" and jobs[reclaimed]["reason"] == "reclaimed"
    assert "cannot be met" not in (jobs[reclaimed]["last_error"] or "")
    assert jobs[pending]["state"] == "skipped" and jobs[pending]["reason"] == "deadline"
    assert "cannot be met" in jobs[pending]["last_error"]
    for rid, end in ((fulfilled, "skipped"), (reclaimed, "skipped"), (pending, "skipped")):
        assert [h["to"] for h in jobs[rid]["history"]] == ["seen", end]  # decided before anything was claimed
    assert [c["request_id"] for c in fulfil_calls(env, start)] == [fulfilled]  # the CLI's; the node sent none


def test_newDeploymentRecord_isWarnedOnceAndTheNodeKeepsItsDPrompt(env: NodeEnv, tmp_path, caplog):
    """`zkrevox deploy --new` while the node runs: a new DPrompt on the same chain, its record written
    over (the old one moved aside). The node warns once, naming both, and keeps following its own."""
    deployments = tmp_path / "deployments"
    deployments.mkdir()
    record = env.dep.path
    assert record is not None
    shutil.copy(record, deployments / record.name)  # the session's record stays untouched
    db = tmp_path / "node.db"
    old = env.dep.dprompt.address
    caplog.set_level(logging.INFO, logger="zkrevox.node")
    with node_thread(config(env, db, deployments_dir=deployments, chain_check_every=0.2), env.provider) as node:
        dep = load_deployment(env.dep.chain_id, deployments)
        new_dprompt, libraries = deploy_dprompt(env.w3, env.owner, env.owner.address, dep.unbonding_delay)
        write_deployment(replace(dep, dprompt=new_dprompt, libraries=libraries, models={},
                                 created_at=dep.created_at + "-new"), deployments)

        def warnings() -> list[logging.LogRecord]:
            return [r for r in caplog.records
                    if getattr(r, "zkrevox_fields", {}).get("event") == "deployment-changed"]

        wait_for(warnings, 15, "the deployment-changed warning")
        time.sleep(1.0)  # several more chain checks: still one warning
        assert node.health()["dprompt"] == old and node.health()["status"] == "ok"
    found = warnings()
    assert len(found) == 1
    warning = found[0]
    assert warning.levelno == logging.WARNING
    message = warning.getMessage()
    assert old in message and new_dprompt.address in message and "Restart the node" in message
    assert warning.zkrevox_fields["dprompt"] == old and warning.zkrevox_fields["new_dprompt"] == new_dprompt.address
    assert len(list(deployments.glob("*.json"))) == 2  # the old record kept aside, as deploy --new does
