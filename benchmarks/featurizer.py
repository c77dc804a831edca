"""Featurizer throughput: Rust (single and batch) beside the Python reference, same prompts, same run.

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
    return {
        "python_prompts_per_s": round(python["prompts_per_s"]),
        "rust_single_prompts_per_s": round(single["prompts_per_s"]),
        "rust_batch_prompts_per_s": round(batch["prompts_per_s"]),
        "featurizer_speedup_vs_python": round(single["prompts_per_s"] / python["prompts_per_s"], 1),
        "featurizer_batch_speedup_vs_python": round(batch["prompts_per_s"] / python["prompts_per_s"], 1),
    }


if __name__ == "__main__":
    result = measure()
    print(json.dumps(result, indent=None if "--json" in sys.argv else 1))
