"""The committed model against its bars, through the circuit's own (quantized) forward pass."""

from __future__ import annotations

import json

import pytest

from zkrevox.evaluate import evaluate

pytestmark = pytest.mark.slow


def test_quantized_answers_agree_with_float_and_meet_the_accuracy_bar(prover):
    result = evaluate(prover, synthetic=200)
    print(json.dumps(result))
    assert result["realistic"]["quantized_exact_set_accuracy"] >= 0.90
    assert result["hard"]["quantized_exact_set_accuracy"] >= 0.90
    for split in ("realistic", "synthetic"):
        assert result[split]["float_quantized_agreement"] >= 0.995
    # the hard set's long multi-ticker prompts sit closer to zero: 3 of 212 differ (README, The model)
    assert result["hard"]["float_quantized_agreement"] >= 0.985


def test_committed_metrics_match_a_fresh_evaluation(prover):
    committed = json.loads((prover.artifacts.model.path / "metrics.json").read_text())["quantized"]
    fresh = evaluate(prover, synthetic=committed["synthetic"]["prompts"])
    assert fresh["realistic"] == committed["realistic"]
    assert fresh["hard"] == committed["hard"]
