"""Featurizer throughput: Rust (single and batch) beside the Python reference, same prompts, same run.

Two Rust output forms: ``featurize``/``featurize_batch`` return lists of Python ints, like the
reference; ``featurize_bytes``/``featurize_array`` return one byte per count (bytes, a uint8
array), the form the hot paths use. The headline speedups are the byte forms; the list forms
are reported beside them (building 138 Python ints per prompt costs more than featurizing).

    .venv/bin/python benchmarks/featurizer.py [--json]
"""

from __future__ import annotations

import json
import sys
import time

from zkrevox import featurize as reference
from zkrevox import featurizer as native
from zkrevox.model_files import ModelFiles, model_dir

PROMPTS = [
    "swap 2 bnb for cake",
    "$PEPE to the moon",
    "sell half my dogecoin for tether",
    "what's the weather in singapore",
    "buy some etherium and chainlnk with 100 usdt",
] * 400


def rate(fn, n: int, repeats: int = 5) -> dict[str, float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    times.sort()
    return {"prompts_per_s": n / times[len(times) // 2], "spread_s": times[-1] - times[0]}


def measure() -> dict:
    spec = ModelFiles(model_dir("ticker")).spec()
    n = len(PROMPTS)
    python = rate(lambda: [reference.featurize(p, spec) for p in PROMPTS], n)
    single = rate(lambda: [native.featurize(p, spec) for p in PROMPTS], n)
    batch = rate(lambda: native.featurize_batch(PROMPTS, spec), n)
    single_bytes = rate(lambda: [native.featurize_bytes(p, spec) for p in PROMPTS], n)
    batch_array = rate(lambda: native.featurize_array(PROMPTS, spec), n)
    if native.featurize_array(PROMPTS, spec).tolist() != [reference.featurize(p, spec) for p in PROMPTS]:
        raise AssertionError("Rust and Python features differ: the speed figures would be meaningless")
    py = python["prompts_per_s"]
    return {
        "python_prompts_per_s": round(py),
        "rust_single_prompts_per_s": round(single_bytes["prompts_per_s"]),
        "rust_batch_prompts_per_s": round(batch_array["prompts_per_s"]),
        "rust_single_list_prompts_per_s": round(single["prompts_per_s"]),
        "rust_batch_list_prompts_per_s": round(batch["prompts_per_s"]),
        "featurizer_speedup_vs_python": round(single_bytes["prompts_per_s"] / py, 1),
        "featurizer_batch_speedup_vs_python": round(batch_array["prompts_per_s"] / py, 1),
        "featurizer_list_speedup_vs_python": round(single["prompts_per_s"] / py, 1),
        "featurizer_batch_list_speedup_vs_python": round(batch["prompts_per_s"] / py, 1),
        "bit_identical": True,
    }


if __name__ == "__main__":
    result = measure()
    print(json.dumps(result, indent=None if "--json" in sys.argv else 1))
