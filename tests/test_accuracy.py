"""The committed model against its bars, through the circuit's own (quantized) forward pass."""

from __future__ import annotations

import numpy as np
import onnxruntime as ort
import pytest

from zkrevox.featurizer import featurize_batch
from zkrevox.model_files import exact_set_accuracy, load_eval_set

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def realistic():
    return load_eval_set()


def test_quantized_answers_agree_with_float_and_meet_the_accuracy_bar(prover, realistic):
    prompts = [e.prompt for e in realistic]
    feats = np.asarray(featurize_batch(prompts, prover.spec), dtype=np.float32)
    session = ort.InferenceSession(str(prover.artifacts.model.onnx))
    float_pred = np.stack([session.run(None, {"features": f[None, :]})[0][0] > 0 for f in feats])
    quant_pred = np.asarray([[v > 0 for v in prover.predict(p).outputs] for p in prompts])
    agreement = float((float_pred == quant_pred).all(axis=1).mean())
    accuracy = exact_set_accuracy(quant_pred, [e.tickers for e in realistic])
    print(f"realistic held-out: quantized exact-set accuracy {accuracy:.4f}, float/quantized agreement {agreement:.4f}")
    assert agreement >= 0.995
    assert accuracy >= 0.90
