"""``zkrevox bench``: zkrevox against the plain ezkl flow, side by side in one run.

Every figure is measured here, in this process's run, against its baseline on the
same model (``models/ticker/model.onnx``):

1. latency of one proven answer: plain ezkl (docs flow: default settings and
   calibration, then gen_witness + prove through file paths per request) vs the
   warm zkrevox ``Prover``;
2. throughput over a stream of requests: plain ezkl one by one vs zkrevox
   batched proofs (one proof answers N requests) and worker processes;
3. gas per fulfilled request on anvil (``zkrevox.chain.gasbench``);
4. featurizer: Rust vs the Python reference;
5. circuit figures and a floor estimate (commitments in the proof × a measured
   MSM at the circuit's size) beside the measured proving time.

Circuit builds (both flows) happen before the clock starts and are reported apart.
"""

from __future__ import annotations

import asyncio
import json
import math
import os
import platform
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from zkrevox.agents import get_agent
from zkrevox.model_files import ModelFiles, exact_set_accuracy, model_dir
from zkrevox.train import eval_sets

TICKER = get_agent("ticker")

PROMPTS = [
    "swap 2 bnb for cake", "buy some pepe", "sell half my dogecoin for tether", "hello there",
    "price of etherium", "bridge usdc to arbitrum", "chainlnk news", "stake 10 cake",
    "what's the weather in singapore", "$UNI to the moon", "long sol with 5x", "aave borrow rate for usdc",
    "is xrp a good buy", "send 3 matic to 0xabc", "compare gala and sand", "convert 1inch into wbtc",
]
BN254_P = 21888242871839275222246405745257275088696311157297823662689037894645226208583


def _await(result):
    return asyncio.run(result) if asyncio.iscoroutine(result) else result


def _prove_all(prover: Any, chunks: list[list[str]]) -> Callable[[], object]:
    """One batch proof per chunk, in order (a closure for :func:`timed`)."""
    return lambda: [prover.prove_batch(c) for c in chunks]


def timed(fn: Callable[[], object], repeats: int) -> dict:
    samples = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - t0)
    return {
        "median_s": round(statistics.median(samples), 4),
        "min_s": round(min(samples), 4),
        "max_s": round(max(samples), 4),
        "runs": repeats,
    }


class PlainEzkl:
    """The flow of ezkl's docs: default run args, default calibration, file paths for everything."""

    def __init__(self, work: Path) -> None:
        import ezkl

        self.ezkl = ezkl
        self.dir = work
        model = ModelFiles(model_dir("ticker"))
        self.onnx = str(model.onnx)
        self.spec = model.spec()
        t0 = time.perf_counter()
        ezkl.gen_settings(self.onnx, self.p("settings.json"))
        _await(ezkl.calibrate_settings(str(model.calibration()), self.onnx, self.p("settings.json"), "resources"))
        ezkl.compile_circuit(self.onnx, self.p("model.compiled"), self.p("settings.json"))
        self.settings = json.loads(Path(self.p("settings.json")).read_text())
        ezkl.gen_srs(self.p("kzg.srs"), self.settings["run_args"]["logrows"])
        ezkl.setup(self.p("model.compiled"), self.p("vk.key"), self.p("pk.key"), self.p("kzg.srs"))
        self.build_seconds = round(time.perf_counter() - t0, 2)

    def p(self, name: str) -> str:
        return str(self.dir / name)

    def witness(self, prompt: str) -> dict:
        from zkrevox.featurize import featurize

        features = [float(v) for v in featurize(prompt, self.spec)]
        Path(self.p("input.json")).write_text(json.dumps({"input_data": [features]}))
        return _await(self.ezkl.gen_witness(self.p("input.json"), self.p("model.compiled"), self.p("witness.json")))

    def prove(self, prompt: str) -> None:
        self.witness(prompt)
        self.ezkl.prove(self.p("witness.json"), self.p("model.compiled"), self.p("pk.key"), self.p("proof.json"),
                        self.p("kzg.srs"))

    def accuracy(self, examples: list) -> float:
        """Exact-set accuracy of this circuit's witness outputs on ``examples`` (``LabeledPrompt``)."""
        from zkrevox.encoding import instances_to_ints

        preds = [[v > 0 for v in instances_to_ints(self.witness(e.prompt)["outputs"][0])] for e in examples]
        import numpy as np

        return exact_set_accuracy(np.asarray(preds), [e.labels for e in examples], TICKER.labels)


