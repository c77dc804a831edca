"""`zkrevox check-model ID`: the deployed verifier's runtime bytecode against the verifier
regenerated from local artifacts and compiled here, the vk and spec hashes, the featurizer the
contract runs, and each registered batch verifier; `verified` (exit 0) or exactly what differs
(exit 1)."""

from __future__ import annotations

import pytest
from chainenv import Env
from clirun import own_deployment, run
from eth_account import Account

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.models import strip_metadata
from zkrevox.chain.publish import publish
from zkrevox.chain.vocab_table import build_table

pytestmark = [pytest.mark.chain, pytest.mark.slow]


@pytest.fixture(scope="module")
def published(deployed: Env, prover, batch_provers, tmp_path_factory):
    """The real ticker model and its batch-4 verifier published as model 2 by another account
    (``zkrevox publish ticker --as ticker-real --batch 4``), for the whole module."""
    snap = deployed.w3.provider.make_request("evm_snapshot", [])["result"]
    directory = tmp_path_factory.mktemp("check-model")
    dep = own_deployment(deployed, directory)
    params = model_params("ticker")
    record = publish(deployed.w3, Account.from_key(ANVIL_DEV_KEYS[4]), dep, params, as_name="ticker-real",
                     batch_sizes=(4,))
    assert record.model_id == 2
    yield directory, params
    deployed.w3.provider.make_request("evm_revert", [snap])


def _publish_config(env: Env, params, *, verifier: str | None = None, vk: bytes | None = None,
                    spec: bytes | None = None) -> int:
    """Publish the real ticker's configuration with one field replaced (as a cheat would)."""
    config = list(params.config_for(verifier or env.client().model(2).verifier))
    config[1] = vk or config[1]
    config[2] = spec or config[2]
    model_id, _ = env.client(env.other).publish_model(tuple(config), build_table(params.spec).data)
    return model_id


def _differing(out: dict) -> set[str]:
    return {c["what"] for c in out["comparisons"] if not c["ok"]}


def test_checkModel_publishedFromTheseArtifacts_isVerified(env: Env, published):
    directory, _ = published
    code, out, err = run(env, directory, None, "check-model", "2")
    assert code == 0, err
    assert out["verified"] is True and out["local_model"] == "ticker" and out["not_checked"] == []
    assert {c["what"] for c in out["comparisons"]} == {
        "verifier bytecode", "vk hash", "spec hash", "featurizer parameters", "feature packing", "vocabulary table",
        "batch-4 verifier bytecode", "batch-4 vk hash", "batch-4 feature packing"}
    code, text, err = run(env, directory, None, "check-model", "2", "--reuse-generated", as_json=False)
    assert code == 0, err
    assert text.splitlines()[0] == "verified"
    assert "generating the verifier of artifacts/ticker" in err or "reusing the verifier" in err  # progress


def test_checkModel_retiredModel_saysItIsRetired_andShowsProgress(env: Env, published):
    """Issue 18: a retired model checks 'verified' with the word 'retired' beside it, and each long
    step is said on stderr as it starts."""
    directory, _ = published
    DPromptClient(env.w3, env.dep.dprompt.address, Account.from_key(ANVIL_DEV_KEYS[4])).retire_model(2)
    code, text, err = run(env, directory, None, "check-model", "2", "--reuse-generated", as_json=False)
    assert code == 0, err
    assert text.splitlines()[0].startswith("verified (retired: it takes no new requests")
    assert "reusing the verifier of artifacts/ticker and compiling it" in err
    assert "batch-4 verifier: reusing it and compiling it" in err
    code, out, _ = run(env, directory, None, "check-model", "2", "--reuse-generated")
    assert out["retired"] is True and out["verified"] is True


def test_checkModel_anotherCircuit_saysWhatDiffers(env: Env, published):
    """Model 1 is the chain tests' toy circuit, recorded as `ticker`: same spec, another circuit."""
    directory, _ = published
    code, out, err = run(env, directory, None, "check-model", "1", "--reuse-generated")
    assert code == 1
    assert out["verified"] is False
    # the toy circuit takes its features unpacked, the local ticker circuit packed
    assert _differing(out) == {"verifier bytecode", "vk hash", "featurizer parameters", "feature packing"}
    assert "inputScale 2 ≠ " in err and "vk hash: on-chain" in err and "verifier bytecode" in err


def test_checkModel_anotherVerifierAddress_differsInBytecodeOnly(env: Env, published):
    directory, params = published
    toy_verifier = env.dep.models["ticker"].verifier.address
    model_id = _publish_config(env, params, verifier=toy_verifier)
    code, out, err = run(env, directory, None, "check-model", str(model_id), "--model", "ticker",
                         "--reuse-generated")
    assert code == 1
    assert _differing(out) == {"verifier bytecode"}
    assert f"{toy_verifier} are not the verifier generated from artifacts/ticker" in err


@pytest.mark.parametrize("field", ["vk", "spec"])
def test_checkModel_anotherHash_differsInThatHashOnly(env: Env, published, field):
    directory, params = published
    model_id = _publish_config(env, params, **{field: b"\x42" * 32})
    code, out, err = run(env, directory, None, "check-model", str(model_id), "--model", "ticker",
                         "--reuse-generated")
    assert code == 1
    assert _differing(out) == {f"{field} hash"}
    assert f"{field} hash: on-chain {'42' * 32}" in err


def test_checkModel_aBatchVerifierThatDiffers(env: Env, published):
    directory, params = published
    model_id = _publish_config(env, params)
    toy_verifier = env.dep.models["ticker"].verifier.address
    DPromptClient(env.w3, env.dep.dprompt.address, env.other).register_batch_verifier(
        model_id, 4, toy_verifier, b"\x01" * 32)
    code, out, _ = run(env, directory, None, "check-model", str(model_id), "--model", "ticker", "--reuse-generated")
    assert code == 1
    assert _differing(out) == {"batch-4 verifier bytecode", "batch-4 vk hash", "batch-4 feature packing"}


def test_checkModel_unrecordedModelWithoutModelOption_namesTheFix(env: Env, published):
    directory, params = published
    model_id = _publish_config(env, params)
    code, _, err = run(env, directory, None, "check-model", str(model_id))
    assert code == 1 and f"check-model {model_id} --model NAME" in err


def test_checkModel_unknownId(env: Env, published):
    code, _, err = run(env, published[0], None, "check-model", "99")
    assert code == 1 and "no model 99" in err and "zkrevox models" in err


def test_stripMetadata_dropsOnlySolcsCborTag():
    tag = bytes.fromhex("a164736f6c6343000825000a")  # {"solc": 0.8.37}, length 10
    assert strip_metadata(b"\x60\x80" + tag) == b"\x60\x80"
    assert strip_metadata(b"\x60\x80\x00\x05") == b"\x60\x80\x00\x05"
