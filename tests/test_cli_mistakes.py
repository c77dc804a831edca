"""Issue 14: a user's mistake gets a message and exit 1, never `internal error` (exit 2); a closed
pipe ends quietly; hints lead somewhere; the dev-SRS notice is shown, in JSON where logs are JSON."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from zkrevox.model_files import REPO_ROOT

pytestmark = pytest.mark.slow
ZK = str(Path(sys.executable).with_name("zkrevox"))


def run(*args: str, stdin: str | None = None, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([ZK, *args], input=stdin, capture_output=True, text=True, env=env or os.environ,
                          timeout=300)


def assert_user_error(res: subprocess.CompletedProcess, message: str) -> None:
    assert res.returncode == 1, (res.returncode, res.stderr)
    assert message in res.stderr
    assert "internal error" not in res.stderr and "Traceback" not in res.stderr
    assert res.stdout == ""


def test_input_file_that_is_a_directory_or_missing_is_a_user_error(prover, tmp_path):
    assert_user_error(run("predict", "ticker", "--input-file", str(tmp_path)), "is a directory")
    assert_user_error(run("predict", "ticker", "--input-file", str(tmp_path / "nope.txt")), "not found")


def test_prove_out_an_existing_file_is_refused_before_proving(prover, tmp_path):
    existing = tmp_path / "proof"
    existing.write_text("keep me")
    res = run("prove", "ticker", "swap 2 bnb for cake", "--out", str(existing))
    assert_user_error(res, "is an existing file")
    assert "proving" not in res.stderr and "INSECURE" not in res.stderr  # refused before any proving
    assert existing.read_text() == "keep me"


def _closed_pipe(args: list[str], stdin: bytes | None = None) -> tuple[int, bytes]:
    """Run ``args`` like ``… | head -1``: read one line of stdout, then close it."""
    proc = subprocess.Popen([ZK, *args], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    if stdin is not None:
        proc.stdin.write(stdin)  # type: ignore[union-attr]
    proc.stdin.close()  # type: ignore[union-attr]
    assert proc.stdout.readline()  # type: ignore[union-attr]
    proc.stdout.close()  # type: ignore[union-attr]
    with proc.stderr:  # type: ignore[union-attr]
        stderr = proc.stderr.read()  # type: ignore[union-attr]
    return proc.wait(timeout=300), stderr


def test_predict_into_a_closed_pipe_ends_quietly_with_141(prover):
    code, stderr = _closed_pipe(["predict", "ticker", "--input-file", "-"], b"buy some bnb\n" * 400)
    assert code == 141, stderr
    assert b"Traceback" not in stderr and b"error" not in stderr.lower()


def test_node_jobs_into_a_closed_pipe_ends_quietly_with_141(tmp_path):
    from zkrevox.node.jobs import SeenRequest
    from zkrevox.node.store import SqliteJobStore

    store = SqliteJobStore(tmp_path / "jobs.db", "scope")
    for i in range(1, 2001):
        store.insert(SeenRequest(i, 1, "0x" + "1" * 40, "0x" + "2" * 40, b"bnb", 2**40, 1, i, "0x" + "3" * 64,
                                 "0x" + "4" * 64, 1))
    store.close()
    for args in (["node-jobs", "--db", str(tmp_path / "jobs.db")], ["node-jobs", "--db", str(tmp_path / "jobs.db"),
                                                                      "--json"]):
        code, stderr = _closed_pipe(args)
        assert code in (0, 141), stderr  # 0: the table went out in one write the kernel cut short
        assert b"Traceback" not in stderr and b"error" not in stderr.lower()


@pytest.mark.parametrize("args", [("prove", "ticker", "x"), ("predict", "--bogus"), ("build", "--batch", "x"),
                                  ("no-such-command",)])
def test_usage_errors_are_user_errors_exit_1(args):
    res = run(*args)
    assert res.returncode == 1, res.stderr
    assert "Usage:" in res.stderr or "No such command" in res.stderr


def test_internal_errors_alone_exit_2(monkeypatch, capsys):
    from zkrevox import prover
    from zkrevox.cli import main

    def boom(*_a, **_k):
        raise RuntimeError("a bug of ours")

    monkeypatch.setattr(prover.Prover, "load", boom)
    with pytest.raises(SystemExit) as exc:
        main(["predict", "ticker", "hi"])
    assert exc.value.code == 2
    assert "internal error: RuntimeError: a bug of ours (please report it)" in capsys.readouterr().err
    with pytest.raises(SystemExit) as exc:
        main(["--help"])
    assert exc.value.code == 0


def test_a_typo_in_the_model_name_suggests_the_nearest_model(prover):
    res = run("predict", "tikcer", "swap 2 bnb for cake")
    assert_user_error(res, "did you mean 'ticker'?")
    assert "zkrevox train" not in res.stderr  # train tikcer fails too: a dead end
    assert_user_error(run("predict", "tikcer"), "did you mean 'ticker'?")
    assert_user_error(run("predict", "nosuchmodel", "hi"), "known models: intent, ticker")


def test_a_prompt_given_where_the_model_goes_names_the_usual_form(prover):
    # Two models (intent, ticker): a prompt where the model goes cannot pick one; the error shows the form.
    res = run("predict", "swap 2 bnb for cake", "--json")
    assert_user_error(res, "the model's name comes first, then the prompt: "
                           "`zkrevox predict intent 'swap 2 bnb for cake'`")


def test_a_prompt_given_where_the_model_goes_is_predicted_with_the_only_model(monkeypatch, capsys):
    from zkrevox import model_files
    from zkrevox.cli.model import _model_and_prompt

    monkeypatch.setattr(model_files, "known_models", lambda: ["ticker"])
    assert _model_and_prompt("predict", "swap 2 bnb for cake", None) == ("ticker", "swap 2 bnb for cake")
    assert "zkrevox predict ticker PROMPT" in capsys.readouterr().err  # the usual form, said once


def test_verify_announces_the_insecure_dev_srs(bnb_cake_proof):
    res = run("verify", str(bnb_cake_proof.path), "--json")
    assert res.returncode == 0, res.stderr
    assert "INSECURE DEV SRS" in res.stderr


def test_the_insecure_notice_is_a_json_record_where_logs_are_json(tmp_path):
    code = ("import logging, sys\n"
            "from zkrevox.node.logs import configure\n"
            "from zkrevox.srs import announce_insecure\n"
            "configure(sys.argv[1])\n"
            "announce_insecure()\n")
    res = subprocess.run([sys.executable, "-c", code, "json"], capture_output=True, text=True, timeout=60)
    lines = res.stderr.splitlines()
    assert len(lines) == 1, res.stderr
    record = json.loads(lines[0])
    assert record["event"] == "insecure-srs" and "INSECURE DEV SRS" in record["msg"]
    assert record["level"] == "warning"
    # a spawned prover worker has no handler, only the environment the node set: still JSON
    env = {**os.environ, "ZKREVOX_LOG_FORMAT": "json"}
    res = subprocess.run([sys.executable, "-c", "from zkrevox.srs import announce_insecure; announce_insecure()"],
                         capture_output=True, text=True, timeout=60, env=env)
    assert json.loads(res.stderr)["event"] == "insecure-srs"
    res = subprocess.run([sys.executable, "-c", code, "text"], capture_output=True, text=True, timeout=60)
    assert res.stderr.startswith("WARNING: INSECURE DEV SRS")


def test_a_proof_file_whose_two_copies_disagree_is_refused(prover, tmp_path):
    from zkrevox.chain.proofs import ChainProof

    res = run("prove", "ticker", "swap 2 bnb for cake", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    path = tmp_path / "proof.json"
    raw = json.loads(path.read_text())
    hex_proof = raw["hex_proof"]
    flipped = "0" if hex_proof[-1] != "0" else "1"
    raw["hex_proof"] = hex_proof[:-1] + flipped
    path.write_text(json.dumps(raw))
    res = run("verify", str(tmp_path))
    assert_user_error(res, 'two copies of the proof disagree ("proof" ≠ "hex_proof")')
    with pytest.raises(Exception, match="disagree"):
        ChainProof.from_file(path)
    # the copy that goes on-chain ("proof") is the one ezkl verifies: edited alone, it fails
    raw["hex_proof"] = hex_proof
    raw["proof"][-1] ^= 1
    raw["hex_proof"] = "0x" + bytes(raw["proof"]).hex()
    path.write_text(json.dumps(raw))
    assert run("verify", str(tmp_path)).returncode == 1


def test_a_proof_object_is_verified_against_the_bytes_it_sends(prover, bnb_cake_proof):
    import dataclasses

    from zkrevox.errors import ProofError

    other = dataclasses.replace(bnb_cake_proof, proof_bytes=bnb_cake_proof.proof_bytes[:-1] + b"\x00")
    with pytest.raises(ProofError, match="holds another proof"):
        prover.verify(other)


def test_the_readme_prompts_file_exists_and_predicts(prover):
    readme = (REPO_ROOT / "README.md").read_text()
    assert "--input-file - --json < examples/prompts.txt" in readme
    res = run("predict", "ticker", "--input-file", str(REPO_ROOT / "examples" / "prompts.txt"), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout.splitlines()[0])["tickers"] == ["BNB", "CAKE"]


def test_the_readme_says_what_the_model_answers_for_bake_a_cake(prover):
    """The README once called "bake a cake" a negative while the v1 model answered CAKE; the v2 model
    (context features) answers nothing. The claim follows the model."""
    readme = (REPO_ROOT / "README.md").read_text()
    assert prover.predict("bake a cake").labels == []
    assert '"bake a cake" → nothing' in readme
    assert prover.predict("i baked a cake for my mom's bday, wish me luck").labels == []
    assert prover.predict("is farming cake a piece of cake or do i need bnb").labels == ["BNB", "CAKE"]
    assert prover.predict("bake a chocolate cake tonight").labels == []
    assert prover.predict("click the link below").labels == []
