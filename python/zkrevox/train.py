"""Train an agent's classifier and export it to ONNX (``zkrevox train <agent>``).

Generic: the agent (``zkrevox.agents``) gives the label set, the featurizer spec, the
seeded prompt generator and the config; this module trains the network (features →
Linear → square → Linear → one logit per label, BCE), measures it on the synthetic
held-out split and the agent's hand-written eval sets, and writes ``models/<name>/``.
Deterministic: fixed seeds for data, initialisation and batch order, one thread.
PyTorch is imported here only; nothing on the proving path needs it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from zkrevox.agents import Agent, LabeledPrompt
from zkrevox.errors import InputError
from zkrevox.featurize import FeatureSpec
from zkrevox.featurizer import featurize_array
from zkrevox.model_files import ModelFiles, eval_file, exact_set_accuracy, labels_matrix, load_eval_set

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class TrainConfig:
    """What every agent's training takes; an agent subclasses it for its featurizer's parameters."""

    train_prompts: int = 60_000
    heldout_prompts: int = 4_000
    hidden: int = 32
    activation: str = "square"  # "square" (no lookups in the circuit) or "relu"
    epochs: int = 30
    batch_size: int = 256
    learning_rate: float = 3e-3
    weight_decay: float = 1e-5
    seed: int = 1  # the prompts: training set (seed) and synthetic held-out set (seed + 1)
    init_seed: int = 13  # weights' initialisation and batch order
    # Train on the circuit's fixed-point grid (circuits/<name>/circuit.json "scale"): weights rounded
    # to 2^-param_scale in the forward pass (straight-through gradient), exported rounded, so the
    # circuit computes the ONNX model exactly and float = quantized. 0: plain float training.
    param_scale: int = 0


def build_model(num_features: int, num_labels: int, config: TrainConfig):
    """features -> Linear -> activation -> Linear -> logits (``hidden == 0``: one Linear).

    The square activation is what the circuit is sized around: ``x * x`` is one
    multiplication gate per unit, where ReLU needs a sign decomposition and two range
    check lookups per unit. At 42 hidden units the circuit fits 2^13 rows without
    lookups (README, The circuit); the accuracy bar is the ReLU-64 model's.
    """
    import torch

    class Square(torch.nn.Module):
        """``x * x``: exported to ONNX as one Mul node."""

        def forward(self, x):
            return x * x

    if not config.hidden:
        return torch.nn.Sequential(torch.nn.Linear(num_features, num_labels))
    activations = {"square": Square, "relu": torch.nn.ReLU}
    if config.activation not in activations:
        raise InputError(f"unknown activation {config.activation!r}; choose one of {sorted(activations)}")
    return torch.nn.Sequential(
        torch.nn.Linear(num_features, config.hidden),
        activations[config.activation](),
        torch.nn.Linear(config.hidden, num_labels),
    )


def round_to_grid(model, param_scale: int) -> None:
    """Make ``model``'s Linear layers compute on the circuit's grid: every weight a multiple of
    ``2^-param_scale``, the first bias of ``2^-2·param_scale`` (inputs are integers at the same
    scale; ezkl quantizes a bias at its layer's input scale plus the parameter scale). The rounding
    is a ``torch.nn.utils.parametrize`` parametrization with a straight-through gradient; call
    :func:`bake_grid` before export. The square network's later scales are exact (no rescale)."""
    import torch
    from torch.nn.utils import parametrize

    class Round(torch.nn.Module):
        def __init__(self, bits: int) -> None:
            super().__init__()
            self.step = float(2**bits)

        def forward(self, w):
            return w + (torch.round(w * self.step) / self.step - w).detach()

    layers = [m for m in model.modules() if isinstance(m, torch.nn.Linear)]
    for i, layer in enumerate(layers):
        parametrize.register_parametrization(layer, "weight", Round(param_scale))
        if i == 0:
            parametrize.register_parametrization(layer, "bias", Round(2 * param_scale))


def bake_grid(model) -> None:
    """Replace :func:`round_to_grid`'s parametrizations by their rounded values (plain Linears)."""
    from torch.nn.utils import parametrize

    for layer in model.modules():
        for name in list(getattr(layer, "parametrizations", {}) or {}):
            parametrize.remove_parametrizations(layer, name, leave_parametrized=True)


def model_name(num_features: int, num_labels: int, config: TrainConfig) -> str:
    if not config.hidden:
        return f"linear {num_features}-{num_labels}"
    return f"mlp {num_features}-{config.hidden}-{num_labels} ({config.activation})"


def featurize_many(prompts: list[str], spec: FeatureSpec) -> np.ndarray:
    """Float32 features, prompts × ``spec.num_features``, from the Rust featurizer (equal to the
    reference ``zkrevox.featurize``: tests/test_featurizer_parity.py)."""
    return featurize_array(prompts, spec).astype(np.float32)


def fit_model(model, x, y, config, progress: bool = True) -> None:
    """Train ``model`` in place on features ``x`` (N × F float32 tensor) and multi-hot labels ``y``
    (N × L): Adam with a one-cycle learning rate, binary cross-entropy on the logits, shuffled
    by ``config.init_seed``. ``config`` gives ``learning_rate``, ``weight_decay``, ``epochs``,
    ``batch_size`` and ``init_seed`` (a :class:`TrainConfig` or an agent's own config)."""
    import torch

    opt = torch.optim.Adam(model.parameters(), lr=config.learning_rate, weight_decay=config.weight_decay)
    steps_per_epoch = -(-len(x) // config.batch_size)
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        opt, max_lr=3 * config.learning_rate, total_steps=config.epochs * steps_per_epoch
    )
    gen = torch.Generator().manual_seed(config.init_seed)
    for epoch in range(config.epochs):
        perm = torch.randperm(len(x), generator=gen)
        total = 0.0
        for i in range(0, len(perm), config.batch_size):
            idx = perm[i : i + config.batch_size]
            loss = torch.nn.functional.binary_cross_entropy_with_logits(model(x[idx]), y[idx])
            opt.zero_grad()
            loss.backward()
            opt.step()
            schedule.step()
            total += loss.item() * len(idx)
        if progress:
            log.info("epoch %d/%d loss %.4f", epoch + 1, config.epochs, total / len(perm))


def eval_sets(agent: Agent) -> dict[str, list[LabeledPrompt]]:
    """The agent's hand-written eval sets, by file stem (``realistic``, ``hard``)."""
    return {
        Path(f).stem: load_eval_set(eval_file(agent.name, f), agent.answer_key, agent.labels)
        for f in agent.eval_files
    }


def training_set(agent: Agent, config: TrainConfig, spec: FeatureSpec) -> list[LabeledPrompt]:
    """``config.train_prompts`` generated examples (seed ``config.seed``), none equal (ignoring case)
    to a prompt of the agent's eval sets: those are never trained on."""
    held_out = {e.prompt.lower() for examples in eval_sets(agent).values() for e in examples}
    gen = agent.generator(config.seed, config, spec)
    out: list[LabeledPrompt] = []
    while len(out) < config.train_prompts:
        batch = gen.generate(config.train_prompts - len(out), spec.max_bytes)  # type: ignore[attr-defined]
        out.extend(e for e in batch if e.prompt.lower() not in held_out)
    return out


def synthetic_heldout(agent: Agent, n: int, spec: FeatureSpec, config: TrainConfig | None = None
                      ) -> list[LabeledPrompt]:
    """The first ``n`` prompts of training's synthetic held-out split (seed ``config.seed + 1``, never
    trained on); ``config`` defaults to the agent's committed one."""
    config = config or agent.train_config
    return agent.examples(config.seed + 1, n, spec, config)


def train(out_dir: Path, agent: Agent, config: TrainConfig | None = None, progress: bool = True) -> dict:
    """Train ``agent``'s model with ``config`` (default: the agent's), measure it, write ``out_dir``;
    returns the metrics written to ``metrics.json``."""
    import torch

    config = config or agent.train_config
    # One thread: on this shared machine (load 14 on 2 cores) two threads spun against each other
    # and 60k prompts x 30 epochs did not finish in 15 minutes; one thread takes 0.6 s an epoch.
    torch.set_num_threads(1)
    spec = agent.feature_spec(config)
    labels = agent.labels
    t0 = time.monotonic()
    train_set = training_set(agent, config, spec)
    heldout = synthetic_heldout(agent, config.heldout_prompts, spec, config)
    x_train = torch.tensor(featurize_many([e.prompt for e in train_set], spec))
    y_train = torch.tensor(labels_matrix([e.labels for e in train_set], labels))
    log.info("generated and featurized %d prompts in %.1fs", len(train_set), time.monotonic() - t0)

    torch.manual_seed(config.init_seed)
    model = build_model(spec.num_features, len(labels), config)
    if config.param_scale:
        round_to_grid(model, config.param_scale)
    fit_model(model, x_train, y_train, config, progress)
    bake_grid(model)
    model.eval()

    def accuracy(examples: list[LabeledPrompt]) -> float:
        with torch.no_grad():
            pred = model(torch.tensor(featurize_many([e.prompt for e in examples], spec))).numpy() > 0
        return exact_set_accuracy(pred, [e.labels for e in examples], labels)

    measured: dict = {"synthetic_heldout_exact_set_accuracy": accuracy(heldout)}
    for name, examples in eval_sets(agent).items():
        measured[f"{name}_heldout_exact_set_accuracy"] = accuracy(examples)
        measured[f"{name}_heldout_prompts"] = len(examples)
    metrics = {
        "features": spec.num_features,
        "vocab_words": len(spec.vocab),
        "trigram_buckets": spec.trigram_buckets,
        "hidden": config.hidden,
        "labels": len(labels),
        "train_prompts": len(train_set),
        "float": measured,
        **(agent.metrics() if agent.metrics else {}),
        "config": asdict(config),
        "model": model_name(spec.num_features, len(labels), config),
    }
    ModelFiles(out_dir).write(model, spec, metrics, [e.prompt for e in heldout[:64]], labels)
    log.info("wrote %s", out_dir)
    return metrics


def dump(metrics: dict) -> str:
    return json.dumps(metrics, indent=2, sort_keys=True)
