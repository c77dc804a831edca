"""Evaluate a built model the way it answers on-chain (``zkrevox evaluate <model>``).

Float answers come from the ONNX model (onnxruntime); quantized answers from the
circuit's own forward pass (``Prover.predict``), i.e. what a proof attests. The sets
are the agent's hand-written eval files (``models/<model>/eval/*.jsonl``, by file stem)
and its synthetic held-out split. The result goes into ``models/<model>/metrics.json``
under ``"quantized"``.
"""

from __future__ import annotations

import json

import numpy as np

from zkrevox.agents import get_agent
from zkrevox.model_files import exact_set_accuracy
from zkrevox.prover import Prover


def evaluate(prover: Prover, synthetic: int = 600) -> dict:
    """``{"circuit": {...}, <set>: {"prompts", "float_exact_set_accuracy", "quantized_exact_set_accuracy",
    "float_quantized_agreement"}}`` for each eval set and ``synthetic`` held-out prompts (0: none)."""
    import onnxruntime as ort

    from zkrevox.featurizer import featurize_batch
    from zkrevox.train import eval_sets, synthetic_heldout

    agent = get_agent(prover.name)
    session = ort.InferenceSession(str(prover.artifacts.model.onnx))
    sets = {name: ([e.prompt for e in ex], [e.labels for e in ex]) for name, ex in eval_sets(agent).items()}
    if synthetic:
        held = synthetic_heldout(agent, synthetic, prover.spec)
        sets["synthetic"] = ([e.prompt for e in held], [e.labels for e in held])
    result: dict = {"circuit": {k: prover.manifest[k] for k in ("logrows", "num_rows", "input_scale", "output_scale")}}
    for name, (prompts, gold) in sets.items():
        feats = np.asarray(featurize_batch(prompts, prover.spec), dtype=np.float32)
        float_pred = np.stack([session.run(None, {"features": f[None, :]})[0][0] > 0 for f in feats])
        quant_pred = np.asarray([[v > 0 for v in prover.predict(p).outputs] for p in prompts])
        result[name] = {
            "prompts": len(prompts),
            "float_exact_set_accuracy": exact_set_accuracy(float_pred, gold, prover.labels),
            "quantized_exact_set_accuracy": exact_set_accuracy(quant_pred, gold, prover.labels),
            "float_quantized_agreement": round(float((float_pred == quant_pred).all(axis=1).mean()), 4),
        }
    return result


def write_metrics(prover: Prover, result: dict) -> None:
    path = prover.artifacts.model.path / "metrics.json"
    metrics = json.loads(path.read_text())
    metrics["quantized"] = result
    path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")
