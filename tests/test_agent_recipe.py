"""README "Adding an agent", followed to the letter on a copy of the repository: a toy third agent is
its folders and nothing else, and the generic commands train, build and run it."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
pytestmark = pytest.mark.slow

# python/zkrevox/agents/greet/__init__.py: the recipe's step 1.
AGENT_PACKAGE = '''
"""A toy agent: does the prompt greet, take leave, or neither."""

import random
from dataclasses import dataclass

from zkrevox.agents import Agent, LabeledPrompt
from zkrevox.featurize import FeatureSpec
from zkrevox.train import TrainConfig

LABELS = ("HELLO", "BYE")
WORDS = {"HELLO": ("hello", "hi", "hey", "morning"), "BYE": ("bye", "goodbye", "later", "night")}
OTHER = ("the", "price", "of", "eth", "swap", "my", "coffee", "is", "cold", "send", "notes")


@dataclass(frozen=True)
class GreetTrainConfig(TrainConfig):
    train_prompts: int = 3_000
    heldout_prompts: int = 200
    hidden: int = 4
    epochs: int = 4
    seed: int = 7


class Prompts:
    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)

    def generate(self, n: int, max_bytes: int) -> list[LabeledPrompt]:
        out = []
        for _ in range(n):
            labels = tuple(x for x in LABELS if self.rng.random() < 0.4)
            words = [self.rng.choice(OTHER) for _ in range(self.rng.randint(1, 5))]
            for label in labels:
                words.insert(self.rng.randrange(len(words) + 1), self.rng.choice(WORDS[label]))
            out.append(LabeledPrompt(" ".join(words)[:max_bytes], labels))
        return out


def spec(_config: TrainConfig) -> FeatureSpec:
    vocab = tuple(sorted({w for ws in WORDS.values() for w in ws} | set(OTHER)))
    return FeatureSpec(vocab=vocab, max_bytes=64, trigram_buckets=8, clip=3, fuzzy_min_len=5)


AGENT = Agent(name="greet", labels=LABELS, answer_key="greetings", train_config=GreetTrainConfig(),
              feature_spec=spec, generator=lambda seed, _config, _spec: Prompts(seed))
'''
# models/greet/eval/realistic.jsonl: the recipe's step 2 (hand-written, never trained on).
EVAL = [
    {"prompt": "hello my coffee is cold", "greetings": ["HELLO"]},
    {"prompt": "goodbye", "greetings": ["BYE"]},
    {"prompt": "the price of eth", "greetings": []},
    {"prompt": "hey swap my eth, bye", "greetings": ["HELLO", "BYE"]},
]


def copy_repo(dest: Path) -> Path:
    """The repository's generic code and the existing agents' folders, as a clone has them."""
    ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
    for part in ("python", "models", "circuits"):
        shutil.copytree(REPO / part, dest / part, ignore=ignore)
    return dest


def test_a_toy_agent_is_its_folders_and_the_generic_commands_run_it(tmp_path):
    repo = copy_repo(tmp_path / "repo")
    before = {p.relative_to(repo): p.read_bytes() for p in repo.rglob("*") if p.is_file()}
    # Step 1: the agent's package. Step 2: its eval set. Step 3: its circuit's run arguments.
    package = repo / "python" / "zkrevox" / "agents" / "greet"
    package.mkdir()
    (package / "__init__.py").write_text(AGENT_PACKAGE)
    (repo / "models" / "greet" / "eval").mkdir(parents=True)
    (repo / "models" / "greet" / "eval" / "realistic.jsonl").write_text(
        "".join(json.dumps(row) + "\n" for row in EVAL))
    (repo / "circuits" / "greet").mkdir()
    shutil.copyfile(REPO / "circuits" / "intent" / "circuit.json", repo / "circuits" / "greet" / "circuit.json")
    config = json.loads((repo / "circuits" / "greet" / "circuit.json").read_text())
    config.pop("feature_packing", None)
    (repo / "circuits" / "greet" / "circuit.json").write_text(json.dumps(config, indent=2) + "\n")
    env = {**os.environ, "PYTHONPATH": str(repo / "python"), "ZKREVOX_ARTIFACTS": str(tmp_path / "artifacts")}

    def zkrevox(*args: str) -> dict:
        res = subprocess.run([sys.executable, "-c", "from zkrevox.cli import main; main()", *args, "--json"],
                             cwd=repo, env=env, capture_output=True, text=True, timeout=600)
        assert res.returncode == 0, res.stderr
        return json.loads(res.stdout.splitlines()[-1])

    # Step 4: the generic commands.
    metrics = zkrevox("train", "greet")
    assert metrics["labels"] == 2 and metrics["float"]["realistic_heldout_prompts"] == len(EVAL)
    assert json.loads((repo / "models" / "greet" / "labels.json").read_text())["labels"] == ["HELLO", "BYE"]
    built = zkrevox("build", "greet")
    assert built["model"] == "greet"
    evaluated = zkrevox("evaluate", "greet")
    assert evaluated["realistic"]["prompts"] == len(EVAL) and evaluated["synthetic"]["prompts"] == 600
    assert "quantized" in json.loads((repo / "models" / "greet" / "metrics.json").read_text())
    answer = zkrevox("predict", "greet", "hello, the price of eth")
    assert set(answer) == {"prompt", "prompt_hex", "greetings"} and set(answer["greetings"]) <= {"HELLO", "BYE"}
    proof = zkrevox("prove", "greet", "goodbye", "--out", str(tmp_path / "proof"))
    assert proof["greetings"] == zkrevox("predict", "greet", "goodbye")["greetings"]
    assert zkrevox("verify", str(tmp_path / "proof"))["valid"] is True

    # Nothing outside the agent's folders changed (the model folder is what training wrote).
    after = {p.relative_to(repo): p.read_bytes() for p in repo.rglob("*")
             if p.is_file() and "__pycache__" not in p.parts}
    added = {str(p) for p in after.keys() - before.keys()}
    assert all(p.startswith(("python/zkrevox/agents/greet/", "models/greet/", "circuits/greet/")) for p in added)
    assert all(after.get(path) == content for path, content in before.items())
