"""One node serves several models (``zkrevox node --model ticker --model intent``): one job store, one
cursor, each job knows its model, batching per model, and recovery after a crash for each model.

Real anvil, the real ticker and intent circuits and their verifiers on one DPrompt, real proofs."""

from __future__ import annotations

import signal
import time

import pytest
from nodeenv import (
    BATCH,
    NodeEnv,
    config,
    fulfil_txs,
    fulfilled_events,
    jobs_by_id,
    log_has,
    node_process,
    node_thread,
    wait_for,
    wait_states,
)
from typer.testing import CliRunner

from conftest import _deployed, _reverted
from zkrevox import Prover
from zkrevox.chain.deploy import model_params
from zkrevox.chain.publish import publish
from zkrevox.cli import app
from zkrevox.errors import DeploymentError, InputError
from zkrevox.node import NodeConfig, ProviderNode

pytestmark = [pytest.mark.chain, pytest.mark.slow]

TICKER_PROMPTS = ("swap 2 bnb for cake", "sell half my dogecoin for tether", "is it a good time to stake some matic",
                  "bridge 50 usdc to arbitrum")
INTENT_PROMPTS = ("swap 2 bnb for cake", "bridge 50 usdc to arbitrum")
SWAP, BRIDGE = 1 << 0, 1 << 2  # bits of models/intent/labels.json


@pytest.fixture(scope="module")
def two_models(prover, intent_prover, node_anvil, tmp_path_factory) -> tuple[NodeEnv, int]:
    """Ticker (with its batch-4 verifier) and intent published on one DPrompt; returns the env and the intent id."""
    Prover.load_or_build("ticker", batch=BATCH)
    directory = tmp_path_factory.mktemp("two-model-deployments")
    env = _deployed(node_anvil, directory, model_params("ticker"), batch_sizes=[BATCH])
    record = publish(env.w3, env.owner, env.dep, model_params("intent"), directory=directory)
    return env, record.model_id


@pytest.fixture()
def menv(two_models):
    env, intent_id = two_models
    for e in _reverted(env):
        yield e, intent_id


def _held(env: NodeEnv, requests: list[tuple[int, str]]) -> list[int]:
    """Mine every ``(model_id, prompt)`` request in one block."""
    env.rpc_call("evm_setAutomine", [False])
    client = env.client(env.user)
    hashes = [client.contract.functions.request(mid, p.encode()).transact(
        {"from": env.user.address, "value": client.model(mid).fee}) for mid, p in requests]
    env.rpc_call("evm_mine", [])
    env.rpc_call("evm_setAutomine", [True])
    event = client.contract.events.DPromptRequested()
    return [int(event.process_receipt(env.w3.eth.get_transaction_receipt(h))[0].args.requestId) for h in hashes]


def test_oneNode_servesTwoModels_batchingEachAlone(menv, tmp_path):
    env, intent_id = menv
    start = env.w3.eth.block_number
    db = tmp_path / "node.db"
    cfg = config(env, db, models=("ticker", "intent"), max_batch_wait=30.0)
    with node_thread(cfg, env.provider, up_timeout=120) as node:
        health = node.health()
        assert health["model"] == "ticker" and set(health["models"]) == {"ticker", "intent"}
        assert health["models"]["ticker"]["batch_sizes"] == [1, BATCH]
        assert health["models"]["intent"] == {"model_id": intent_id, "batch_sizes": [1], "proofs_in_flight": 0}
        ids = _held(env, [(env.model_id, p) for p in TICKER_PROMPTS] + [(intent_id, p) for p in INTENT_PROMPTS])
        jobs = wait_states(db, ids, {"confirmed"}, timeout=180)
    ticker_ids, intent_ids = ids[:4], ids[4:]
    assert {rid: jobs[rid]["model_id"] for rid in ids} == {**dict.fromkeys(ticker_ids, env.model_id),
                                                           **dict.fromkeys(intent_ids, intent_id)}
    txs = fulfil_txs(env, start)
    # the ticker's four share one batch proof; the intent model (no batch verifier) is proved alone:
    # a batch never mixes models
    assert sorted(sorted(t["request_ids"]) for t in txs) == sorted([ticker_ids, [intent_ids[0]], [intent_ids[1]]])
    assert fulfilled_events(env, start) == dict.fromkeys(ids, 1)
    answers = [env.client().answer(rid) for rid in intent_ids]
    assert answers == [SWAP, BRIDGE]
    labels = env.dep.models["ticker"].labels
    table = CliRunner().invoke(app, ["node-jobs", "--db", str(db)])  # each job shows its model
    assert table.exit_code == 0, table.output
    assert {int(r.split()[0]): int(r.split()[6]) for r in table.stdout.splitlines()[1:]} == {
        rid: jobs[rid]["model_id"] for rid in ids}
    assert [labels[i] for i in range(len(labels)) if env.client().answer(ticker_ids[0]) >> i & 1] == ["BNB", "CAKE"]


def test_sigkillWhileProvingBothModels_restartFulfilsEachOnce(menv, tmp_path):
    """The CLI with --model given twice; killed while both models' proofs run; the restarted node proves
    each again with its own model."""
    env, intent_id = menv
    start = env.w3.eth.block_number
    db, log = tmp_path / "node.db", tmp_path / "node.log"
    models = ("--model", "ticker", "--model", "intent", "--batch-sizes", "1")
    with node_process(env, db, 1, log, *models) as proc:
        wait_for(lambda: log_has(log, '"event": "up"') or proc.poll() is not None, 120, "node up")
        assert proc.poll() is None, log.read_text()
        ids = _held(env, [(env.model_id, TICKER_PROMPTS[0]), (intent_id, INTENT_PROMPTS[1])])
        wait_for(lambda: all(jobs_by_id(db).get(r, {}).get("state") == "proving" for r in ids), 60,
                 f"requests {ids} proving")
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    assert {r: env.client().request_info(r).status for r in ids} == dict.fromkeys(ids, "pending")
    time.sleep(0.5)
    with node_process(env, db, 1, log, *models) as proc:
        jobs = wait_states(db, ids, {"confirmed"}, timeout=120)
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=60) == 0
    for rid in ids:
        assert [h["to"] for h in jobs[rid]["history"]] == [
            "seen", "proving", "seen", "proving", "proved", "submitted", "confirmed"]
    assert fulfilled_events(env, start) == dict.fromkeys(ids, 1)
    assert [env.client().answer(r) for r in ids[1:]] == [BRIDGE]


def test_aModelTheDeploymentLacks_isRefusedNamingIt(env: NodeEnv, tmp_path):
    """The session's ticker-only deployment: serving intent too stops at start, naming the fix."""
    cfg = config(env, tmp_path / "node.db", models=("ticker", "intent"))
    with pytest.raises(DeploymentError, match=r"model 'intent' is not in the deployment record.*publish intent"):
        ProviderNode(cfg, env.provider).run()


def test_config_namesEachModelOnce(tmp_path):
    with pytest.raises(InputError, match="--model names each model once"):
        NodeConfig(rpc="http://127.0.0.1:1", db=tmp_path / "n.db", models=("ticker", "intent", "ticker"))
    cfg = NodeConfig(rpc="http://127.0.0.1:1", db=tmp_path / "n.db", models=("intent", "ticker"))
    assert (cfg.model, cfg.served) == ("intent", ("intent", "ticker"))
    assert NodeConfig(rpc="http://127.0.0.1:1", db=tmp_path / "n.db").served == ("ticker",)
