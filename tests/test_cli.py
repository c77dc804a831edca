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
    assert lines == [{"prompt": "buy some pepe", "prompt_hex": b"buy some pepe".hex(), "tickers": ["PEPE"]},
                     {"prompt": "hello there", "prompt_hex": b"hello there".hex(), "tickers": []}]


def test_prompts_that_are_not_utf8_are_predicted_and_proved_from_hex(prover, tmp_path):
    """Issue 9: any bytes DPrompt accepts; --prompt-hex gives them, the output names them in hex."""
    issue = "73776170203220fffe20666f722063616b65"  # b"swap 2 \xff\xfe for cake"
    res = run("predict", "ticker", "--prompt-hex", issue, "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout) == {"prompt": "swap 2 \\xff\\xfe for cake", "prompt_hex": issue, "tickers": ["CAKE"]}
    res = run("prove", "ticker", "--prompt-hex", "0x" + issue, "--json", "--out", str(tmp_path))
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["prompt_hex"] == issue
    res = run("verify", str(tmp_path), "--json")
    assert res.returncode == 0, res.stderr
    assert json.loads(res.stdout)["prompt_hex"] == issue
    lines = subprocess.run([ZK, "predict", "ticker", "--input-file", "-", "--json"], capture_output=True,
                           input=bytes.fromhex(issue) + b"\r\n\xff bnb\n", timeout=300)
    assert lines.returncode == 0, lines.stderr
    assert [json.loads(x)["prompt_hex"] for x in lines.stdout.splitlines()] == [issue, "ff20626e62"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("predict", "ticker", ""), "empty prompt"),
        (("predict", "ticker", "y" * 300), "limit is 192"),
        (("predict", "ticker", "--prompt-hex", "fffg"), "is not hex"),
        (("predict", "ticker", "hi", "--prompt-hex", "ff"), "exactly one of PROMPT"),
        (("verify", "/nonexistent/proof.json"), "not found"),
        (("predict", "nosuchmodel", "hi"), "known models: intent, ticker"),
    ],
)
def test_user_errors_exit_1_with_the_fix_on_stderr(prover, args, message):
    res = run(*args)
    assert res.returncode == 1
    assert message in res.stderr
    assert res.stdout == ""
