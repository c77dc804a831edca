"""The intent model quantized the way its circuit answers: ezkl settings, calibration, compile, witness.

``python -m zkrevox.agents.intent.quantize`` compiles ``models/intent/model.onnx``
with the ticker circuit's run arguments (``CIRCUIT`` below: scale 7, fixed
params, public features and logits, calibrated for resources) into a scratch
directory, then answers every prompt of the realistic set (and a synthetic
held-out sample) through ``ezkl.gen_witness``, the circuit's own forward pass:
the answer a proof would attest. ``--prove PROMPT`` also sets up the circuit with an
insecure dev SRS and proves one prompt (prove time; checked by plain ``ezkl.verify``);
artifacts, verifier contract and gas need the generic ``zkrevox build`` to know the
agent (docs/INTENT.md). The result goes into
``models/intent/metrics.json`` under ``"quantized"`` with ``--write``.
"""

from __future__ import annotations

import argparse
import json
import logging
import tempfile
import time
from pathlib import Path

import numpy as np

from zkrevox.agents.intent.data import MODEL_DIR, exact_set_accuracy, load_eval_set, onnx_path
from zkrevox.agents.intent.train import IntentTrainConfig, synthetic_heldout
from zkrevox.circuit import MAX_LOGROWS, _await, fit_logrows, run_args
from zkrevox.encoding import instances_to_ints
from zkrevox.featurizer import featurize_array
from zkrevox.model_files import ModelFiles

log = logging.getLogger(__name__)

# What circuits/intent/circuit.json will hold (the ticker's run arguments; no feature packing yet).
CIRCUIT: dict = {
    "input_visibility": "public",
    "output_visibility": "public",
    "param_visibility": "fixed",
    "scale": 7,
    "decomp_base": 1024,
    "decomp_legs": 3,
    "num_inner_cols": 1,
    "logrows": 13,
    "ignore_range_check_inputs_outputs": True,
    "calibration_target": "resources",
}


def compile_circuit(model: ModelFiles, work: Path, config: dict = CIRCUIT) -> dict:
    """gen_settings → calibrate → fit logrows → compile into ``work``; returns the circuit figures."""
    import ezkl

    settings, compiled, onnx = work / "settings.json", work / "model.compiled", str(onnx_path(model.path))
    t0 = time.monotonic()
    ezkl.gen_settings(onnx, str(settings), py_run_args=run_args(config))
    _await(ezkl.calibrate_settings(
        str(model.calibration()), onnx, str(settings), config["calibration_target"],
        scales=[config["scale"]], max_logrows=MAX_LOGROWS,
    ))
    fit_logrows(settings, config)
    ezkl.compile_circuit(onnx, str(compiled), str(settings))
    s = json.loads(settings.read_text())
    return {
        "logrows": s["run_args"]["logrows"],
        "num_rows": s.get("num_rows"),
        "input_scale": s["run_args"]["input_scale"],
        "output_scale": s["model_output_scales"][-1],
        "compile_seconds": round(time.monotonic() - t0, 1),
    }


def circuit_logits(features: np.ndarray, compiled: Path, work: Path) -> np.ndarray:
    """Signed integer logits (at the output scale), prompts × labels, one ``gen_witness`` per prompt."""
    import ezkl

    rows = []
    for row in features:
        data = work / "input.json"
        data.write_text(json.dumps({"input_data": [[float(v) for v in row]]}))
        witness = _await(ezkl.gen_witness(str(data), str(compiled), str(work / "witness.json")))
        rows.append(instances_to_ints(witness["outputs"][-1]))
    return np.asarray(rows, dtype=object)


