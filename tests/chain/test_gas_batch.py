"""Gas per fulfilled request with the real ticker circuits, N = 1 (``fulfil``) and N = 4, 8, 16
(``fulfilBatch``; 16 is the packed-features circuit), compared with
verifier-contracts/snapshots/gas.json like test_gas.py (> 5 % growth fails;
ZKREVOX_UPDATE_GAS_SNAPSHOT=1 accepts new figures).

Measured by ``zkrevox.chain.gasbench.measure`` (what ``zkrevox bench`` reports): a fresh anvil,
real proofs, the transaction split into the verifier call, calldata (intrinsic gas) and DPrompt.
The session fixture ``batch_provers`` builds the batch circuits when they are missing.
"""

from __future__ import annotations

import json

import pytest
from test_gas import check_snapshot

from zkrevox.chain.solc import MAX_DEPLOYED_SIZE

SIZES = (1, 4, 8, 16)  # 16: the packed-features circuit
pytestmark = [pytest.mark.chain, pytest.mark.slow]
PARTS = ("total", "verifier", "calldata", "dprompt")


def snapshot_entries(gas: dict) -> dict[str, int]:
    out = {}
    for key, batch in gas["batches"].items():
        what = "fulfil ticker N=1" if key == "1" else f"fulfilBatch ticker-b{key} N={key}"
        for part in PARTS:
            out[f"{what}, per request: {part}"] = batch["per_request"][part]
    return out


def test_gasPerRequest_withinSnapshot(batch_provers, packed_prover):
    from zkrevox.chain.gasbench import measure

    gas = measure(batch_sizes=SIZES)
    print(json.dumps({k: b["per_request"] for k, b in gas["batches"].items()}))
    for batch in gas["batches"].values():
        assert sum(batch[p] for p in PARTS[1:]) == batch["total"]
        assert batch["verifier_deployed_size"] <= MAX_DEPLOYED_SIZE
    per_request = gas["per_request"]
    assert per_request["1"] > per_request["4"] > per_request["8"] > per_request["16"]  # batching pays per request
    assert gas["batches"]["16"]["feature_packing"] and gas["batches"]["16"]["instances"] == 16 * (13 + 42)
    # circuit.json packs the single circuit too (issue 13): artifacts built before it need `zkrevox build ticker`
    assert gas["batches"]["1"]["feature_packing"] and gas["batches"]["1"]["instances"] == 13 + 42
    check_snapshot(snapshot_entries(gas))


def test_gasOptimistic_realTicker_withinTargetsAndSnapshot(prover):
    """The issue's targets with the real ticker circuit: an optimistic answer <= 80k gas,
    finalization <= 30k per request in a batch of 16."""
    from zkrevox.chain.gasbench import measure_optimistic

    gas = measure_optimistic()
    print(json.dumps(gas))
    assert gas["answer"] <= 80_000
    assert gas["finalize_per_request_16"] <= 30_000
    assert gas["dispute_overturned"] > gas["dispute_overturned_verifier"]
    check_snapshot({f"optimistic ticker: {k}": v for k, v in gas.items()
                    if isinstance(v, int) and k != "challenge_window_s"})
