"""The committed intent model against its bar on the hand-written realistic set (never trained on)."""

from __future__ import annotations

import json

import numpy as np
import pytest

from zkrevox.agents.intent.data import MODEL_DIR, exact_set_accuracy, load_eval_set, onnx_path
from zkrevox.featurizer import featurize_array
from zkrevox.model_files import ModelFiles


def float_accuracy() -> float:
    import onnxruntime as ort

    spec = ModelFiles(MODEL_DIR).spec()
    session = ort.InferenceSession(str(onnx_path()))
    examples = load_eval_set()
    feats = featurize_array([e.prompt for e in examples], spec).astype(np.float32)
    pred = np.stack([session.run(None, {"features": f[None, :]})[0][0] > 0 for f in feats])
    return exact_set_accuracy(pred, [e.intents for e in examples])


def test_float_model_meets_the_bar_and_its_committed_figure():
    accuracy = float_accuracy()
    assert accuracy >= 0.90
    committed = json.loads((MODEL_DIR / "metrics.json").read_text())["float"]
    assert committed["realistic_heldout_exact_set_accuracy"] == accuracy


@pytest.mark.slow
def test_quantized_answers_meet_the_bar_and_match_the_committed_figures():
    from zkrevox.agents.intent.quantize import evaluate

    committed = json.loads((MODEL_DIR / "metrics.json").read_text())["quantized"]
    fresh = evaluate(MODEL_DIR, synthetic=0)
    assert fresh["realistic"]["quantized_exact_set_accuracy"] >= 0.90
    assert fresh["realistic"] == committed["realistic"]
    assert fresh["circuit"]["logrows"] == committed["circuit"]["logrows"]
