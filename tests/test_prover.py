"""Real ezkl proofs of the ticker circuit: prove, verify, tamper, mismatch."""

from __future__ import annotations

import json
import shutil

import ezkl
import pytest

from zkrevox import ArtifactError, InputError, Proof, ProofError, Prover
from zkrevox.artifacts import Artifacts

pytestmark = pytest.mark.slow


def test_prove_names_bnb_and_cake_and_ezkl_verifies_it(prover, bnb_cake_proof):
    assert bnb_cake_proof.tickers == ["BNB", "CAKE"]
    assert ezkl.verify(str(bnb_cake_proof.path), str(prover.settings_path), str(prover.vk_path), str(prover.srs_path))
    assert prover.verify(bnb_cake_proof)


def test_predict_equals_what_the_proof_attests(prover, bnb_cake_proof):
    prediction = prover.predict("swap 2 bnb for cake")
    assert prediction.tickers == bnb_cake_proof.tickers
    assert prediction.outputs == bnb_cake_proof.outputs


def test_proof_round_trips_through_its_files(bnb_cake_proof):
    loaded = Proof.from_file(bnb_cake_proof.path.parent)
    assert loaded.tickers == bnb_cake_proof.tickers
    assert loaded.instances == bnb_cake_proof.instances
    assert loaded.proof_bytes == bnb_cake_proof.proof_bytes


def _copy_proof(proof: Proof, tmp_path) -> Proof:
    dest = tmp_path / "copy"
    shutil.copytree(proof.path.parent, dest)
    return Proof.from_file(dest)


def test_one_flipped_proof_byte_is_rejected(prover, bnb_cake_proof, tmp_path):
    proof = _copy_proof(bnb_cake_proof, tmp_path)
    raw = json.loads(proof.path.read_text())
    raw["proof"][100] ^= 0x01
    raw["hex_proof"] = "0x" + bytes(raw["proof"]).hex()
    proof.path.write_text(json.dumps(raw))
    with pytest.raises(ProofError, match="does not verify"):
        prover.verify(Proof.from_file(proof.path))
    with pytest.raises(Exception):  # noqa: B017 - plain ezkl, any failure is a rejection
        assert ezkl.verify(str(proof.path), str(prover.settings_path), str(prover.vk_path), str(prover.srs_path))


def test_a_proof_claimed_for_another_prompt_is_rejected(prover, bnb_cake_proof, tmp_path):
    proof = _copy_proof(bnb_cake_proof, tmp_path)
    meta_path = proof.path.with_name("answer.json")
    meta = json.loads(meta_path.read_text())
    meta["prompt"] = "buy some pepe"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ProofError, match=r"not the features of 'buy some pepe'"):
        prover.verify(Proof.from_file(proof.path))


def test_corrupted_proof_file_is_a_proof_error(tmp_path):
    (tmp_path / "proof.json").write_text("{not json")
    with pytest.raises(ProofError, match="not an ezkl proof file"):
        Proof.from_file(tmp_path)


@pytest.mark.parametrize("prompt", ["", "x" * 500, b"\xc3\x28"])
def test_bad_prompts_raise_input_error(prover, prompt):
    with pytest.raises(InputError):
        prover.predict(prompt)


def test_missing_artifacts_name_the_build_command(tmp_path):
    with pytest.raises(ArtifactError, match="zkrevox build ticker"):
        Prover.load("ticker", root=tmp_path)


def test_keys_that_do_not_match_the_manifest_are_refused(prover, tmp_path):
    root = tmp_path / "arts"
    shutil.copytree(prover.artifacts.path, root / "ticker")
    vk = root / "ticker" / "vk.key"
    data = bytearray(vk.read_bytes())
    data[-1] ^= 0xFF
    vk.write_bytes(bytes(data))
    with pytest.raises(ArtifactError, match=r"vk\.key does not match manifest\.json"):
        Prover.load("ticker", root=root)


def test_manifest_records_hashes_of_every_artifact(prover):
    manifest = Artifacts.for_model("ticker", prover.artifacts.model, prover.artifacts.path.parent).check()
    assert set(manifest["files"]) == {"settings", "compiled", "srs", "vk", "pk"}
    assert manifest["srs_kind"] in {"insecure-dev", "user"}


def test_evm_calldata_carries_the_proof_and_big_endian_instances(bnb_cake_proof):
    from zkrevox import _native

    proof_bytes, instances = _native.decode_verify_calldata(bnb_cake_proof.calldata)
    assert proof_bytes == bnb_cake_proof.proof_bytes
    assert instances == bnb_cake_proof.instance_uints
    assert bnb_cake_proof.calldata[:4] == bytes.fromhex("1e8e1e13")  # verifyProof(bytes,uint256[])


def test_wrong_number_of_prompts_for_the_circuit_is_an_input_error(prover):
    with pytest.raises(InputError, match="answers 1 prompt"):
        prover.predict_batch(["buy bnb", "sell eth"])
