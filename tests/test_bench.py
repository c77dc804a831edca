"""The bench's report logic (no timing here: the figures themselves come from `zkrevox bench`)."""

from __future__ import annotations

from benchmarks.harness import markdown, targets

RESULT = {
    "latency": {"plain_ezkl": {"median_s": 3.7}, "zkrevox": {"median_s": 0.6}},
    "latency_speedup_vs_ezkl": 6.17,
    "throughput_per_minute": {"plain_ezkl": 16.0, "zkrevox_batch8": 236.2, "zkrevox_batch16_packed": 116.7},
    "throughput_speedup_vs_ezkl": 14.76,
    "throughput_best": "zkrevox_batch8",
    "featurizer": {"python_prompts_per_s": 30_000, "rust_single_prompts_per_s": 2_900_000},
    "featurizer_speedup_vs_python": 96.7,
    "gas_per_request_n1": 575_540,
    "gas_per_request_n8": 270_319,
    "gas_per_request_best": 137_027,
    "best_n": 16,
    "gas_optimistic_answer": 47_753,
    "gas_finalize_per_request_16": 17_367,
    "gas_optimistic": {"dispute_overturned": 634_814, "dispute_refused": 567_886},
    "gas": {"batches": {"1": {"per_request": {"total": 575_540, "verifier": 1, "calldata": 2, "dprompt": 3}},
                        "16": {"per_request": {"total": 137_027, "verifier": 1, "calldata": 2, "dprompt": 3},
                               "feature_packing": {"digits": 11, "bits": 10, "shift": 14}}}},
    "accuracy": 0.93,
    "plain_ezkl_accuracy": 0.93,
    "plain_ezkl_accuracy_prompts": 400,
    "accuracy_prompts": 400,
    "accuracy_by_set": {"realistic": {"prompts": 400, "zkrevox": 0.93, "plain_ezkl": 0.925},
                        "hard": {"prompts": 212, "zkrevox": 0.97, "plain_ezkl": 0.96}},
    "circuit": {"logrows": 13, "rows": 7866, "public_instances": 180, "commitments_in_proof": 13,
                "proof_bytes": 1856, "msm_seconds_at_domain": 0.045, "floor_estimate_s": 0.585,
                "measured_prove_s": 0.575},
    "plain_ezkl_circuit": {"logrows": 15, "rows": 7872, "scales": [13, 13]},
    "machine": {"cpus": 2, "platform": "linux", "python": "3.11"},
}


def test_targets_judgeEachFigureAgainstItsBound():
    t = targets(RESULT)
    assert {k: v["met"] for k, v in t.items() if "met" in v} == {
        "latency_speedup_ge_5x": True,
        "throughput_speedup_ge_10x": True,
        "gas_single_request_le_450k": False,
        "gas_per_request_best_le_150k": True,
        "featurizer_speedup_ge_50x": True,
        "gas_optimistic_answer_le_80k": True,
        "gas_finalize_per_request_16_le_30k": True,
    }
    assert t["accuracy"] == {"zkrevox": 0.93, "plain_ezkl": 0.93}
    assert targets({**RESULT, "gas_per_request_n1": 450_000})["gas_single_request_le_450k"]["met"]


def test_markdown_namesTheCommandTheTargetsAndThePackedBatch():
    text = markdown({**RESULT, "targets": targets(RESULT)}, "zkrevox bench")
    assert text.startswith("Command: `zkrevox bench`")
    assert "gas_single_request_le_450k NOT met (575,540)" in text
    assert "N=16 137,027 (packed)" in text
    assert "6.17×" in text and "14.76×" in text
    # both flows on the same prompts, each held-out set
    assert "| realistic held-out accuracy (quantized, same 400 prompts) | 0.925 | 0.93 |" in text
    assert "| hard held-out accuracy (quantized, same 212 prompts) | 0.96 | 0.97 |" in text
    assert "gas of an optimistic answer (no proof) |  | 47,753" in text and "634,814 / 567,886" in text
