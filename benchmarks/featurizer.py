"""Featurizer throughput: Rust (single and batch) beside the Python reference, same prompts, same run.

Two Rust output forms: ``featurize``/``featurize_batch`` return lists of Python ints, like the
reference; ``featurize_bytes``/``featurize_array`` return one byte per count (bytes, a uint8
array), the form the hot paths use. The headline speedups are the byte forms; the list forms
are reported beside them (building 138 Python ints per prompt costs more than featurizing).

The encoding figures are the other hot path: a proof's instances (ezkl's little-endian hex) as
signed ints and as ``verifyProof(bytes,uint256[])`` calldata, for a real ticker proof's sizes
(1,856 proof bytes; 180 instances, 2,880 for batch 16), beside the same work in pure Python.

    .venv/bin/python benchmarks/featurizer.py [--json]
"""

from __future__ import annotations

import json
import sys
import time

from zkrevox import _native
from zkrevox import featurize as reference
from zkrevox import featurizer as native
from zkrevox.encoding import FIELD_MODULUS, HALF_FIELD, instances_to_ints, verify_calldata
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


PROOF_BYTES = 1856
INSTANCES_PER_PROMPT = 180


def _python_calldata(proof: bytes, felts: list[str], selector: bytes) -> bytes:
    """The pure-Python baseline: ABI head, bytes tail (padded), uint256[] tail."""
    words = [int.from_bytes(bytes.fromhex(h), "little").to_bytes(32, "big") for h in felts]
    padded = proof + bytes(-len(proof) % 32)
    head = (64).to_bytes(32, "big") + (96 + len(padded)).to_bytes(32, "big")
    tail = len(proof).to_bytes(32, "big") + padded + len(words).to_bytes(32, "big") + b"".join(words)
    return selector + head + tail


def _python_ints(felts: list[str]) -> list[int]:
    out = []
    for h in felts:
        v = int.from_bytes(bytes.fromhex(h), "little")
        out.append(v - FIELD_MODULUS if v > HALF_FIELD else v)
    return out


def _per_s(fn, reps: int) -> int:
    return round(rate(lambda: [fn() for _ in range(reps)], reps)["prompts_per_s"])


def _encoding_rates(proof: bytes, felts: list[str], selector: bytes, reps: int) -> dict[str, int]:
    return {
        "rust_calldata_per_s": _per_s(lambda: verify_calldata(proof, felts), reps),
        "python_calldata_per_s": _per_s(lambda: _python_calldata(proof, felts, selector), reps),
        "rust_ints_per_s": _per_s(lambda: instances_to_ints(felts), reps),
        "python_ints_per_s": _per_s(lambda: _python_ints(felts), reps),
    }


def measure_encoding(repeats: int = 200) -> dict:
    """Proofs per second for the instance encodings, Rust (through zkrevox.encoding) and pure Python."""
    proof = bytes(i * 31 % 256 for i in range(PROOF_BYTES))
    selector = _native.encode_call("verifyProof(bytes,uint256[])", [b"", []])[:4]
    out: dict[str, dict[str, int]] = {}
    for batch in (1, 16):
        n = INSTANCES_PER_PROMPT * batch
        values = [(i % 4) * 128 if i % 180 < 138 else 1000 - i for i in range(n)]
        felts = [_native.int_to_felt_hex(v) for v in values]
        if verify_calldata(proof, felts) != _python_calldata(proof, felts, selector):
            raise AssertionError("Rust and Python calldata differ: the speed figures would be meaningless")
        if not instances_to_ints(felts) == _python_ints(felts) == values:
            raise AssertionError("Rust and Python instance ints differ")
        out[f"instances_{n}"] = _encoding_rates(proof, felts, selector, max(repeats // batch, 10))
    return out


if __name__ == "__main__":
    result = {**measure(), "encoding_proofs_per_s": measure_encoding()}
    print(json.dumps(result, indent=None if "--json" in sys.argv else 1))
