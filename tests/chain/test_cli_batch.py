"""`zkrevox deploy --batch N` and `zkrevox fulfil-batch` with the real ticker circuits on anvil:
one proof answers N requests from the command line."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.cli.chain import app

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPTS = ["swap 2 bnb for cake", "buy some pepe", "price of etherium", "good morning everyone"]


@pytest.fixture(scope="module")
def cli(batch_provers, tmp_path_factory):
    deployments = tmp_path_factory.mktemp("cli-batch-deployments")
    with Anvil() as anvil:

        def run(key_index: int | None, *args: str) -> tuple[int, dict | None, str]:
            variables = {"ZKREVOX_RPC_URL": anvil.url, "ZKREVOX_DEPLOYMENTS": str(deployments),
                         "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[key_index] if key_index is not None else ""}
            result = CliRunner().invoke(app, [*args, "--json"], env=variables)
            out = json.loads(result.stdout) if result.exit_code == 0 and result.stdout.strip() else None
            return result.exit_code, out, result.stderr

        code, out, err = run(0, "deploy", "ticker", "--batch", "4")
        assert code == 0, err
        assert set(out["batch_verifiers"]) == {"4"}
        code, _, err = run(1, "provider", "stake", "0.1")
        assert code == 0, err
        yield run


def test_cli_fulfilBatch_answersEveryRequestWithOneProof(cli, prover):
    ids = []
    for prompt in PROMPTS:
        code, out, err = cli(2, "request", prompt)
        assert code == 0, err
        ids.append(out["request_id"])
    code, out, err = cli(1, "fulfil-batch", *map(str, ids))
    assert code == 0, err
    assert out["tickers"] == {str(r): prover.predict(p).labels for r, p in zip(ids, PROMPTS, strict=True)}
    assert out["gas_per_request"] == out["gas_used"] // 4
    for rid in ids:
        _, answer, _ = cli(None, "answer", str(rid))
        assert answer["status"] == "fulfilled" and answer["fulfil_tx"] == out["tx"]


def test_cli_fulfilBatch_refusesASizeWithoutARegisteredVerifier(cli):
    ids = [cli(2, "request", p)[1]["request_id"] for p in PROMPTS[:3]]
    code, out, err = cli(1, "fulfil-batch", *map(str, ids))
    assert code == 1 and out is None
    assert "no batch-3 verifier" in err and "--batch 3" in err


def test_cli_fulfilBatch_refusesRequestsAssignedElsewhereOrRepeated(cli):
    ids = [cli(2, "request", p)[1]["request_id"] for p in PROMPTS]
    code, _, err = cli(3, "fulfil-batch", *map(str, ids))  # dev key 3 holds none of them
    assert code == 1 and "not to this key" in err
    code, _, err = cli(1, "fulfil-batch", str(ids[0]), str(ids[0]), str(ids[1]), str(ids[2]))
    assert code == 1 and "repeat" in err
    code, _, err = cli(1, "fulfil-batch", str(ids[0]))
    assert code == 1 and "zkrevox fulfil ID" in err
