"""Agents: one package per agent under ``zkrevox.agents``, found by discovery.

An agent is two folders: ``models/<name>/`` (what training wrote: ``model.onnx``,
``labels.json``, ``input_spec.json``, ``metrics.json``, ``calibration.json``, and its
hand-written eval sets in ``eval/*.jsonl``) and ``python/zkrevox/agents/<name>/``, a
package whose ``__init__`` defines ``AGENT``, an :class:`Agent`: its label set, the
JSON key its answers go under, its featurizer spec and its seeded training-prompt
generator. The circuit's run arguments are ``circuits/<name>/circuit.json``.
``zkrevox train|build|evaluate|predict|prove|verify|publish NAME`` then run it; the
generic modules (``zkrevox.train``, ``evaluate``, ``prover``, ``proof``, the CLI) know
agents only through this registry (README, Adding an agent).
"""

from __future__ import annotations

import importlib
import pkgutil
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import TYPE_CHECKING

from zkrevox.errors import InputError

if TYPE_CHECKING:
    from zkrevox.featurize import FeatureSpec
    from zkrevox.train import TrainConfig

DEFAULT_ANSWER_KEY = "labels"  # the answer's JSON key for a model with no agent package


@dataclass(frozen=True)
class LabeledPrompt:
    """A prompt and its gold answer: label names in the agent's label order."""

    prompt: str
    labels: tuple[str, ...]


@dataclass(frozen=True)
class Agent:
    """What the generic pipeline needs to know of one agent.

    - ``name``: its folder name under ``models/``, ``circuits/`` and ``zkrevox.agents``;
    - ``labels``: the model's outputs, in order (``models/<name>/labels.json`` is written from it);
    - ``answer_key``: the JSON key of an answer (``"tickers"``, ``"intents"``) in ``predict``/``prove``
      output and ``answer.json``;
    - ``train_config``: the committed training configuration, a :class:`zkrevox.train.TrainConfig`
      (or a subclass with the agent's own fields);
    - ``feature_spec(config)``: the featurizer parameters (FEATURIZER.md) that config asks for;
    - ``generator(seed, config, spec)``: an object whose ``generate(n, max_bytes)`` returns ``n``
      :class:`LabeledPrompt` (deterministic for a seed). Training uses ``config.seed``, the synthetic
      held-out split ``config.seed + 1``;
    - ``eval_files``: file names under ``models/<name>/eval/``, one JSON object per line
      ``{"prompt": str, <answer_key>: [label, ...]}``, hand-written and never trained on;
      the first is the set ``tests/test_accuracy.py`` holds to ``accuracy_bar``;
    - ``metrics``: extra fields for ``metrics.json`` (e.g. the token list's version), or None.
    """

    name: str
    labels: tuple[str, ...]
    answer_key: str
    train_config: TrainConfig
    feature_spec: Callable[[TrainConfig], FeatureSpec]
    generator: Callable[[int, TrainConfig, FeatureSpec], object]
    eval_files: Sequence[str] = ("realistic.jsonl",)
    accuracy_bar: float = 0.9
    metrics: Callable[[], dict] | None = field(default=None, compare=False)

    def examples(self, seed: int, n: int, spec: FeatureSpec, config: TrainConfig | None = None) -> list[LabeledPrompt]:
        """``n`` generated prompts of ``1..spec.max_bytes`` bytes with their labels, for ``seed``."""
        gen = self.generator(seed, config or self.train_config, spec)
        return list(gen.generate(n, spec.max_bytes))  # type: ignore[attr-defined]


@cache
def agents() -> dict[str, Agent]:
    """Every agent package under ``zkrevox.agents`` (each subpackage's ``AGENT``), by name."""
    found: dict[str, Agent] = {}
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda i: i.name):
        if not info.ispkg:
            continue
        module = importlib.import_module(f"{__name__}.{info.name}")
        agent = getattr(module, "AGENT", None)
        if not isinstance(agent, Agent):
            raise InputError(f"agent package {module.__name__} defines no AGENT = Agent(...) (README, Adding an agent)")
        if agent.name != info.name:
            raise InputError(f"agent package {module.__name__} names its agent {agent.name!r}; name it {info.name!r}")
        found[agent.name] = agent
    return found


def get_agent(name: str) -> Agent:
    """The agent ``name``; InputError naming the known agents otherwise."""
    known = agents()
    if name not in known:
        raise InputError(
            f"no agent {name!r} (a package zkrevox.agents.{name} defining AGENT); known agents: "
            f"{', '.join(known) or 'none'}"
        )
    return known[name]


def answer_key(name: str) -> str:
    """The JSON key of model ``name``'s answers: its agent's, or ``"labels"`` for a model without one."""
    agent = agents().get(name)
    return agent.answer_key if agent else DEFAULT_ANSWER_KEY
