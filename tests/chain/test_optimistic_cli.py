"""The optimistic mode from the command line with the real ticker circuit on anvil: `request
--optimistic`, `fulfil --optimistic` (predicted, or a chosen `--claim`), `answer` (mode, final,
answer_tx, window_end), `dispute` (proves and overturns a wrong answer; refuses a right one) and
`finalize` (after the challenge window)."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner
from web3 import Web3

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.deploy import ModelParams
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.cli import app

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPT = "swap 2 bnb for cake"
# `zkrevox deploy`'s default economics (ModelParams' defaults): challenge window, bond, optimistic fee
DEFAULTS = ModelParams(name="ticker", spec=None, input_scale=0, num_outputs=0, vk_sha256="")  # type: ignore[arg-type]
WINDOW, BOND = DEFAULTS.challenge_window_s, DEFAULTS.answer_bond


@pytest.fixture(scope="module")
def cli(prover, tmp_path_factory):
    deployments = tmp_path_factory.mktemp("cli-optimistic-deployments")
    with Anvil() as anvil:

        def run(key_index: int | None, *args: str, as_json: bool = True) -> tuple[int, dict | str | None, str]:
            variables = {"ZKREVOX_RPC_URL": anvil.url, "ZKREVOX_DEPLOYMENTS": str(deployments),
                         "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[key_index] if key_index is not None else ""}
            result = CliRunner().invoke(app, [*args, *(["--json"] if as_json else [])], env=variables)
            if not as_json:
                return result.exit_code, result.stdout, result.stderr
            out = json.loads(result.stdout) if result.exit_code == 0 and result.stdout.strip() else None
            return result.exit_code, out, result.stderr

        code, _, err = run(0, "deploy", "ticker")
        assert code == 0, err
        code, _, err = run(1, "provider", "stake", "0.2")  # above the minimum after one slashed bond
        assert code == 0, err
        run.w3 = Web3(Web3.HTTPProvider(anvil.url))  # type: ignore[attr-defined]
        yield run


def _advance(cli, seconds: int) -> None:
    cli.w3.provider.make_request("evm_increaseTime", [seconds])
    cli.w3.provider.make_request("evm_mine", [])


def _request(cli, prompt: str = PROMPT) -> int:
    code, out, err = cli(2, "request", prompt, "--optimistic")
    assert code == 0, err
    assert out["mode"] == "optimistic" and out["fee_wei"] == DEFAULTS.optimistic_fee
    return out["request_id"]


def test_cli_optimistic_predictedAnswer_isFinalAfterTheWindow(cli, prover):
    rid = _request(cli)
    code, out, err = cli(None, "answer", str(rid))
    assert code == 0, err
    assert (out["status"], out["mode"], out["final"], out["answer_tx"], out["window_end"]) == (
        "pending", "optimistic", False, None, None)
    code, posted, err = cli(1, "fulfil", str(rid), "--optimistic")
    assert code == 0, err
    assert posted["tickers"] == prover.predict(PROMPT).labels and posted["gas_used"] <= 80_000
    code, out, err = cli(None, "answer", str(rid))
    assert code == 0, err
    assert (out["status"], out["final"], out["answer_tx"], out["tickers"]) == (
        "answered", False, posted["tx"], posted["tickers"])
    assert out["window_end"] == posted["window_end"]
    code, _, err = cli(3, "dispute", str(rid))
    assert code == 1 and "nothing to dispute" in err and "proving" not in err
    code, _, err = cli(3, "finalize", str(rid))
    assert code == 1 and "runs until" in err
    _advance(cli, WINDOW)
    code, fin, err = cli(3, "finalize", str(rid))
    assert code == 0, err
    code, out, err = cli(None, "answer", str(rid))
    assert (out["status"], out["final"], out["answer_tx"], out["fulfil_tx"]) == (
        "fulfilled", True, posted["tx"], fin["tx"])
    code, _, err = cli(3, "dispute", str(rid))
    assert code == 1 and "fulfilled" in err


def test_cli_optimistic_wrongClaim_isOverturnedByDispute(cli, prover):
    right = prover.predict(PROMPT).labels
    claim = "PEPE" if "PEPE" not in right else "BTC"
    rid = _request(cli)
    code, posted, err = cli(1, "fulfil", str(rid), "--optimistic", "--claim", claim, "--skip-local-checks")
    assert code == 0, err
    assert posted["tickers"] == [claim]
    code, out, err = cli(3, "dispute", str(rid))
    assert code == 0, err
    assert (out["posted"], out["tickers"]) == ([claim], right)
    assert (out["bond_wei"], out["to_disputer_wei"], out["to_requester_wei"]) == (BOND, BOND - BOND // 2, BOND // 2)
    code, answer, err = cli(None, "answer", str(rid))
    assert code == 0, err
    assert (answer["status"], answer["final"], answer["tickers"], answer["answer_tx"]) == (
        "overturned", True, right, out["tx"])
    code, text, _ = cli(None, "answer", str(rid), as_json=False)
    assert "overturned" in text


def test_cli_optimistic_refusesBadClaimsAndModes(cli):
    rid = _request(cli)
    code, _, err = cli(1, "fulfil", str(rid), "--claim", "BNB")
    assert code == 1 and "needs --optimistic" in err
    code, _, err = cli(1, "fulfil", str(rid), "--optimistic", "--claim", "NOTATICKER")
    assert code == 1 and "NOTATICKER" in err and "labels" in err
    code, out, err = cli(2, "request", PROMPT)
    assert code == 0, err
    code, _, err = cli(1, "fulfil", str(out["request_id"]), "--optimistic", "--claim", "BNB")
    assert code == 1 and "not requested optimistically" in err
    code, _, err = cli(3, "finalize", str(out["request_id"]))
    assert code == 1 and "pending" in err


def test_cli_optimistic_claimTheModelDisagreesWith_isRefusedNamingTheAnswerAndTheFlag(cli, prover):
    """Issue 18: a --claim that is not the model's answer is refused before sending (it would lose
    the bond to the first dispute), naming the model's answer and --skip-local-checks."""
    right = prover.predict(PROMPT).labels
    claim = "PEPE" if "PEPE" not in right else "BTC"
    rid = _request(cli)
    code, _, err = cli(1, "fulfil", str(rid), "--optimistic", "--claim", claim)
    assert code == 1, err
    assert f"the model says {right}" in err and "--skip-local-checks" in err and "nothing was sent" in err
    code, out, err = cli(None, "answer", str(rid))
    assert out["status"] == "pending"  # nothing posted
    code, _, err = cli(1, "fulfil", str(rid), "--optimistic", "--claim", ",".join(right))
    assert code == 0, err  # the model's own answer as a claim goes through


def test_cli_answer_saysOptimisticWindowAndFinal_withIsoTimes(cli):
    import datetime as dt

    rid = _request(cli)
    code, text, err = cli(None, "answer", str(rid), as_json=False)
    assert code == 0 and "(optimistic; deadline 20" in text and "+00:00" in text, text
    code, posted, err = cli(1, "fulfil", str(rid), "--optimistic")
    assert code == 0, err
    iso = dt.datetime.fromtimestamp(posted["window_end"], tz=dt.timezone.utc).isoformat(timespec="seconds")
    code, text, _ = cli(None, "answer", str(rid), as_json=False)
    assert f"optimistic, window open until {iso}" in text and "unix time" not in text, text
    code, out, _ = cli(None, "answer", str(rid))
    assert out["window_end_utc"] == iso and out["deadline_utc"].endswith("+00:00")
    _advance(cli, WINDOW)
    code, text, _ = cli(None, "answer", str(rid), as_json=False)
    assert "optimistic, window closed at" in text and f"zkrevox finalize {rid}" in text, text
    assert cli(3, "finalize", str(rid))[0] == 0
    code, text, _ = cli(None, "answer", str(rid), as_json=False)
    assert "(optimistic, final)" in text, text
