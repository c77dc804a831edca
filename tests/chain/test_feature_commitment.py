"""FeatureCommitment.sol (issue 20, prototype): on anvil, the library recomputes the KZG commitment
of a feature vector from the Lagrange-basis points of the ``polycommit`` ticker circuit's SRS and
it equals ``ezkl.kzg_commit`` byte for byte and the commitment a real proof carries; one count off
gives another point and the check refuses the proof; a stored point at infinity or off the curve is
refused. Real ezkl build (insecure dev SRS of the circuit's exact logrows), real proof, real anvil."""

from __future__ import annotations

import json

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from web3.exceptions import ContractCustomError

from zkrevox.chain.revert import ErrorDecoder
from zkrevox.commitment import (
    POINT_BYTES,
    build_polycommit,
    commit,
    ezkl_commitment,
    pack_counts,
    points_blob,
    proof_commitment,
)
from zkrevox.featurize import FeatureSpec
from zkrevox.featurizer import featurize_batch
from zkrevox.model_files import ModelFiles, model_dir

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPT = "sell half my dogecoin for tether"


@pytest.fixture(scope="module")
def build(tmp_path_factory):
    out = tmp_path_factory.mktemp("polycommit")
    info = build_polycommit("ticker", out)
    return out, info


@pytest.fixture(scope="module")
def spec() -> FeatureSpec:
    return ModelFiles(model_dir("ticker")).spec()


@pytest.fixture(scope="module")
def proof(build, spec):
    """A real proof of the polycommit circuit for PROMPT: (features, proof bytes)."""
    import ezkl

    from zkrevox.circuit import _await

    out, _ = build
    (features,) = featurize_batch([PROMPT], spec)
    (out / "input.json").write_text(json.dumps({"input_data": [[float(v) for v in features]]}))
    _await(ezkl.gen_witness(str(out / "input.json"), str(out / "model.compiled"), str(out / "witness.json")))
    ezkl.prove(str(out / "witness.json"), str(out / "model.compiled"), str(out / "pk.key"), str(out / "proof.json"),
               str(out / "kzg.srs"))
    assert ezkl.verify(str(out / "proof.json"), str(out / "settings.json"), str(out / "vk.key"), str(out / "kzg.srs"))
    return list(features), bytes(json.loads((out / "proof.json").read_text())["proof"])


@pytest.fixture(scope="module")
def harness(deployed, compiled):
    from zkrevox.chain.deploy import deploy_contract

    record = deploy_contract(deployed.w3, deployed.owner, compiled["FeatureCommitmentHarness"])
    return deployed.w3.eth.contract(address=record.address, abi=compiled["FeatureCommitmentHarness"].abi)


def _deploy_points(deployed, harness, blob: bytes) -> str:
    fn = harness.functions.deployPoints(blob)
    tx = fn.build_transaction({"from": deployed.owner.address, "gas": 8_000_000,
                               "nonce": deployed.w3.eth.get_transaction_count(deployed.owner.address)})
    receipt = deployed.w3.eth.wait_for_transaction_receipt(
        deployed.w3.eth.send_raw_transaction(deployed.owner.sign_transaction(tx).raw_transaction))
    assert receipt.status == 1
    return harness.events.PointsDeployed().process_receipt(receipt)[0].args.points


@pytest.fixture(scope="module")
def blob(build) -> bytes:
    out, info = build
    return points_blob(out / "kzg.srs", info["num_features"], info["input_scale"], info["unusable_rows"])


@pytest.fixture(scope="module")
def points(deployed, harness, blob) -> str:
    return _deploy_points(deployed, harness, blob)


def _revert(harness, call) -> tuple[str, dict]:
    with pytest.raises(ContractCustomError) as err:
        call()
    decoded = ErrorDecoder(harness.abi).decode(err.value.data)
    assert decoded is not None, err.value.data
    return decoded


def test_blindingPointK_isTheCommitmentOfNoFeatures(build, blob):
    out, info = build
    assert info["logrows"] <= 14 and info["unusable_rows"] >= 1
    zero = [0] * info["num_features"]
    k = (int.from_bytes(blob[:32], "big"), int.from_bytes(blob[32:64], "big"))
    assert k == ezkl_commitment(zero, info["input_scale"], out) == commit(blob, zero)


