"""cast (foundry 1.7.1, from node_modules) as an independent client of the deployed contracts."""

from __future__ import annotations

import subprocess

import pytest
from chainenv import FEE, Env

from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.paths import foundry_tool
from zkrevox.featurize import featurize_bytes

pytestmark = pytest.mark.chain


def cast(env: Env | None, *args: str) -> str:
    rpc = ["--rpc-url", env.rpc] if env is not None else []
    proc = subprocess.run([str(foundry_tool("cast")), *args, *rpc],
                          capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode == 0, proc.stderr
    return proc.stdout.strip()


def test_cast_sendsARequestThatPythonReads(staked: Env):
    address = staked.dep.dprompt.address
    prompt = b"swap 2 bnb for cake"
    tx = cast(staked, "send", address, "request(uint32,bytes)", str(staked.model_id), "0x" + prompt.hex(),
              "--value", str(FEE), "--private-key", ANVIL_DEV_KEYS[3], "--json")
    assert '"status":"0x1"' in tx.replace(" ", "")
    rid = int(cast(staked, "call", address, "nextRequestId()(uint256)")) - 1
    info = staked.client().request_info(rid)
    assert info.requester == staked.user.address and info.status == "pending"
    assert staked.client().features(rid) == featurize_bytes(prompt, staked.toy.spec)


def test_cast_readsAFulfilledAnswerAndReceipt(staked: Env):
    rid, _ = staked.client(staked.user).request(staked.model_id, "swap 2 bnb for cake")
    proof = staked.toy.prove("swap 2 bnb for cake")
    receipt = staked.client(staked.provider).fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    tx = "0x" + bytes(receipt["transactionHash"]).hex()
    assert cast(staked, "receipt", tx, "status").split()[0] in ("1", "true")
    assert int(cast(staked, "receipt", tx, "gasUsed")) == receipt["gasUsed"]
    answer = int(cast(staked, "call", staked.dep.dprompt.address, "answerOf(uint256)(uint256)", str(rid)).split()[0])
    assert answer == staked.client().answer(rid)
    # cast decodes DPrompt's custom error selector on a second fulfilment, independently of our decoder
    proc = subprocess.run(
        [str(foundry_tool("cast")), "call", staked.dep.dprompt.address, "fulfil(uint256,bytes,uint256[])", str(rid),
         "0x" + proof.proof_bytes.hex(), "[" + ",".join(map(str, proof.outputs(staked.toy.num_outputs))) + "]",
         "--from", staked.provider.address, "--rpc-url", staked.rpc],
        capture_output=True, text=True, timeout=60, check=False)
    assert proc.returncode != 0
    assert "0x" in proc.stderr  # the revert data (DPromptAlreadyFulfilled selector)
    selector = cast(None, "sig", "DPromptAlreadyFulfilled(uint256)")
    assert selector in proc.stderr
