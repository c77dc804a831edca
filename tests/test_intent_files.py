"""models/intent/: labels, input spec and the hand-written eval set agree with the agent's package."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from zkrevox.agents.intent import AGENT, LABELS, IntentTrainConfig, spec_for
from zkrevox.errors import InputError
from zkrevox.model_files import MODELS_DIR, eval_file
from zkrevox.model_files import load_eval_set as load

MODEL_DIR = MODELS_DIR / "intent"
EVAL_FILE = eval_file("intent")


def load_eval_set(path: Path = EVAL_FILE):
    return load(path, AGENT.answer_key, AGENT.labels)


def test_labels_are_the_issues_eight_in_output_order():
    assert LABELS == ("SWAP", "TRANSFER", "BRIDGE", "STAKE", "PRICE", "CHART", "PORTFOLIO", "INFO")
    assert json.loads((MODEL_DIR / "labels.json").read_text())["labels"] == list(LABELS)


def test_input_spec_is_the_vocabulary_the_package_builds():
    committed = json.loads((MODEL_DIR / "input_spec.json").read_text())
    assert committed == spec_for(IntentTrainConfig()).to_dict()


def test_eval_set_parses_uses_only_the_eight_labels_and_has_the_kinds_the_issue_names():
    rows = [json.loads(line) for line in EVAL_FILE.read_text().splitlines() if line.strip()]
    examples = load_eval_set()
    assert len(examples) == len(rows) >= 200
    assert all(set(r) == {"prompt", "intents"} and set(r["intents"]) <= set(LABELS) for r in rows)
    assert len({e.prompt for e in examples}) == len(examples)
    assert all(0 < len(e.prompt.encode()) <= spec_for(IntentTrainConfig()).max_bytes for e in examples)
    assert {label for e in examples for label in e.labels} == set(LABELS)
    assert 0.15 <= sum(not e.labels for e in examples) / len(examples) <= 0.2
    assert sum(len(e.labels) > 1 for e in examples) >= 20
    prompts = {e.prompt: e.labels for e in examples}
    for everyday in ("can we swap places at the desk", "let's bridge our differences",
                     "chart a course for the holidays", "send me the link"):
        assert prompts[everyday] == ()
    assert prompts["check my eth balance and swap half to usdc"] == ("SWAP", "PORTFOLIO")


def test_eval_set_refuses_an_unknown_label_naming_the_line(tmp_path: Path):
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"prompt": "swap 1 eth", "intents": ["SWAP"]}\n{"prompt": "x", "intents": ["BUY"]}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:2: unknown label\(s\) \['BUY'\]"):
        load_eval_set(bad)
    bad.write_text('{"prompt": "swap 1 eth", "tickers": ["ETH"]}\n')
    with pytest.raises(InputError, match=r"bad.jsonl:1: expected"):
        load_eval_set(bad)
