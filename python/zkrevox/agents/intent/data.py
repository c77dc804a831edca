"""The intent agent's files in ``models/intent/``: its eval set and label matrices.

Glue the generic ``zkrevox.model_files`` will absorb once it takes an agent's
label set (docs/INTENT.md): today its ``labels_matrix``/``load_eval_set`` know
the ticker's labels and eval file only.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from zkrevox.agents.intent.labels import LABELS, ordered
from zkrevox.errors import InputError
from zkrevox.model_files import MODELS_DIR

MODEL_DIR = MODELS_DIR / "intent"
EVAL_FILE = MODEL_DIR / "eval" / "realistic.jsonl"
ONNX_FILE = "model.onnx"


def onnx_path(model_dir: Path = MODEL_DIR) -> Path:
    return Path(model_dir) / ONNX_FILE


@dataclass(frozen=True)
class IntentEvalExample:
    prompt: str
    intents: tuple[str, ...]


def load_eval_set(path: Path = EVAL_FILE) -> list[IntentEvalExample]:
    """The hand-written realistic set: one JSON object per line, ``{"prompt": str, "intents": [label, ...]}``.

    Raises ``InputError`` naming the line for a malformed row or a label outside ``LABELS``."""
    out = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            prompt, intents = row["prompt"], row["intents"]
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(f"{path}:{number}: expected {{\"prompt\": ..., \"intents\": [...]}} ({e})") from None
        try:
            out.append(IntentEvalExample(prompt, ordered(intents)))
        except InputError as e:
            raise InputError(f"{path}:{number}: {e}") from None
    return out


def labels_matrix(label_sets) -> np.ndarray:
    """Multi-hot targets, shape ``(len(label_sets), len(LABELS))``, float32 0/1 in ``LABELS`` order."""
    y = np.zeros((len(label_sets), len(LABELS)), dtype=np.float32)
    for i, intents in enumerate(label_sets):
        for label in intents:
            y[i, LABELS.index(label)] = 1.0
    return y


def exact_set_accuracy(pred: np.ndarray, label_sets) -> float:
    """Share of rows whose predicted set (``pred``: bool, prompts × labels) equals the gold set, 4 decimals."""
    gold = labels_matrix(label_sets) > 0
    return round(float((np.asarray(pred) == gold).all(axis=1).mean()), 4)


def decode(row) -> list[str]:
    """The intents of one logit row: every label whose logit is strictly positive."""
    return [label for label, v in zip(LABELS, row, strict=True) if v > 0]
