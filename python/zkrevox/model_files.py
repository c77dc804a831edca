"""A model folder: ``models/<name>/`` holds what training produced.

``model.onnx`` (batch 1, input ``features``), ``labels.json`` (output order),
``input_spec.json`` (the featurizer parameters, FEATURIZER.md), ``metrics.json``
and ``calibration.json`` (ezkl calibration inputs). Everything here is small
and committed; ``zkrevox train <name>`` regenerates it.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from zkrevox.agents import LabeledPrompt
from zkrevox.errors import ArtifactError, InputError
from zkrevox.featurize import FeatureSpec

REPO_ROOT = Path(__file__).resolve().parents[2]
MODELS_DIR = REPO_ROOT / "models"


def known_models() -> list[str]:
    """The models in ``models/``: folders holding a ``model.onnx``."""
    return sorted(p.parent.name for p in MODELS_DIR.glob("*/model.onnx"))


def model_dir(name: str) -> Path:
    path = MODELS_DIR / name
    if not (path / "model.onnx").is_file():
        raise ArtifactError(unknown_model_message(name))
    return path


def eval_file(name: str, file: str = "realistic.jsonl") -> Path:
    """``models/<name>/eval/<file>``: a hand-written eval set of model ``name``."""
    return MODELS_DIR / name / "eval" / file


def unknown_model_message(name: str) -> str:
    """Why ``name`` is no model, and what to type instead: the nearest known name, or the list."""
    import difflib

    from zkrevox.agents import agents

    known = known_models()
    close = difflib.get_close_matches(name, known, n=1, cutoff=0.6)
    if close:
        return f"no model {name!r} in {MODELS_DIR}; did you mean {close[0]!r}?"
    if name in agents():  # an agent whose model files were not generated yet
        return f"model {name!r} not found at {MODELS_DIR / name}; run `zkrevox train {name}`"
    return f"no model {name!r} in {MODELS_DIR}; known models: {', '.join(known) or 'none'}"


def labels_matrix(label_sets, labels) -> np.ndarray:
    """Multi-hot targets, float32 0/1, shape ``(len(label_sets), len(labels))`` in ``labels`` order."""
    y = np.zeros((len(label_sets), len(labels)), dtype=np.float32)
    index = {label: i for i, label in enumerate(labels)}
    for i, answer in enumerate(label_sets):
        for label in answer:
            y[i, index[label]] = 1.0
    return y


def exact_set_accuracy(pred: np.ndarray, label_sets, labels) -> float:
    """Share of rows whose predicted set (``pred``: bool, prompts × ``labels``) equals the gold set, 4 decimals."""
    gold = labels_matrix(label_sets, labels) > 0
    return round(float((np.asarray(pred) == gold).all(axis=1).mean()), 4)


def load_eval_set(path: Path, key: str, labels=None) -> list[LabeledPrompt]:
    """A hand-written eval set: one JSON object per line, ``{"prompt": str, <key>: [label, ...]}``.

    Labels come back in ``labels`` order when given. InputError naming the line for a malformed row
    or a label outside ``labels``."""
    out = []
    for number, line in enumerate(Path(path).read_text().splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            prompt, answer = row["prompt"], tuple(row[key])
        except (ValueError, KeyError, TypeError) as e:
            raise InputError(f"{path}:{number}: expected {{\"prompt\": ..., \"{key}\": [...]}} ({e})") from None
        if labels is not None:
            unknown = sorted(set(answer) - set(labels))
            if unknown:
                raise InputError(f"{path}:{number}: unknown label(s) {unknown}; the labels are {', '.join(labels)}")
            answer = tuple(label for label in labels if label in answer)
        out.append(LabeledPrompt(prompt, answer))
    return out


class ModelFiles:
    def __init__(self, path: Path) -> None:
        self.path = Path(path)

    @property
    def onnx(self) -> Path:
        return self.path / "model.onnx"

    def labels(self) -> list[str]:
        return json.loads((self.path / "labels.json").read_text())["labels"]

    def spec(self) -> FeatureSpec:
        return FeatureSpec.from_dict(json.loads((self.path / "input_spec.json").read_text()))

    def calibration(self) -> Path:
        return self.path / "calibration.json"

    def _batched_graph(self, batch: int):
        """The ONNX model with batch dimension ``batch``: its layers' weights do not depend on the
        batch size, so only the graph's input and output shapes change (no retraining, no PyTorch)."""
        import onnx

        graph = onnx.load(str(self.onnx))
        for value in [*graph.graph.input, *graph.graph.output]:
            value.type.tensor_type.shape.dim[0].dim_value = batch
        return graph

    def batched_onnx(self, batch: int, dest: Path) -> Path:
        """The same network with batch dimension ``batch`` (one proof answers ``batch`` prompts)."""
        import onnx

        graph = self._batched_graph(batch)
        onnx.checker.check_model(graph)
        onnx.save(graph, str(dest))
        return dest

    def packed_onnx(self, batch: int, digits: int, bits: int, dest: Path) -> Path:
        """The batch-``batch`` network taking its features privately and publishing them packed.

        A ReLU on the input (its decomposition range-checks each feature to [0, 2^bits)) feeds
        both the network and a constant matmul that packs ``digits`` features per word,
        ``bits`` bits apart: outputs ``packed`` (batch × ceil(F / digits)) then ``logits``.
        DPrompt rebuilds the packed words from the stored counts (FeaturePacking).
        """
        import onnx
        from onnx import TensorProto, helper, numpy_helper

        graph = self._batched_graph(batch)
        g = graph.graph
        features = g.input[0].name
        num_features = g.input[0].type.tensor_type.shape.dim[1].dim_value
        words = -(-num_features // digits)
        pack = np.zeros((num_features, words), dtype=np.float32)
        for i in range(num_features):
            pack[i, i // digits] = float(2 ** (bits * (i % digits)))  # powers of two: exact in float32
        for node in g.node:
            node.input[:] = ["features_checked" if v == features else v for v in node.input]
        g.node.insert(0, helper.make_node("Relu", [features], ["features_checked"]))
        g.initializer.append(numpy_helper.from_array(pack, "feature_packing"))
        g.node.append(helper.make_node("MatMul", ["features_checked", "feature_packing"], ["packed"]))
        logits = g.output[0]
        del g.output[:]
        g.output.append(helper.make_tensor_value_info("packed", TensorProto.FLOAT, [batch, words]))
        g.output.append(logits)
        onnx.checker.check_model(graph)
        onnx.save(graph, str(dest))
        return dest

    def write(self, model, spec: FeatureSpec, metrics: dict, calibration_prompts: list[str], labels) -> None:
        """Export ``model`` (PyTorch, features → one logit per label of ``labels``) and its files."""
        import torch

        from zkrevox.featurize import featurize

        self.path.mkdir(parents=True, exist_ok=True)
        model.eval()
        dummy = torch.zeros(1, spec.num_features)
        torch.onnx.export(
            model, (dummy,), str(self.onnx), input_names=["features"], output_names=["logits"],
            opset_version=17, dynamo=False,
        )
        (self.path / "labels.json").write_text(json.dumps({"labels": list(labels)}, indent=1) + "\n")
        (self.path / "input_spec.json").write_text(json.dumps(spec.to_dict(), indent=1) + "\n")
        (self.path / "metrics.json").write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
        feats = [featurize(p, spec) for p in calibration_prompts]
        (self.path / "calibration.json").write_text(
            json.dumps({"input_data": [[float(v) for row in feats for v in row]]}) + "\n"
        )
