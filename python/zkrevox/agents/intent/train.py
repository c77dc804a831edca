"""Train the intent classifier and export it to ``models/intent/``.

``python -m zkrevox.agents.intent.train`` (``zkrevox train intent`` once the
generic trainer takes an agent, docs/INTENT.md). The network is the ticker's
family (``zkrevox.train.build_model``: features → Linear → square → Linear),
its last layer sized for the 8 intents. Deterministic: fixed seeds for the
prompts, the initialisation and the batch order, two threads.
"""

from __future__ import annotations

import argparse
import json
import logging
import time
from dataclasses import asdict, dataclass, replace
from pathlib import Path

import numpy as np

from zkrevox.agents.intent.data import MODEL_DIR, exact_set_accuracy, labels_matrix, load_eval_set
from zkrevox.agents.intent.labels import LABELS
from zkrevox.agents.intent.prompts import IntentPromptGenerator
from zkrevox.agents.intent.vocabulary import feature_spec
from zkrevox.featurize import FeatureSpec
from zkrevox.featurizer import featurize_array
from zkrevox.model_files import ModelFiles
from zkrevox.train import TrainConfig, build_model, fit_model

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IntentTrainConfig:
    train_prompts: int = 120_000
    heldout_prompts: int = 4_000
    hidden: int = 32
    activation: str = "square"
    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 3e-3
    weight_decay: float = 1e-5
    trigram_buckets: int = 64
    fuzzy_min_len: int = 4
    seed: int = 20261129  # the prompts; the synthetic held-out split uses seed + 1
    init_seed: int = 13


def spec_for(config: IntentTrainConfig) -> FeatureSpec:
    return feature_spec(trigram_buckets=config.trigram_buckets, fuzzy_min_len=config.fuzzy_min_len)


def features(prompts: list[str], spec: FeatureSpec) -> np.ndarray:
    """Float32 features, prompts × ``spec.num_features``, from the Rust featurizer (== the reference,
    tests/test_featurizer_parity.py)."""
    return featurize_array(prompts, spec).astype(np.float32)


def synthetic_heldout(n: int, config: IntentTrainConfig, max_bytes: int = 192):
    """Generated with ``seed + 1``: never trained on."""
    return IntentPromptGenerator(config.seed + 1).generate(n, max_bytes)


def training_set(config: IntentTrainConfig, max_bytes: int = 192) -> list:
    """``config.train_prompts`` generated examples, none equal (ignoring case) to a prompt of the
    realistic eval set: short canonical prompts ("eth price?", "gm") are generated too, and the eval
    set is never trained on."""
    held_out = {e.prompt.lower() for e in load_eval_set()}
    gen = IntentPromptGenerator(config.seed)
    out: list = []
    while len(out) < config.train_prompts:
        batch = gen.generate(config.train_prompts - len(out), max_bytes)
        out.extend(e for e in batch if e.prompt.lower() not in held_out)
    return out


def fit(config: IntentTrainConfig, progress: bool = True):
    """Train; returns ``(model, spec)``. The model outputs logits, one per label in ``LABELS`` order."""
    import torch

    torch.set_num_threads(2)
    spec = spec_for(config)
    t0 = time.monotonic()
    train_set = training_set(config, spec.max_bytes)
    x = torch.tensor(features([e.prompt for e in train_set], spec))
    y = torch.tensor(labels_matrix([e.intents for e in train_set]))
    log.info("generated and featurized %d prompts in %.1fs", len(train_set), time.monotonic() - t0)

    torch.manual_seed(config.init_seed)
    generic = TrainConfig(hidden=config.hidden, activation=config.activation)
    model = build_model(spec.num_features, generic)
    # build_model sizes its output for the ticker's labels; the intent agent has its own.
    model[-1] = torch.nn.Linear(config.hidden, len(LABELS)) if config.hidden else torch.nn.Linear(
        spec.num_features, len(LABELS)
    )
    fit_model(model, x, y, config, progress)
    model.eval()
    return model, spec, train_set


def predict(model, prompts: list[str], spec: FeatureSpec) -> np.ndarray:
    """Bool, prompts × labels: a label is in the answer iff its logit is strictly positive."""
    import torch

    with torch.no_grad():
        return model(torch.tensor(features(prompts, spec))).numpy() > 0


def train(out_dir: Path = MODEL_DIR, config: IntentTrainConfig | None = None, progress: bool = True) -> dict:
    """Train, measure (synthetic held-out and the realistic set), write ``out_dir``; returns the metrics."""
    config = config or IntentTrainConfig()
    model, spec, train_set = fit(config, progress)
    heldout = synthetic_heldout(config.heldout_prompts, config, spec.max_bytes)
    realistic = load_eval_set()
    metrics = {
        "features": spec.num_features,
        "vocab_words": len(spec.vocab),
        "trigram_buckets": spec.trigram_buckets,
        "hidden": config.hidden,
        "labels": len(LABELS),
        "train_prompts": len(train_set),
        "float": {
            "synthetic_heldout_exact_set_accuracy": exact_set_accuracy(
                predict(model, [e.prompt for e in heldout], spec), [e.intents for e in heldout]
            ),
            "realistic_heldout_exact_set_accuracy": exact_set_accuracy(
                predict(model, [e.prompt for e in realistic], spec), [e.intents for e in realistic]
            ),
            "realistic_heldout_prompts": len(realistic),
        },
        "config": asdict(config),
        "model": f"mlp {spec.num_features}-{config.hidden}-{len(LABELS)} ({config.activation})",
    }
    files = ModelFiles(out_dir)
    files.write(model, spec, metrics, [e.prompt for e in heldout[:64]])
    # ModelFiles.write writes the ticker's labels (zkrevox.tickers.LABELS); the intent agent's replace them.
    (Path(out_dir) / "labels.json").write_text(json.dumps({"labels": list(LABELS)}, indent=1) + "\n")
    log.info("wrote %s", out_dir)
    return metrics


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Train the intent agent and write models/intent/.")
    parser.add_argument("--out", type=Path, default=MODEL_DIR, help="model folder (default: models/intent)")
    parser.add_argument("--epochs", type=int, help="override the committed config's epochs")
    parser.add_argument("--hidden", type=int, help="override the committed config's hidden units")
    parser.add_argument("--train-prompts", type=int, help="override the committed config's training prompts")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    config = IntentTrainConfig()
    overrides = {"epochs": args.epochs, "hidden": args.hidden, "train_prompts": args.train_prompts}
    config = replace(config, **{k: v for k, v in overrides.items() if v is not None})
    print(json.dumps(train(args.out, config), indent=2, sort_keys=True))


if __name__ == "__main__":
    main()
