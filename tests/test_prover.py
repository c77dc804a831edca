"""Real ezkl proofs of the ticker circuit: prove, verify, tamper, mismatch."""

from __future__ import annotations

import json
import shutil

import ezkl
import pytest

from zkrevox import ArtifactError, InputError, Proof, ProofError, Prover
from zkrevox.artifacts import Artifacts
from zkrevox.proof import BatchProof

ISSUE_9 = bytes.fromhex("73776170203220fffe20666f722063616b65")  # b"swap 2 \xff\xfe for cake": not UTF-8

pytestmark = pytest.mark.slow


def test_prove_names_bnb_and_cake_and_ezkl_verifies_it(prover, bnb_cake_proof):
    assert bnb_cake_proof.labels == ["BNB", "CAKE"]
    assert ezkl.verify(str(bnb_cake_proof.path), str(prover.settings_path), str(prover.vk_path), str(prover.srs_path))
    assert prover.verify(bnb_cake_proof)


def test_predict_equals_what_the_proof_attests(prover, bnb_cake_proof):
    prediction = prover.predict("swap 2 bnb for cake")
    assert prediction.labels == bnb_cake_proof.labels
    assert prediction.outputs == bnb_cake_proof.outputs


def test_proof_round_trips_through_its_files(bnb_cake_proof):
    loaded = Proof.from_file(bnb_cake_proof.path.parent)
    assert loaded.labels == bnb_cake_proof.labels
    assert loaded.instances == bnb_cake_proof.instances
    assert loaded.proof_bytes == bnb_cake_proof.proof_bytes
    assert loaded.answer_key == bnb_cake_proof.answer_key == "tickers"


def test_an_answer_file_written_before_answer_key_is_read_by_its_one_answer_field(bnb_cake_proof, tmp_path):
    import json
    import shutil

    dest = tmp_path / "old"
    shutil.copytree(bnb_cake_proof.path.parent, dest)
    meta = json.loads((dest / "answer.json").read_text())
    del meta["answer_key"]  # the files zkrevox wrote before agents: {"tickers": [...]} and no answer_key
    (dest / "answer.json").write_text(json.dumps(meta))
    loaded = Proof.from_file(dest)
    assert (loaded.answer_key, loaded.labels) == ("tickers", ["BNB", "CAKE"])


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
    meta["prompt"], meta["prompt_hex"] = "buy some pepe", b"buy some pepe".hex()
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ProofError, match=r"not the features of 'buy some pepe'"):
        prover.verify(Proof.from_file(proof.path))


def test_an_answer_whose_text_and_hex_disagree_is_refused(bnb_cake_proof, tmp_path):
    proof = _copy_proof(bnb_cake_proof, tmp_path)
    meta_path = proof.path.with_name("answer.json")
    meta = json.loads(meta_path.read_text())
    meta["prompt"] = "buy some pepe"
    meta_path.write_text(json.dumps(meta))
    with pytest.raises(ProofError, match="hex and its text disagree"):
        Proof.from_file(proof.path)


def test_an_answer_written_before_prompt_hex_reads_as_utf8(prover, bnb_cake_proof, tmp_path):
    proof = _copy_proof(bnb_cake_proof, tmp_path)
    meta_path = proof.path.with_name("answer.json")
    meta = json.loads(meta_path.read_text())
    del meta["prompt_hex"]
    meta_path.write_text(json.dumps(meta))
    loaded = Proof.from_file(proof.path)
    assert loaded.raw_prompt == b"swap 2 bnb for cake"
    assert prover.verify(loaded)


def test_a_prompt_that_is_not_utf8_is_predicted_proved_verified_and_round_trips(prover, tmp_path):
    """Issue 9: DPrompt accepts any bytes, so the prover must prove them (0xff 0xfe are separators)."""
    prediction = prover.predict(ISSUE_9)
    assert prediction.raw_prompt == ISSUE_9
    assert prediction.prompt == "swap 2 \\xff\\xfe for cake"
    assert prediction.features == prover.predict("swap 2 for cake").features
    proof = prover.prove(bytearray(ISSUE_9), out_dir=tmp_path / "p")
    assert (proof.raw_prompt, proof.prompt, proof.labels) == (ISSUE_9, prediction.prompt, prediction.labels)
    assert proof.outputs == prediction.outputs
    assert prover.verify(proof)
    meta = json.loads((tmp_path / "p" / "answer.json").read_text())
    assert meta["prompt_hex"] == ISSUE_9.hex()
    loaded = Proof.from_file(tmp_path / "p")
    assert loaded.raw_prompt == ISSUE_9 and loaded.prompt == proof.prompt
    assert prover.verify(loaded)
    # its text form is another prompt (the characters backslash, x, f, f): the bytes are what is proved
    meta["prompt"], meta["prompt_hex"] = proof.prompt, proof.prompt.encode().hex()
    (tmp_path / "p" / "answer.json").write_text(json.dumps(meta))
    with pytest.raises(ProofError, match="not the features of"):
        prover.verify(Proof.from_file(tmp_path / "p"))


def test_str_prompts_are_their_utf8_bytes(prover):
    assert prover.predict("café bnb") == prover.predict("café bnb".encode())
    assert prover.predict(b"caf\xc3 bnb").raw_prompt == b"caf\xc3 bnb"


def test_a_batch_of_prompts_that_are_not_utf8_round_trips(batch_provers, tmp_path):
    prover = batch_provers[4]
    prompts = [ISSUE_9, "sell eth", b"\xff", b"\xc0\xafbnb\x80pepe"]
    proof = prover.prove_batch(prompts, out_dir=tmp_path / "b")
    assert proof.raw_prompts == [ISSUE_9, b"sell eth", b"\xff", b"\xc0\xafbnb\x80pepe"]
    assert proof.answers[1] == ["ETH"] and proof.answers[2] == []
    assert set(proof.answers[3]) == {"BNB", "PEPE"}
    assert prover.verify(proof)
    loaded = BatchProof.from_file(tmp_path / "b")
    assert (loaded.raw_prompts, loaded.prompts, loaded.answers) == (proof.raw_prompts, proof.prompts, proof.answers)
    assert loaded.outputs == proof.outputs
    assert prover.verify(loaded)


def test_the_prover_pool_proves_bytes_and_str(tmp_path):
    from zkrevox.pool import ProverPool

    with ProverPool("ticker", workers=1) as pool:
        from_bytes = pool.submit(ISSUE_9, tmp_path / "b").result(timeout=300)
        from_str = pool.submit("swap 2 bnb for cake", tmp_path / "s").result(timeout=300)
    assert from_bytes.raw_prompt == ISSUE_9 and from_bytes.labels == ["CAKE"]
    assert from_str.raw_prompt == b"swap 2 bnb for cake" and from_str.labels == ["BNB", "CAKE"]


def test_corrupted_proof_file_is_a_proof_error(tmp_path):
    (tmp_path / "proof.json").write_text("{not json")
    with pytest.raises(ProofError, match="not an ezkl proof file"):
        Proof.from_file(tmp_path)


@pytest.mark.parametrize("prompt", ["", b"", "x" * 500, b"\xff" * 193, "a\ud800"])
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