def quantized_accuracy(prover, examples: list) -> float:
    """Exact-set accuracy of the zkrevox circuit's forward pass (what a proof attests) on ``examples``."""
    import numpy as np

    preds = [[v > 0 for v in prover.predict(e.prompt).outputs] for e in examples]
    return exact_set_accuracy(np.asarray(preds), [e.labels for e in examples], TICKER.labels)


def g1_points_in_proof(proof: bytes) -> int:
    """Count the commitments in a halo2 EVM proof: 64-byte (x, y) points on BN254 among 32-byte scalars."""
    count, i = 0, 0
    while i + 32 <= len(proof):
        if i + 64 <= len(proof):
            x = int.from_bytes(proof[i : i + 32], "big")
            y = int.from_bytes(proof[i + 32 : i + 64], "big")
            if x < BN254_P and y < BN254_P and (y * y - x * x * x - 3) % BN254_P == 0 and (x or y):
                count += 1
                i += 64
                continue
        i += 32
    return count


def msm_seconds(prover, n: int, repeats: int) -> float:
    """A KZG commitment to n full-size field elements (one MSM of size n, plus loading the SRS)."""
    import random

    import ezkl

    from zkrevox import _native

    rng = random.Random(7)
    message = [_native.int_to_felt_hex(rng.getrandbits(126) - (1 << 125)) for _ in range(n)]
    return timed(lambda: ezkl.kzg_commit(message, str(prover.vk_path), str(prover.settings_path),
                                         str(prover.srs_path)), repeats)["median_s"]


def circuit_figures(prover, proof_bytes: bytes, prove_s: float, repeats: int) -> dict:
    settings = prover.settings
    logrows = settings["run_args"]["logrows"]
    points = g1_points_in_proof(proof_bytes)
    msm = msm_seconds(prover, 1 << logrows, repeats)
    return {
        "logrows": logrows,
        "rows": settings["num_rows"],
        "num_inner_cols": settings["run_args"]["num_inner_cols"],
        "range_checks": settings["required_range_checks"],
        "lookups": settings["required_lookups"],
        "public_instances": sum(math.prod(shape) for shape in settings["model_instance_shapes"]),
        "proof_bytes": len(proof_bytes),
        "commitments_in_proof": points,
        "msm_seconds_at_domain": msm,
        "floor_estimate_s": round(points * msm, 3),
        "measured_prove_s": prove_s,
    }


BATCH_SIZES = (1, 4, 8, 16)

# Issue #5's targets: (result key, comparison, bound).
TARGETS = {
    "latency_speedup_ge_5x": ("latency_speedup_vs_ezkl", ">=", 5),
    "throughput_speedup_ge_10x": ("throughput_speedup_vs_ezkl", ">=", 10),
    "gas_single_request_le_450k": ("gas_per_request_n1", "<=", 450_000),
    "gas_per_request_best_le_150k": ("gas_per_request_best", "<=", 150_000),
    "featurizer_speedup_ge_50x": ("featurizer_speedup_vs_python", ">=", 50),
    # Issue #12's targets (the optimistic mode)
    "gas_optimistic_answer_le_80k": ("gas_optimistic_answer", "<=", 80_000),
    "gas_finalize_per_request_16_le_30k": ("gas_finalize_per_request_16", "<=", 30_000),
}


def targets(result: dict) -> dict[str, dict]:
    """Each target with the measured figure and whether it is met; accuracy is reported beside the
    plain flow's (same circuit family, same held-out prompts in a full run)."""
    out = {}
    for name, (key, op, bound) in TARGETS.items():
        value = result[key]
        out[name] = {"value": value, "bound": bound, "met": value >= bound if op == ">=" else value <= bound}
    out["accuracy"] = {"zkrevox": result["accuracy"], "plain_ezkl": result["plain_ezkl_accuracy"]}
    return out


