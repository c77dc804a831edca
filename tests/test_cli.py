"""The CLI as a user runs it: stdout results, stderr errors, exit codes 0/1."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import ezkl
import pytest

pytestmark = pytest.mark.slow
ZK = str(Path(sys.executable).with_name("zkrevox"))


def run(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([ZK, *args], input=stdin, capture_output=True, text=True, env=os.environ, timeout=300)


def test_prove_json_paths_are_accepted_by_plain_ezkl(prover, tmp_path):
    res = run("prove", "ticker", "swap 2 bnb for cake", "--json", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["tickers"] == ["BNB", "CAKE"]
    assert ezkl.verify(out["proof_path"], out["settings_path"], out["vk_path"], out["srs_path"])
    assert "INSECURE" in res.stderr
    res = run("verify", out["proof_path"], "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["valid"] is True


def test_predict_reads_prompts_from_stdin_one_json_line_each(prover):
    res = run("predict", "ticker", "--input-file", "-", "--json", stdin="buy some pepe\nhello there\n")
    assert res.returncode == 0, res.stderr
    lines = [json.loads(line) for line in res.stdout.splitlines()]
    assert lines == [{"prompt": "buy some pepe", "tickers": ["PEPE"]}, {"prompt": "hello there", "tickers": []}]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("predict", "ticker", ""), "empty prompt"),
        (("predict", "ticker", "y" * 300), "limit is 192"),
        (("verify", "/nonexistent/proof.json"), "not found"),
        (("predict", "nosuchmodel", "hi"), "zkrevox train nosuchmodel"),
    ],
)
def test_user_errors_exit_1_with_the_fix_on_stderr(prover, args, message):
    res = run(*args)
    assert res.returncode == 1
    assert message in res.stderr
    assert res.stdout == ""
