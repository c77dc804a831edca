"""The intent agent (issue 11): which of 8 intents a prompt expresses (multi-label, possibly none).

- ``labels``: ``LABELS`` (output order) and what each means;
- ``vocabulary``: its featurizer tables (FEATURIZER.md version 2 with context classes; version 1);
- ``prompts``: the seeded training-prompt generator.

``zkrevox train|build|evaluate|predict|prove intent`` run it (``AGENT`` below); docs/INTENT.md
has its figures.
"""

from __future__ import annotations

from dataclasses import dataclass

from zkrevox.agents import Agent
from zkrevox.agents.intent.labels import DESCRIPTIONS, LABELS
from zkrevox.agents.intent.prompts import IntentPromptGenerator
from zkrevox.agents.intent.vocabulary import feature_spec, feature_spec_v2, vocabulary
from zkrevox.errors import InputError
from zkrevox.featurize import FeatureSpec
from zkrevox.train import TrainConfig


@dataclass(frozen=True)
class IntentTrainConfig(TrainConfig):
    train_prompts: int = 200_000
    heldout_prompts: int = 4_000
    hidden: int = 56  # 250 -> 56 -> 8 fits 2^14 rows; 64 would not
    epochs: int = 60
    trigram_buckets: int = 64
    fuzzy_min_len: int = 4
    featurizer_version: int = 2  # 1: vocabulary + trigrams; 2: shared slots, context classes, adjacency
    seed: int = 20261129  # the prompts; the synthetic held-out split uses seed + 1
    init_seed: int = 13
    param_scale: int = 7  # circuits/intent/circuit.json "scale": train on the circuit's grid (float = quantized)


def spec_for(config: TrainConfig) -> FeatureSpec:
    """The featurizer spec ``config`` asks for (``featurizer_version`` 2: the committed model's; 1: the first
    model's); another version is an ``InputError``."""
    version = getattr(config, "featurizer_version", IntentTrainConfig.featurizer_version)
    if version not in (1, 2):
        raise InputError(f"featurizer_version {version} is not 1 or 2 (the intent agent's featurizer versions)")
    build = feature_spec_v2 if version == 2 else feature_spec
    return build(trigram_buckets=getattr(config, "trigram_buckets", IntentTrainConfig.trigram_buckets),
                 fuzzy_min_len=getattr(config, "fuzzy_min_len", IntentTrainConfig.fuzzy_min_len))


AGENT = Agent(
    name="intent",
    labels=LABELS,
    answer_key="intents",
    train_config=IntentTrainConfig(),
    feature_spec=spec_for,
    generator=lambda seed, _config, _spec: IntentPromptGenerator(seed),
    eval_files=("realistic.jsonl", "dev_v3.jsonl"),
)

__all__ = ["AGENT", "DESCRIPTIONS", "LABELS", "IntentPromptGenerator", "IntentTrainConfig", "feature_spec",
           "feature_spec_v2", "spec_for", "vocabulary"]