def prove_once(model_dir: Path, prompt: str, work: Path) -> dict:
    """Setup (insecure dev SRS, as ``zkrevox build`` without ``--srs``), prove one prompt, check it with
    plain ``ezkl.verify``: the circuit's proving figures. ``work`` must hold ``compile_circuit``'s output."""
    import ezkl

    from zkrevox.srs import provide_srs

    model = ModelFiles(model_dir)
    settings = json.loads((work / "settings.json").read_text())
    srs, vk, pk = work / "kzg.srs", work / "vk.key", work / "pk.key"
    provide_srs(srs, settings["run_args"]["logrows"], None, None)
    t0 = time.monotonic()
    ezkl.setup(str(work / "model.compiled"), str(vk), str(pk), str(srs))
    setup_seconds = round(time.monotonic() - t0, 1)
    feats = featurize_array([prompt], model.spec()).astype(np.float32)
    outputs = circuit_logits(feats, work / "model.compiled", work)[0]
    t0 = time.monotonic()
    ezkl.prove(str(work / "witness.json"), str(work / "model.compiled"), str(pk), str(work / "proof.json"), str(srs))
    prove_seconds = round(time.monotonic() - t0, 2)
    verified = bool(ezkl.verify(str(work / "proof.json"), str(work / "settings.json"), str(vk), str(srs)))
    return {
        "prompt": prompt,
        "intents": [label for label, v in zip(json.loads((model_dir / "labels.json").read_text())["labels"],
                                               outputs, strict=True) if v > 0],
        "setup_seconds": setup_seconds,
        "prove_seconds": prove_seconds,
        "verified": verified,
    }


def evaluate(model_dir: Path = MODEL_DIR, synthetic: int = 300, prove: str | None = None) -> dict:
    """Float (onnxruntime) and quantized (circuit witness) exact-set accuracy and their agreement."""
    import onnxruntime as ort

    model = ModelFiles(model_dir)
    spec = model.spec()
    session = ort.InferenceSession(str(onnx_path(model_dir)))
    realistic = load_eval_set()
    sets = {"realistic": ([e.prompt for e in realistic], [e.intents for e in realistic])}
    if synthetic:
        held = synthetic_heldout(synthetic, IntentTrainConfig(), spec.max_bytes)
        sets["synthetic"] = ([e.prompt for e in held], [e.intents for e in held])
    with tempfile.TemporaryDirectory() as tmp:
        work = Path(tmp)
        result: dict = {"circuit": compile_circuit(model, work)}
        for name, (prompts, gold) in sets.items():
            feats = featurize_array(prompts, spec).astype(np.float32)
            float_pred = np.stack([session.run(None, {"features": f[None, :]})[0][0] > 0 for f in feats])
            quant_pred = circuit_logits(feats, work / "model.compiled", work) > 0
            quant_pred = quant_pred.astype(bool)
            result[name] = {
                "prompts": len(prompts),
                "float_exact_set_accuracy": exact_set_accuracy(float_pred, gold),
                "quantized_exact_set_accuracy": exact_set_accuracy(quant_pred, gold),
                "float_quantized_agreement": round(float((float_pred == quant_pred).all(axis=1).mean()), 4),
            }
        if prove:
            result["proof"] = prove_once(Path(model_dir), prove, work)
    return result


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description="Quantized (circuit) accuracy of models/intent.")
    parser.add_argument("--model-dir", type=Path, default=MODEL_DIR)
    parser.add_argument("--synthetic", type=int, default=300, help="synthetic held-out prompts (0: none)")
    parser.add_argument("--write", action="store_true", help="store the result in metrics.json under 'quantized'")
    parser.add_argument("--prove", metavar="PROMPT",
                        help="also set up (dev SRS) and prove PROMPT, checked by ezkl.verify")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(message)s")
    result = evaluate(args.model_dir, args.synthetic, args.prove)
    print(json.dumps(result, indent=2, sort_keys=True))
    if args.write:
        path = args.model_dir / "metrics.json"
        metrics = json.loads(path.read_text())
        metrics["quantized"] = result
        path.write_text(json.dumps(metrics, indent=2, sort_keys=True) + "\n")


if __name__ == "__main__":
    main()
