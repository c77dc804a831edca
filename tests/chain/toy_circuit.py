"""A small real ezkl circuit with the ticker featurizer's input width, for the chain tests.

It has nothing to do with ticker accuracy: a fixed random MLP (F -> 16 -> 42) whose public
inputs are the features at input scale 2 and whose public outputs are 42 logits, i.e. exactly
the instance layout DPrompt derives. Building it (settings, compile, dev SRS, keys, verifier)
takes ~10 s and is cached under build/chain-tests/, keyed by everything it depends on; proofs
are cached there too, keyed by prompt.
"""

from __future__ import annotations

import asyncio
import hashlib
import inspect
import json
from dataclasses import dataclass
from pathlib import Path

from zkrevox.chain.evm_verifier import generate_verifier
from zkrevox.chain.paths import build_dir
from zkrevox.chain.proofs import ChainProof
from zkrevox.featurize import FeatureSpec, featurize

TOY_VERSION = "toy-v1"
HIDDEN = 16
NUM_OUTPUTS = 42
INPUT_SCALE = 2


def _await(value):
    if inspect.isawaitable(value):
        async def run():
            return await value
        return asyncio.run(run())
    return value


@dataclass
class ToyCircuit:
    dir: Path
    spec: FeatureSpec
    input_scale: int = INPUT_SCALE
    num_outputs: int = NUM_OUTPUTS

    @property
    def verifier_sol(self) -> Path:
        return self.dir / "ToyVerifier.sol"

    @property
    def vk_sha256(self) -> str:
        return hashlib.sha256((self.dir / "vk.key").read_bytes()).hexdigest()

    def prove(self, prompt: str) -> ChainProof:
        return ChainProof.from_file(self.proof_file(prompt))

    def proof_file(self, prompt: str) -> Path:
        """An ezkl proof.json for ``prompt`` (made once, then cached)."""
        import ezkl

        key = hashlib.sha256(prompt.encode()).hexdigest()[:16]
        proof_path = self.dir / "proofs" / f"{key}.json"
        if not proof_path.is_file():
            work = self.dir / "proofs" / f"{key}.work"
            work.mkdir(parents=True, exist_ok=True)
            x = featurize(prompt, self.spec)
            (work / "input.json").write_text(json.dumps({"input_data": [[float(v) for v in x]]}))
            _await(ezkl.gen_witness(str(work / "input.json"), str(self.dir / "network.ezkl"),
                                    str(work / "witness.json")))
            ezkl.prove(str(work / "witness.json"), str(self.dir / "network.ezkl"), str(self.dir / "pk.key"),
                       str(work / "proof.json"), str(self.dir / "kzg.srs"))
            (work / "proof.json").replace(proof_path)
        return proof_path


def build_toy(spec: FeatureSpec) -> ToyCircuit:
    import ezkl
    import numpy as np
    import onnx
    from onnx import TensorProto, helper, numpy_helper

    n_in = spec.num_features
    key = hashlib.sha256(json.dumps([TOY_VERSION, ezkl.__version__, spec.to_dict()], sort_keys=True).encode())
    out = build_dir() / "chain-tests" / key.hexdigest()[:16]
    toy = ToyCircuit(out, spec)
    if (out / "done").is_file():
        return toy
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(20261123)
    init = [
        numpy_helper.from_array((rng.standard_normal((n_in, HIDDEN)) * 0.5).astype(np.float32), "w1"),
        numpy_helper.from_array((rng.standard_normal(HIDDEN) * 0.1).astype(np.float32), "b1"),
        numpy_helper.from_array((rng.standard_normal((HIDDEN, NUM_OUTPUTS)) * 0.5).astype(np.float32), "w2"),
        numpy_helper.from_array((rng.standard_normal(NUM_OUTPUTS) * 0.2).astype(np.float32), "b2"),
    ]
    graph = helper.make_graph(
        [
            helper.make_node("Gemm", ["features", "w1", "b1"], ["h"]),
            helper.make_node("Relu", ["h"], ["hr"]),
            helper.make_node("Gemm", ["hr", "w2", "b2"], ["logits"]),
        ],
        "toy",
        [helper.make_tensor_value_info("features", TensorProto.FLOAT, [1, n_in])],
        [helper.make_tensor_value_info("logits", TensorProto.FLOAT, [1, NUM_OUTPUTS])],
        init,
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
    model.ir_version = 8
    onnx.save(model, str(out / "network.onnx"))
    ra = ezkl.PyRunArgs()
    ra.input_visibility = "public"
    ra.output_visibility = "public"
    ra.param_visibility = "fixed"
    ra.input_scale = INPUT_SCALE
    ra.param_scale = 7
    ra.logrows = 12
    ra.num_inner_cols = 1
    files = {k: str(out / v) for k, v in
             {"onnx": "network.onnx", "settings": "settings.json", "compiled": "network.ezkl", "srs": "kzg.srs",
              "vk": "vk.key", "pk": "pk.key"}.items()}
    assert ezkl.gen_settings(files["onnx"], files["settings"], py_run_args=ra)
    assert ezkl.compile_circuit(files["onnx"], files["compiled"], files["settings"])
    logrows = json.loads(Path(files["settings"]).read_text())["run_args"]["logrows"]
    ezkl.gen_srs(files["srs"], logrows)  # insecure dev SRS: tests only
    assert ezkl.setup(files["compiled"], files["vk"], files["pk"], files["srs"])
    generate_verifier("toy", Path(files["vk"]), Path(files["settings"]), Path(files["srs"]), toy.verifier_sol,
                      regenerate="pytest tests/chain (tests/chain/toy_circuit.py)")
    (out / "done").write_text("ok\n")
    return toy