def run(quick: bool = False, log: Callable[[str], None] = print) -> dict:
    from benchmarks.featurizer import measure as featurizer_measure
    from zkrevox import Prover

    repeats = 3 if quick else 7
    stream = PROMPTS[:8] if quick else PROMPTS
    result: dict = {
        "machine": {"cpus": os.cpu_count(), "platform": platform.platform(), "python": sys.version.split()[0]},
        "quick": quick,
    }
    with tempfile.TemporaryDirectory() as work:
        log("building the plain-ezkl baseline circuit (default settings and calibration)")
        plain = PlainEzkl(Path(work))
        provers = {n: Prover.load_or_build("ticker", n, step=lambda m: log(m + " (not timed)")) for n in BATCH_SIZES}
        prover = provers[1]
        prover.prove(PROMPTS[0])  # warm: imports, caches, page cache
        plain.prove(PROMPTS[0])

        log("1. latency of one proven answer")
        def plain_once() -> None:
            plain.prove(PROMPTS[0])

        lat_plain = timed(plain_once, repeats)
        lat_zk = timed(lambda: prover.prove(PROMPTS[0]), repeats)
        result["latency"] = {"plain_ezkl": lat_plain, "zkrevox": lat_zk}
        result["latency_speedup_vs_ezkl"] = round(lat_plain["median_s"] / lat_zk["median_s"], 2)

        log(f"2. throughput over a stream of {len(stream)} requests")
        def plain_stream() -> None:
            for p in stream:
                plain.prove(p)

        t_plain = timed(plain_stream, 1)["median_s"]
        per_minute = {"plain_ezkl": round(60 * len(stream) / t_plain, 1)}
        for n, batch_prover in provers.items():
            chunks = [stream[i : i + n] for i in range(0, len(stream), n)]
            chunks = [c + [PROMPTS[0]] * (n - len(c)) for c in chunks]
            elapsed = timed(_prove_all(batch_prover, chunks), 1)["median_s"]
            packed = "_packed" if batch_prover.manifest.get("feature_packing") else ""
            per_minute[f"zkrevox_batch{n}{packed}"] = round(60 * len(stream) / elapsed, 1)
        from zkrevox.pool import ProverPool

        with ProverPool("ticker", workers=2) as pool:
            pool.warm_up()
            elapsed = timed(lambda: [f.result() for f in [pool.submit(p) for p in stream]], 1)["median_s"]
        per_minute["zkrevox_2workers_batch1"] = round(60 * len(stream) / elapsed, 1)
        best = max((v, k) for k, v in per_minute.items() if k != "plain_ezkl" and isinstance(v, float))
        result["throughput_per_minute"] = per_minute
        result["throughput_speedup_vs_ezkl"] = round(best[0] / per_minute["plain_ezkl"], 2)
        result["throughput_best"] = best[1]

        log("4. featurizer")
        result["featurizer"] = featurizer_measure()
        result["featurizer_speedup_vs_python"] = result["featurizer"]["featurizer_speedup_vs_python"]

        log("5. circuit figures")
        proof = prover.prove(PROMPTS[0])
        result["circuit"] = circuit_figures(prover, proof.proof_bytes, lat_zk["median_s"], repeats)
        result["logrows"] = result["circuit"]["logrows"]
        result["plain_ezkl_circuit"] = {
            "logrows": plain.settings["run_args"]["logrows"], "rows": plain.settings["num_rows"],
            "scales": [plain.settings["run_args"]["input_scale"], plain.settings["run_args"]["param_scale"]],
            "build_seconds": plain.build_seconds,
        }

        log("accuracy of both circuits on the same held-out prompts")
        limit = 100 if quick else 400
        ticker_sets = eval_sets(TICKER)
        sets = {"realistic": ticker_sets["realistic"][:limit], "hard": ticker_sets["hard"]}
        result["accuracy_by_set"] = {
            name: {"prompts": len(examples), "zkrevox": quantized_accuracy(prover, examples),
                   "plain_ezkl": plain.accuracy(examples)}
            for name, examples in sets.items()
        }
        result["accuracy"] = result["accuracy_by_set"]["realistic"]["zkrevox"]
        result["plain_ezkl_accuracy"] = result["accuracy_by_set"]["realistic"]["plain_ezkl"]
        result["accuracy_prompts"] = result["plain_ezkl_accuracy_prompts"] = limit

    log("3. gas per fulfilled request on anvil")
    from zkrevox.chain.gasbench import measure as gas_measure

    gas = gas_measure(batch_sizes=(1, 8, 16) if quick else BATCH_SIZES)
    result["gas"] = gas
    result["gas_per_request_curve"] = dict(gas["per_request"])
    result["gas_per_request_n1"] = gas["per_request"]["1"]
    result["gas_per_request_n8"] = gas["per_request"]["8"]
    best_n = min(gas["per_request"], key=lambda k: gas["per_request"][k])
    result["gas_per_request_best"] = gas["per_request"][best_n]
    result["best_n"] = int(best_n)
    log("4. gas of the optimistic mode on anvil")
    from zkrevox.chain.gasbench import measure_optimistic

    result["gas_optimistic"] = optimistic = measure_optimistic()
    result["gas_optimistic_answer"] = optimistic["answer"]
    result["gas_finalize_per_request_16"] = optimistic["finalize_per_request_16"]
    result["targets"] = targets(result)
    return result




