"""Issue #18, item 3: a model published under another name (``zkrevox publish ticker --as
ticker-v2``, as the README shows) is served by ``zkrevox node --model ticker-v2`` and watched by
the watcher, which disputes its wrong optimistic answers. Every command, the node and the watcher
find the local build through one rule (``zkrevox.chain.local_build``): the record's
``source_model``, else the local model whose build has the registered verifying key.

Real anvil, real contracts, the real ticker circuit and real proofs; the deployment record is a
private copy (the session's is left as it is).
"""

from __future__ import annotations

import pytest
from nodeenv import STAKE, NodeEnv, config, expected, node_thread, wait_states, watch_thread

from zkrevox.chain.deploy import Deployment, load_deployment, model_params, write_deployment
from zkrevox.chain.local_build import local_model, registered_prover
from zkrevox.chain.publish import publish
from zkrevox.errors import ArtifactError

pytestmark = [pytest.mark.chain, pytest.mark.slow]

ALIAS = "ticker-v2"
WRONG = "swap 2 bnb for cake"


def _published(env: NodeEnv, tmp_path) -> tuple[NodeEnv, int]:
    """``env`` with a private record in which the ticker is also published as ``ticker-v2``."""
    from dataclasses import replace

    dep = Deployment.from_json(env.dep.to_json())
    write_deployment(dep, tmp_path)
    record = publish(env.w3, env.other, dep, model_params("ticker"), as_name=ALIAS, directory=tmp_path)
    assert record.source_model == "ticker"
    return replace(env, deployments_dir=tmp_path, dep=dep), record.model_id


def test_localModel_findsTheBuildBySourceModelOrRegisteredVk(env: NodeEnv, tmp_path, prover):
    vk = model_params("ticker").vk_sha256
    assert local_model(ALIAS, vk_sha256=vk) == "ticker"  # no record: by the registered vk alone
    _published(env, tmp_path)
    record = load_deployment(env.w3.eth.chain_id, tmp_path, w3=env.w3).model(ALIAS)
    assert local_model(ALIAS, record) == "ticker"
    assert registered_prover(ALIAS, record).artifacts.vk_sha256() == vk
    with pytest.raises(ArtifactError, match="no local build has model 'ticker-v2'"):
        local_model(ALIAS, vk_sha256="00" * 32)


def test_node_servesThePublishedName(env: NodeEnv, tmp_path, prover):
    published, model_id = _published(env, tmp_path)
    db = tmp_path / "node.db"
    with node_thread(config(published, db, model=ALIAS), published.provider) as node:
        assert node.chain is not None and node.chain.model_id == model_id
        rid, _ = published.client(published.user).request(model_id, "buy some pepe")
        jobs = wait_states(db, [rid], {"confirmed", "failed", "skipped"}, timeout=120)
    assert jobs[rid]["state"] == "confirmed", jobs[rid]
    info = published.client().request_info(rid)
    assert info.status == "fulfilled" and info.answer == expected("buy some pepe")


def test_watcher_disputesAWrongAnswerOfThePublishedName(env: NodeEnv, tmp_path, prover):
    published, model_id = _published(env, tmp_path)
    published.client(published.provider).stake(model_id, STAKE)
    db = tmp_path / "watch.db"
    with watch_thread(config(published, db), published.other) as watcher:
        assert model_id in watcher.models  # watched, not skipped as other-model
        rid, _ = published.client(published.user).request(model_id, WRONG, optimistic=True)
        published.client(published.provider).post_answer(rid, expected(WRONG) ^ 1)
        jobs = wait_states(db, [rid], {"confirmed", "skipped", "failed"}, 300)  # a loaded machine: generous
    assert jobs[rid]["state"] == "confirmed", jobs[rid]
    info = published.client().request_info(rid)
    assert (info.status, info.answer) == ("overturned", expected(WRONG))
