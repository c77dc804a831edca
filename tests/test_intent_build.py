"""The intent agent through the generic pipeline: `zkrevox build intent` artifacts, a proof plain ezkl accepts."""

from __future__ import annotations

import ezkl
import pytest

pytestmark = pytest.mark.slow


def test_build_intent_gives_the_circuit_its_run_args_ask_for(intent_prover):
    m = intent_prover.manifest
    assert (m["model"], m["batch"], m["logrows"]) == ("intent", 1, 14)
    assert intent_prover.labels == ["SWAP", "TRANSFER", "BRIDGE", "STAKE", "PRICE", "CHART", "PORTFOLIO", "INFO"]
    assert intent_prover.spec.num_features == 288


def test_an_intent_proof_is_accepted_by_plain_ezkl_verify(intent_prover, tmp_path):
    proof = intent_prover.prove("bridge 50 usdc to arbitrum", out_dir=tmp_path)
    assert proof.model == "intent"
    assert proof.outputs[2] > 0 and sum(v > 0 for v in proof.outputs) == 1  # BRIDGE only
    assert ezkl.verify(str(proof.path), str(intent_prover.settings_path), str(intent_prover.vk_path),
                       str(intent_prover.srs_path))