def markdown(r: dict, command: str) -> str:
    """A results table for docs/BENCHMARKS.md."""
    lat, thr, c = r["latency"], r["throughput_per_minute"], r["circuit"]
    rows = [
        ("latency of one proven answer (median s)", f"{lat['plain_ezkl']['median_s']}", f"{lat['zkrevox']['median_s']}",
         f"{r['latency_speedup_vs_ezkl']}×"),
        (f"throughput (proven requests/min, best: {r['throughput_best']})", f"{thr['plain_ezkl']}",
         f"{max(v for k, v in thr.items() if k != 'plain_ezkl' and isinstance(v, float))}",
         f"{r['throughput_speedup_vs_ezkl']}×"),
        ("featurizer (prompts/s, single)", f"{r['featurizer']['python_prompts_per_s']:,} (Python)",
         f"{r['featurizer']['rust_single_prompts_per_s']:,} (Rust)", f"{r['featurizer_speedup_vs_python']}×"),
        ("gas per fulfilled request, N=1", "", f"{r['gas_per_request_n1']:,}", ""),
        ("gas per fulfilled request, N=8", "", f"{r['gas_per_request_n8']:,}", ""),
        (f"gas per fulfilled request, best N={r['best_n']}", "", f"{r['gas_per_request_best']:,}", ""),
        ("gas of an optimistic answer (no proof)", "", f"{r['gas_optimistic_answer']:,}", ""),
        ("gas of finalization per request, batch of 16", "", f"{r['gas_finalize_per_request_16']:,}", ""),
        ("gas of a dispute that overturns / is refused", "",
         f"{r['gas_optimistic']['dispute_overturned']:,} / {r['gas_optimistic']['dispute_refused']:,}", ""),
        *[(f"{name} held-out accuracy (quantized, same {a['prompts']} prompts)", f"{a['plain_ezkl']}",
           f"{a['zkrevox']}", "") for name, a in r.get("accuracy_by_set", {}).items()],
    ]
    lines = [
        f"Command: `{command}`", "",
        "| figure | plain ezkl | zkrevox | ratio |", "|---|---|---|---|",
        *[f"| {a} | {b} | {c_} | {d} |" for a, b, c_, d in rows], "",
        "Throughput per configuration (requests/min): "
        + ", ".join(f"{k} {v}" for k, v in thr.items()), "",
        "Gas per fulfilled request by N (`_packed`: features packed, FeaturePacking): "
        + ", ".join(
            f"N={n} {b['per_request']['total']:,}{' (packed)' if b.get('feature_packing') else ''} "
            f"[verifier {b['per_request']['verifier']:,}, calldata {b['per_request']['calldata']:,}, "
            f"DPrompt {b['per_request']['dprompt']:,}]"
            for n, b in r["gas"]["batches"].items()
        ), "",
        f"Circuit: logrows {c['logrows']}, {c['rows']:,} rows, {c['public_instances']} public instances, "
        f"{c['commitments_in_proof']} commitments in a {c['proof_bytes']}-byte proof; one MSM at 2^{c['logrows']} "
        f"took {c['msm_seconds_at_domain']} s, so the MSM floor is ~{c['floor_estimate_s']} s against "
        f"{c['measured_prove_s']} s measured. Plain ezkl's circuit: logrows {r['plain_ezkl_circuit']['logrows']}, "
        f"{r['plain_ezkl_circuit']['rows']:,} rows, scales {r['plain_ezkl_circuit']['scales']}.", "",
        f"Machine: {r['machine']['cpus']} CPUs, {r['machine']['platform']}, Python {r['machine']['python']}.", "",
        "Targets: " + ", ".join(
            f"{name} {'met' if t['met'] else 'NOT met'} ({t['value']:,})"
            for name, t in r["targets"].items() if "met" in t
        ) + ".",
    ]
    return "\n".join(lines) + "\n"


if __name__ == "__main__":
    # python -m benchmarks.harness [--quick] [--json] [--markdown docs/BENCHMARKS.md]
    quick = "--quick" in sys.argv
    out = run(quick=quick, log=lambda m: print(f"· {m}", file=sys.stderr, flush=True))
    print(json.dumps(out, indent=None if "--json" in sys.argv else 1))
    if "--markdown" in sys.argv:
        target = Path(sys.argv[sys.argv.index("--markdown") + 1])
        command = "python -m benchmarks.harness" + (" --quick" if quick else "") + f" --markdown {target}"
        target.write_text("# Benchmarks\n\n" + markdown(out, command))