def test_proofCarriesTheCommitment_andTheLibraryAcceptsIt(build, proof, harness, points):
    out, info = build
    features, proof_bytes = proof
    want = ezkl_commitment(features, info["input_scale"], out)
    assert proof_commitment(proof_bytes) == want  # offset 0, big-endian; kzg_commit prints little-endian
    assert tuple(harness.functions.commit(points, features).call()) == want
    harness.functions.check(points, features, proof_bytes).call()  # no revert
    # as DPrompt holds them: the Featurizer's packed form (clip 3: 2 bits per feature)
    assert tuple(harness.functions.commitPacked(points, pack_counts(features, 2), 2).call()) == want


@pytest.mark.parametrize("change", ["one more", "one less", "another prompt"])
def test_check_refusesAProofOfOtherFeatures(build, proof, harness, points, spec, change):
    features, proof_bytes = proof
    other = list(features)
    if change == "another prompt":
        (other,) = featurize_batch(["swap 2 eth for usdc"], spec)
        other = list(other)
    else:
        i = next(i for i, v in enumerate(features) if v)
        other[i] += 1 if change == "one more" else -1
    name, args = _revert(harness, lambda: harness.functions.check(points, other, proof_bytes).call())
    assert name == "FeatureCommitmentMismatch"
    packed = harness.functions.measureCheckPacked(points, pack_counts(other, 2), 2, proof_bytes)
    assert _revert(harness, lambda: packed.call())[0] == "FeatureCommitmentMismatch"
    assert (args["proofX"], args["proofY"]) == proof_commitment(proof_bytes)
    assert (args["wantX"], args["wantY"]) != (args["proofX"], args["proofY"])


@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(data=st.data())
def test_commit_equalsEzklKzgCommit_onRandomFeatureVectors(build, harness, points, data):
    out, info = build
    n = info["num_features"]
    nonzero = data.draw(st.dictionaries(st.integers(0, n - 1), st.integers(1, 12), min_size=1, max_size=24))
    counts = [nonzero.get(i, 0) for i in range(n)]  # counts above 8 take the ecMul path
    want = ezkl_commitment(counts, info["input_scale"], out)
    assert tuple(harness.functions.commit(points, counts).call()) == want
    assert tuple(harness.functions.commitPacked(points, pack_counts(counts, 4), 4).call()) == want


@pytest.mark.parametrize("bad", ["infinity", "off the curve"])
@pytest.mark.parametrize("slot", [0, 3])
def test_aStoredPointAtInfinityOrOffTheCurve_isRefused(deployed, harness, blob, slot, bad):
    x = int.from_bytes(blob[slot * POINT_BYTES : slot * POINT_BYTES + 32], "big")
    y = int.from_bytes(blob[slot * POINT_BYTES + 32 : (slot + 1) * POINT_BYTES], "big")
    point = (0, 0) if bad == "infinity" else (x, y + 1)
    damaged = (blob[: slot * POINT_BYTES] + point[0].to_bytes(32, "big") + point[1].to_bytes(32, "big")
               + blob[(slot + 1) * POINT_BYTES :])
    addr = _deploy_points(deployed, harness, damaged)
    counts = [0] * (len(blob) // POINT_BYTES - 1)
    counts[2] = 1  # feature 2's point is slot 3
    name, args = _revert(harness, lambda: harness.functions.commit(addr, counts).call())
    assert (name, args) == ("FeatureCommitmentBadPoint", {"slot": slot})


def test_moreCountsThanPoints_andMalformedPointData_areRefused(deployed, harness, blob, points):
    n = len(blob) // POINT_BYTES - 1
    assert harness.functions.pointCount(points).call() == n
    name, args = _revert(harness, lambda: harness.functions.commit(points, [0] * (n + 1)).call())
    assert (name, args) == ("FeatureCommitmentTooManyFeatures", {"features": n + 1, "points": n})
    name, _ = _revert(harness, lambda: harness.functions.pointCount(deployed.owner.address).call())
    assert name == "FeatureCommitmentInvalidPoints"
    beyond = [0] * (n + 1) + [1]  # a count past the last point, in packed form
    name, args = _revert(harness, lambda: harness.functions.commitPacked(points, pack_counts(beyond, 2), 2).call())
    assert (name, args) == ("FeatureCommitmentTooManyFeatures", {"features": n + 2, "points": n})
