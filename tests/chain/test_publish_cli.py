"""`zkrevox publish NAME`: a second account publishes the real ticker model (its generated verifier,
vk, spec and a batch verifier) to the existing deployment, becomes its publisher and earns its
developer share; a recorded live name is never overwritten."""

from __future__ import annotations

import json

import pytest
from chainenv import Env
from clirun import own_deployment, run

from zkrevox.chain.deploy import load_deployment, model_params

pytestmark = [pytest.mark.chain, pytest.mark.slow]
OTHER = 4  # anvil dev key of env.other: not the deployer


@pytest.fixture()
def built(prover, batch_provers):
    """The real ticker circuit and its batch-4 circuit (built once if missing)."""
    return model_params("ticker")


def test_publish_byAnotherAccount_recordsAndRegistersIt(env: Env, tmp_path, built):
    own_deployment(env, tmp_path)
    code, out, err = run(env, tmp_path, OTHER, "publish", "ticker", "--as", "ticker-v2", "--batch", "4",
                         "--fee", "0.002", "--developer-share-bps", "2500", "--min-stake", "0.5",
                         "--response-window", "900", "--slash-bps", "500")
    assert code == 0, err
    assert out["model_id"] == 2 and out["name"] == "ticker-v2" and out["publisher"] == env.other.address
    info = env.client().model(2)
    assert (info.publisher, info.fee, info.developer_share_bps) == (env.other.address, 2 * 10**15, 2500)
    assert (info.min_stake, info.response_window, info.slash_bps) == (5 * 10**17, 900, 500)
    assert info.vk_hash.hex() == built.vk_sha256 and info.verifier == out["verifier"]
    assert env.client().batch_verifier(2, 4)[0] == out["batch_verifiers"]["4"]

    dep = load_deployment(env.w3.eth.chain_id, tmp_path, w3=env.w3)
    record = dep.model("ticker-v2")
    assert (record.model_id, record.publisher, record.source_model) == (2, env.other.address, "ticker")
    assert record.developer_share_bps == 2500 and list(record.batch_verifiers) == ["4"]
    assert dep.model("ticker").model_id == 1  # the existing record is untouched

    code, out, err = run(env, tmp_path, 1, "provider", "stake", "0.5", "--model", "ticker-v2")
    assert code == 0, err
    assert out["eligible"] is True and out["asset"] == {"token": None, "symbol": "ETH", "decimals": 18}


def test_publish_refusesALiveRecordedName_andSaysHow(env: Env, tmp_path, built):
    own_deployment(env, tmp_path)
    before = (tmp_path / f"{env.dep.chain_id}.json").read_text()
    code, _, err = run(env, tmp_path, OTHER, "publish", "ticker", "--no-batch")
    assert code == 1
    assert "already records a live model 'ticker'" in err and "--as NEW_NAME" in err
    assert env.client().model_count() == 1  # nothing was deployed or published
    assert (tmp_path / f"{env.dep.chain_id}.json").read_text() == before


def test_publish_mayReuseTheNameOfARetiredModel(env: Env, tmp_path, built):
    own_deployment(env, tmp_path)
    env.client(env.owner).retire_model(1)
    code, out, err = run(env, tmp_path, OTHER, "publish", "ticker", "--no-batch")
    assert code == 0, err
    record = json.loads((tmp_path / f"{env.dep.chain_id}.json").read_text())["models"]["ticker"]
    assert record["model_id"] == out["model_id"] == 2 and record["publisher"] == env.other.address


@pytest.mark.parametrize(("args", "message"), [
    (("ticker", "--developer-share-bps", "10001"), "basis points"),
    (("ticker", "--response-window", "59"), "at least 60"),
    (("no-such-model", "--no-batch"), "no-such-model"),
])
def test_publish_userMistakes_exit1(env: Env, tmp_path, built, args, message):
    own_deployment(env, tmp_path)
    code, _, err = run(env, tmp_path, OTHER, "publish", *args)
    assert code == 1 and message in err, err


def test_publish_anUnfundedKey_isRefusedBeforeSending(env: Env, tmp_path, built):
    from eth_account import Account
    from typer.testing import CliRunner

    from zkrevox.cli import app

    own_deployment(env, tmp_path)
    broke = Account.create()
    variables = {"ZKREVOX_RPC_URL": env.rpc, "ZKREVOX_DEPLOYMENTS": str(tmp_path),
                 "ZKREVOX_PRIVATE_KEY": "0x" + bytes(broke.key).hex()}
    result = CliRunner().invoke(app, ["publish", "ticker", "--as", "ticker-broke", "--no-batch"], env=variables)
    assert result.exit_code == 1, result.stderr
    assert "no funds" in result.stderr and "Nothing was sent" in result.stderr
    assert env.client().model_count() == 1
