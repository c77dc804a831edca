"""`zkrevox deploy` never replaces a live deployment (issue 14): `--batch N` adds the batch verifier to
the live DPrompt, keeping its requests and stakes; `--new` deploys another and keeps the old record;
a record whose contracts are gone is replaced, saying so. Everything that can be checked is checked
before the first transaction (`deploy` and `publish`). Real ticker artifacts, a fresh anvil."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.cli import app

pytestmark = [pytest.mark.chain, pytest.mark.slow]


class Cli:
    def __init__(self, url: str, deployments):
        self.url, self.deployments = url, deployments
        self.w3 = connect(url)

    def __call__(self, key: int | str | None, *args: str) -> tuple[int, dict | None, str]:
        private = ANVIL_DEV_KEYS[key] if isinstance(key, int) else (key or "")
        variables = {"ZKREVOX_RPC_URL": self.url, "ZKREVOX_DEPLOYMENTS": str(self.deployments),
                     "ZKREVOX_PRIVATE_KEY": private}
        result = CliRunner().invoke(app, [*args, "--json"], env=variables)
        out = json.loads(result.stdout) if result.exit_code == 0 and result.stdout.strip() else None
        return result.exit_code, out, result.stderr

    @property
    def record(self):
        return self.deployments / "31337.json"

    def nonce(self, key: int = 0) -> int:
        from eth_account import Account

        return self.w3.eth.get_transaction_count(Account.from_key(ANVIL_DEV_KEYS[key]).address)


@pytest.fixture(scope="module")
def chain(batch_provers, tmp_path_factory):
    with Anvil() as anvil:
        yield anvil


@pytest.fixture()
def cli(chain, tmp_path):
    cli = Cli(chain.url, tmp_path)
    snap = cli.w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        yield cli
    finally:
        cli.w3.provider.make_request("evm_revert", [snap])


def test_deploy_secondBatchDeploy_addsToTheLiveDeployment_keepingRequestsAndStakes(cli):
    code, first, err = cli(0, "deploy", "ticker", "--batch", "8")
    assert code == 0, err
    assert first["new_deployment"] is True and set(first["batch_verifiers"]) == {"8"}
    assert cli(1, "provider", "stake", "0.1")[0] == 0
    code, req, err = cli(2, "request", "swap 2 bnb for cake")
    assert code == 0, err

    code, second, err = cli(0, "deploy", "ticker", "--batch", "4")
    assert code == 0, err
    assert second["dprompt"] == first["dprompt"] and second["new_deployment"] is False
    assert second["added_batch_verifiers"] == [4] and set(second["batch_verifiers"]) == {"4", "8"}
    code, answer, err = cli(None, "answer", str(req["request_id"]))
    assert code == 0, err
    assert answer["status"] == "pending" and answer["provider"] == req["provider"]
    client = DPromptClient(cli.w3, first["dprompt"])
    assert client.provider(first["model_id"], req["provider"]).stake == 10**17
    assert client.batch_verifier(first["model_id"], 4) is not None
    assert set(json.loads(cli.record.read_text())["models"]["ticker"]["batch_verifiers"]) == {"4", "8"}

    code, again, err = cli(0, "deploy", "ticker", "--batch", "4")  # already there: nothing sent
    assert code == 0, err
    assert again["added_batch_verifiers"] == [] and "already has the batch-4" in err


def test_deploy_onALiveDeployment_refusesAndSaysWhatToDo(cli):
    code, first, err = cli(0, "deploy", "ticker", "--batch", "4")
    assert code == 0, err
    record, nonce = cli.record.read_text(), cli.nonce()
    for args in (["deploy"], ["deploy", "ticker", "--fee", "0.002"], ["deploy", "ticker", "--batch", "8",
                                                                        "--stake-token", first["dprompt"]]):
        code, out, err = cli(0, *args)
        assert code == 1 and out is None, args
        assert "live DPrompt" in err and first["dprompt"] in err and "Nothing was sent" in err
        assert "zkrevox deploy ticker --batch N" in err and "zkrevox publish NAME" in err
        assert "zkrevox deploy ticker --new" in err
    code, _, err = cli(0, "deploy", "ticker2", "--batch", "4")
    assert code == 1 and "zkrevox publish ticker2" in err
    code, _, err = cli(1, "deploy", "ticker", "--batch", "8")  # not the publisher
    assert code == 1 and "publisher" in err
    assert cli.record.read_text() == record and cli.nonce() == nonce and cli.nonce(1) == 0


def test_deploy_new_keepsTheOldRecord(cli):
    code, first, err = cli(0, "deploy", "ticker", "--batch", "4")
    assert code == 0, err
    code, second, err = cli(0, "deploy", "ticker", "--batch", "4", "--new")
    assert code == 0, err
    assert second["dprompt"] != first["dprompt"] and second["new_deployment"] is True
    assert json.loads(cli.record.read_text())["dprompt"]["address"] == second["dprompt"]
    kept = list(cli.deployments.glob("31337.*.json"))
    assert len(kept) == 1 and json.loads(kept[0].read_text())["dprompt"]["address"] == first["dprompt"]
    assert "kept" in err


def test_deploy_replacesARecordWhoseContractsAreGone_sayingSo(cli):
    snap = cli.w3.provider.make_request("evm_snapshot", [])["result"]
    code, _, err = cli(0, "deploy", "ticker", "--batch", "4")
    assert code == 0, err
    cli.w3.provider.make_request("evm_revert", [snap])  # as if anvil restarted: the contracts are gone
    code, second, err = cli(0, "deploy", "ticker", "--batch", "4")
    assert code == 0, err
    assert second["new_deployment"] is True and "no longer on chain 31337" in err


@pytest.mark.parametrize("args, message", [
    (["--batch", "3"], "zkrevox build ticker --batch 3"),
    (["--batch", "0"], "2..64"),
    (["--batch", "65"], "2..64"),
    (["--batch", "4", "--batch", "1"], "2..64"),
    (["--batch", "4", "--response-window", "30"], "outside 60 s..7 days"),
    (["--batch", "4", "--slash-bps", "20000"], "0..10000"),
    (["--batch", "4", "--unbonding-delay", "99999999"], "365 days"),
    (["--batch", "4", "--fee", "0"], "positive"),
    (["--batch", "4", "--min-stake", "abc"], "not a number"),
])
def test_deploy_checksEverythingBeforeTheFirstTransaction(cli, args, message):
    code, out, err = cli(0, "deploy", "ticker", *args)
    assert code == 1 and out is None
    assert message in err
    assert cli.nonce() == 0 and not cli.record.exists()


def test_deploy_anUnfundedKey_isRefusedBeforeSending(cli):
    key = "0x" + "11" * 32
    code, _, err = cli(key, "deploy", "ticker", "--batch", "4")
    assert code == 1 and "no funds" in err and not cli.record.exists()


def test_publish_checksBatchSizesBeforeTheFirstTransaction(cli):
    code, _, err = cli(0, "deploy", "ticker", "--batch", "4")
    assert code == 0, err
    record = cli.record.read_text()
    for args, message in ((["--batch", "3"], "zkrevox build ticker --batch 3"), (["--batch", "0"], "2..64")):
        code, out, err = cli(4, "publish", "ticker", "--as", "ticker-v2", *args)
        assert code == 1 and out is None and message in err
    assert cli.nonce(4) == 0 and cli.record.read_text() == record
