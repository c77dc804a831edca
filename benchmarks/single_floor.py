"""How low can one fulfilled request go? The ticker circuit's verifier called directly, with the
138 features as public instances (as deployed) and with the features private (42 instances, the
outputs only). The private variant is NOT bound to any prompt: a measurement, never deployable.

    .venv/bin/python benchmarks/single_floor.py [--json]

Needs `zkrevox build ticker` (its run arguments and SRS). Gas is `eth_estimateGas` of a
`verifyProof` transaction on a fresh anvil: transaction base and calldata included.
"""

from __future__ import annotations

import json
import sys
import tempfile
from pathlib import Path


def measure() -> dict:
    import ezkl
    from eth_account import Account

    from zkrevox import Prover
    from zkrevox.chain.anvil import Anvil
    from zkrevox.chain.deploy import deploy_contract
    from zkrevox.chain.evm_verifier import generate_verifier
    from zkrevox.chain.keys import ANVIL_DEV_KEYS
    from zkrevox.chain.networks import connect
    from zkrevox.chain.solc import compile_verifier
    from zkrevox.circuit import _await, circuit_config, fit_logrows, run_args
    from zkrevox.encoding import instance_to_uint256
    from zkrevox.featurize import featurize

    prover = Prover.load("ticker")
    model = prover.artifacts.model
    srs = str(prover.srs_path)
    results: dict = {}
    with tempfile.TemporaryDirectory(prefix="zkrevox-floor-") as tmp, Anvil() as chain:
        w3 = connect(chain.url)
        account = Account.from_key(ANVIL_DEV_KEYS[0])
        data = Path(tmp) / "input.json"
        data.write_text(json.dumps({"input_data": [[float(v) for v in featurize("swap 2 bnb for cake", prover.spec)]]}))
        for visibility in ("public", "private"):
            config = {**circuit_config("ticker"), "input_visibility": visibility}
            work = Path(tmp) / visibility
            work.mkdir()
            settings = work / "settings.json"
            ezkl.gen_settings(str(model.onnx), str(settings), py_run_args=run_args(config))
            _await(ezkl.calibrate_settings(str(model.calibration()), str(model.onnx), str(settings),
                                           config["calibration_target"], scales=[config["scale"]], max_logrows=20))
            logrows = fit_logrows(settings, config)
            ezkl.compile_circuit(str(model.onnx), str(work / "compiled"), str(settings))
            ezkl.setup(str(work / "compiled"), str(work / "vk"), str(work / "pk"), srs)
            _await(ezkl.gen_witness(str(data), str(work / "compiled"), str(work / "witness.json")))
            files = [str(work / f) for f in ("witness.json", "compiled", "pk", "proof.json")]
            ezkl.prove(*files, srs)
            proof = json.loads((work / "proof.json").read_text())
            source = generate_verifier(f"floor-{visibility}", work / "vk", settings, Path(srs), work / "Verifier.sol")
            compiled = compile_verifier(source)
            verifier = w3.eth.contract(address=deploy_contract(w3, account, compiled).address, abi=compiled.abi)
            instances = [instance_to_uint256(x) for x in proof["instances"][0]]
            call = verifier.functions.verifyProof(bytes(proof["proof"]), instances)
            results[visibility] = {
                "instances": len(instances), "accepted": call.call(), "gas": call.estimate_gas(),
                "proof_bytes": len(proof["proof"]), "logrows": logrows, "verifier_bytes": compiled.deployed_size,
            }
    results["gas_per_feature_instance"] = round(
        (results["public"]["gas"] - results["private"]["gas"])
        / (results["public"]["instances"] - results["private"]["instances"]), 1
    )
    return results


if __name__ == "__main__":
    print(json.dumps(measure(), indent=None if "--json" in sys.argv else 1))
