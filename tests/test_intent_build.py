"""The intent agent through the generic pipeline: `zkrevox build intent` artifacts, a proof plain ezkl accepts."""

from __future__ import annotations

import json
import subprocess
import sys

import ezkl
import pytest

pytestmark = pytest.mark.slow


def test_build_intent_gives_the_circuit_its_run_args_ask_for(intent_prover):
    m = intent_prover.manifest
    assert (m["model"], m["batch"], m["logrows"]) == ("intent", 1, 14)
    assert intent_prover.labels == ["SWAP", "TRANSFER", "BRIDGE", "STAKE", "PRICE", "CHART", "PORTFOLIO", "INFO"]
    assert intent_prover.spec.num_features == 252


def test_an_intent_proof_is_accepted_by_plain_ezkl_verify(intent_prover, tmp_path):
    proof = intent_prover.prove("bridge 50 usdc to arbitrum", out_dir=tmp_path)
    assert proof.model == "intent"
    assert proof.outputs[2] > 0 and sum(v > 0 for v in proof.outputs) == 1  # BRIDGE only
    assert ezkl.verify(str(proof.path), str(intent_prover.settings_path), str(intent_prover.vk_path),
                       str(intent_prover.srs_path))


def zkrevox(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from zkrevox.cli import main; main()", *args], input=stdin,
                          capture_output=True, text=True, timeout=300)


def test_prove_intent_cli_names_the_answer_intents_and_plain_ezkl_verify_accepts_it(intent_prover, tmp_path):
    res = zkrevox("prove", "intent", "bridge 50 usdc to arbitrum", "--out", str(tmp_path), "--json")
    assert res.returncode == 0, res.stderr
    out = json.loads(res.stdout)
    assert out["intents"] == ["BRIDGE"] and "tickers" not in out
    assert ezkl.verify(out["proof_path"], out["settings_path"], out["vk_path"], out["srs_path"])
    answer = json.loads((tmp_path / "answer.json").read_text())
    assert (answer["answer_key"], answer["intents"]) == ("intents", ["BRIDGE"])
    verified = zkrevox("verify", str(tmp_path), "--json")
    assert verified.returncode == 0, verified.stderr
    assert json.loads(verified.stdout)["intents"] == ["BRIDGE"]


def test_predict_intent_reads_prompts_from_stdin_one_json_line_each(intent_prover):
    prompts = ["check my eth balance and swap half to usdc", "let's bridge our differences"]
    res = zkrevox("predict", "intent", "--input-file", "-", "--json", stdin="\n".join(prompts) + "\n")
    assert res.returncode == 0, res.stderr
    rows = [json.loads(line) for line in res.stdout.splitlines()]
    assert [(r["prompt"], r["intents"]) for r in rows] == [(prompts[0], ["SWAP", "PORTFOLIO"]), (prompts[1], [])]
    assert all(set(r) == {"prompt", "prompt_hex", "intents"} for r in rows)
