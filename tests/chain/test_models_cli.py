"""`zkrevox models`: every on-chain model of the deployment, with its publisher, economics, hashes
and status, named from the deployment record where it is recorded."""

from __future__ import annotations

import dataclasses

import pytest
from chainenv import FEE, MIN_STAKE, Env
from clirun import own_deployment, run

from zkrevox.chain.vocab_table import build_table

pytestmark = pytest.mark.chain

FIELDS = {"id", "name", "publisher", "fee_wei", "developer_share_bps", "vk_hash", "spec_hash", "status",
          "verifier", "min_stake_wei", "response_window_s", "developer_earnings_wei"}


def test_models_listsEveryModel_namedWhereRecorded(env: Env, tmp_path):
    own_deployment(env, tmp_path)
    params = dataclasses.replace(env.params, fee_wei=3 * FEE, developer_share_bps=2500, response_window_s=900)
    verifier = env.dep.models["ticker"].verifier.address
    other_id, _ = env.client(env.other).publish_model(params.config_for(verifier), build_table(params.spec).data)
    env.client(env.other).retire_model(other_id)

    code, rows, err = run(env, tmp_path, None, "models")
    assert code == 0, err
    assert [r["id"] for r in rows] == [1, other_id] and all(set(r) >= FIELDS for r in rows)
    first, second = rows
    assert first["name"] == "ticker" and first["status"] == "live" and first["publisher"] == env.owner.address
    assert first["vk_hash"] == env.params.vk_sha256 and first["spec_hash"] == env.dep.models["ticker"].spec_sha256
    assert (first["fee_wei"], first["min_stake_wei"], first["developer_share_bps"]) == (FEE, MIN_STAKE, 1000)
    assert second["name"] is None and second["status"] == "retired" and second["publisher"] == env.other.address
    assert (second["fee_wei"], second["developer_share_bps"], second["response_window_s"]) == (3 * FEE, 2500, 900)
    assert second["verifier"] == verifier and second["developer_earnings_wei"] == 0


def test_models_showsUncollectedDeveloperEarnings(staked: Env, tmp_path):
    own_deployment(staked, tmp_path)
    rid, _ = staked.client(staked.user).request(staked.model_id, "swap 2 bnb for cake")
    proof = staked.toy.prove("swap 2 bnb for cake")
    staked.client(staked.provider).fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    code, rows, err = run(staked, tmp_path, None, "models")
    assert code == 0, err
    assert rows[0]["developer_earnings_wei"] == FEE * 1000 // 10_000


def test_models_humanOutput_oneLinePerModel(env: Env, tmp_path):
    own_deployment(env, tmp_path)
    code, text, err = run(env, tmp_path, None, "models", as_json=False)
    assert code == 0, err
    (line,) = text.strip().splitlines()
    assert "ticker" in line and "live" in line and env.owner.address in line and "share 10.00%" in line
