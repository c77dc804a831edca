"""Features bound by a KZG commitment (issue 20): today's packed single ticker circuit against its
``polycommit`` variant, side by side in one run.

    .venv/bin/python benchmarks/polycommit.py [--rounds 5] [--prompts 40] [--json]

* prove seconds (``ezkl.prove`` alone), the two circuits interleaved round by round on the same
  prompts (the machine's load hits both alike; read the ratio);
* verifier gas: ``eth_estimateGas`` of a direct ``verifyProof`` transaction on a fresh anvil
  (transaction base and calldata included), each circuit's own generated verifier;
* the commitment check's gas (``FeatureCommitment.check`` inside a transaction, the counts in
  memory, as DPrompt's featurizer leaves them) over the first ``--prompts`` realistic eval prompts.

Needs `zkrevox build ticker` (today's circuit, in ZKREVOX_ARTIFACTS); builds the polycommit variant
in a temporary directory (``zkrevox.commitment.build_polycommit``, insecure dev SRS of its exact
logrows).
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from pathlib import Path


def _verifier_gas(w3, account, name: str, vk: Path, settings: Path, srs: Path, proof: dict, work: Path) -> dict:
    from zkrevox.chain.deploy import deploy_contract
    from zkrevox.chain.evm_verifier import generate_verifier
    from zkrevox.chain.solc import compile_verifier
    from zkrevox.encoding import instance_to_uint256

    source = generate_verifier(name, vk, settings, srs, work / f"{name}.sol")
    compiled = compile_verifier(source)
    verifier = w3.eth.contract(address=deploy_contract(w3, account, compiled).address, abi=compiled.abi)
    instances = [instance_to_uint256(x) for x in proof["instances"][0]]
    call = verifier.functions.verifyProof(bytes(proof["proof"]), instances)
    return {"instances": len(instances), "accepted": call.call(), "gas": call.estimate_gas(),
            "proof_bytes": len(proof["proof"]), "verifier_bytes": compiled.deployed_size}


def measure(rounds: int, n_prompts: int, log=lambda m: print(m, file=sys.stderr, flush=True)) -> dict:
    import ezkl
    from eth_account import Account

    from zkrevox import Prover
    from zkrevox.chain.anvil import Anvil
    from zkrevox.chain.deploy import deploy_contract
    from zkrevox.chain.gasbench import eval_prompts
    from zkrevox.chain.keys import ANVIL_DEV_KEYS
    from zkrevox.chain.networks import connect
    from zkrevox.chain.solc import project_contracts
    from zkrevox.circuit import _await
    from zkrevox.commitment import build_polycommit, ezkl_commitment, pack_counts, points_blob, proof_commitment
    from zkrevox.featurizer import featurize_batch

    packed = Prover.load("ticker")
    prompts = eval_prompts("ticker", max(n_prompts, rounds))
    out: dict = {"rounds": rounds}
    with tempfile.TemporaryDirectory(prefix="zkrevox-polycommit-") as tmp_s, Anvil() as chain:
        tmp = Path(tmp_s)
        pc = tmp / "polycommit"
        log("building the polycommit variant")
        info = build_polycommit("ticker", pc)
        out["polycommit"] = info
        out["packed"] = {"logrows": packed.manifest["logrows"], "num_rows": packed.manifest.get("num_rows")}

        def prove_pc(prompt: str, i: int) -> tuple[float, dict, list[int]]:
            (features,) = featurize_batch([prompt], packed.spec)
            (pc / "input.json").write_text(json.dumps({"input_data": [[float(v) for v in features]]}))
            _await(ezkl.gen_witness(str(pc / "input.json"), str(pc / "model.compiled"), str(pc / "witness.json")))
            t0 = time.monotonic()
            ezkl.prove(str(pc / "witness.json"), str(pc / "model.compiled"), str(pc / "pk.key"),
                       str(pc / f"proof{i}.json"), str(pc / "kzg.srs"))
            return time.monotonic() - t0, json.loads((pc / f"proof{i}.json").read_text()), list(features)

        times: dict[str, list[float]] = {"packed": [], "polycommit": []}
        proofs: dict[str, dict] = {}
        prove_pc(prompts[0], 99)  # warm-up of both (first loads of keys)
        packed.prove(prompts[0], out_dir=tmp / "warm")
        for r in range(rounds):
            p = prompts[r]
            first, second = ("packed", "polycommit") if r % 2 == 0 else ("polycommit", "packed")
            for which in (first, second):
                if which == "packed":
                    proof = packed.prove(p, out_dir=tmp / f"packed{r}")
                    times["packed"].append(float(proof.prove_seconds))
                    proofs["packed"] = json.loads(Path(proof.path).read_text())
                else:
                    s, raw, features = prove_pc(p, r)
                    times["polycommit"].append(s)
                    proofs["polycommit"] = raw
                    assert proof_commitment(bytes(raw["proof"])) == ezkl_commitment(features, info["input_scale"], pc)
            log(f"round {r + 1}: packed {times['packed'][-1]:.2f}s, polycommit {times['polycommit'][-1]:.2f}s")
        med = {k: round(statistics.median(v), 3) for k, v in times.items()}
        out["prove_s"] = {"median": med, "all": {k: [round(x, 3) for x in v] for k, v in times.items()},
                          "ratio_polycommit_over_packed": round(med["polycommit"] / med["packed"], 3)}

        w3 = connect(chain.url)
        account = Account.from_key(ANVIL_DEV_KEYS[0])
        log("verifier gas")
        out["verifier"] = {
            "packed": _verifier_gas(w3, account, "packed", packed.vk_path, packed.settings_path, packed.srs_path,
                                    proofs["packed"], tmp),
            "polycommit": _verifier_gas(w3, account, "polycommit", pc / "vk.key", pc / "settings.json",
                                        pc / "kzg.srs", proofs["polycommit"], tmp),
        }

        log("commitment check gas")
        compiled = project_contracts()["FeatureCommitmentHarness"]
        harness = w3.eth.contract(address=deploy_contract(w3, account, compiled).address, abi=compiled.abi)
        clip = packed.spec.clip
        bits = 1 if clip < 2 else 2 if clip < 4 else 4 if clip < 16 else 8  # Featurizer.bitsPerFeature
        blob = points_blob(pc / "kzg.srs", info["num_features"], info["input_scale"], info["unusable_rows"])

        def send(fn) -> dict:
            tx = fn.build_transaction({"from": account.address, "gas": 8_000_000,
                                       "nonce": w3.eth.get_transaction_count(account.address)})
            return w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(
                account.sign_transaction(tx).raw_transaction))

        receipt = send(harness.functions.deployPoints(blob))
        points = harness.events.PointsDeployed().process_receipt(receipt)[0].args.points
        out["points_contract"] = {"bytes": len(blob) + 1, "deploy_gas": int(receipt["gasUsed"])}
        gas, gas_packed, nonzero = [], [], []
        for p in prompts[:n_prompts]:
            (features,) = featurize_batch([p], packed.spec)
            # the check reads only the proof's first commitment (asserted equal to kzg_commit above)
            x, y = ezkl_commitment(list(features), info["input_scale"], pc)
            commitment = x.to_bytes(32, "big") + y.to_bytes(32, "big")
            r = send(harness.functions.measureCheck(points, list(features), commitment))
            assert r["status"] == 1
            gas.append(int(harness.events.Measured().process_receipt(r)[0].args.gasUsed))
            r = send(harness.functions.measureCheckPacked(points, pack_counts(list(features), bits), bits, commitment))
            assert r["status"] == 1
            gas_packed.append(int(harness.events.Measured().process_receipt(r)[0].args.gasUsed))
            nonzero.append(sum(1 for v in features if v))
        out["check_gas"] = {
            "prompts": len(gas), "nonzero_features_median": statistics.median(nonzero),
            "counts": {"median": int(statistics.median(gas)), "mean": round(statistics.mean(gas)), "max": max(gas),
                       "min": min(gas)},
            "packed": {"median": int(statistics.median(gas_packed)), "mean": round(statistics.mean(gas_packed)),
                       "max": max(gas_packed), "min": min(gas_packed)},
        }
    v = out["verifier"]
    out["summary"] = {
        "prove_ratio": out["prove_s"]["ratio_polycommit_over_packed"],
        "verifier_gas": {"packed": v["packed"]["gas"], "polycommit": v["polycommit"]["gas"]},
        "polycommit_verifier_plus_packed_check_median": v["polycommit"]["gas"] + out["check_gas"]["packed"]["median"],
    }
    return out


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--rounds", type=int, default=5)
    ap.add_argument("--prompts", type=int, default=40)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    result = measure(args.rounds, args.prompts)
    print(json.dumps(result, indent=None if args.json else 1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
