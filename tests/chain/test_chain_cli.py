"""The on-chain CLI commands against the session's anvil deployment (toy circuit)."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from chainenv import Env
from typer.testing import CliRunner

from zkrevox.chain.anvil import free_port
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.cli.chain import app
from zkrevox.errors import ChainError

pytestmark = pytest.mark.chain


def run(env: Env, key_index: int | None, *args: str) -> tuple[int, dict | None, str]:
    runner = CliRunner()
    variables = {"ZKREVOX_RPC_URL": env.rpc, "ZKREVOX_DEPLOYMENTS": str(env.dep.path.parent),
                 "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[key_index] if key_index is not None else ""}
    result = runner.invoke(app, [*args, "--json"], env=variables)
    out = json.loads(result.stdout) if result.exit_code == 0 and result.stdout.strip() else None
    return result.exit_code, out, result.stderr


def test_cli_stakeRequestFulfilAnswer(env: Env):
    code, out, err = run(env, 1, "provider", "stake", "0.1")
    assert code == 0, err
    assert out["stake"] == "0.1" and out["tx"].startswith("0x")
    code, out, err = run(env, 3, "request", "swap 2 bnb for cake")
    assert code == 0, err
    rid = out["request_id"]
    assert out["tx"].startswith("0x")
    code, out, _ = run(env, None, "answer", str(rid))
    assert out["status"] == "pending" and out["tickers"] == []
    proof = env.toy.proof_file("swap 2 bnb for cake")
    code, out, err = run(env, 1, "fulfil", str(rid), "--proof", str(proof))
    assert code == 0, err
    assert set(out) >= {"tx", "gas_used", "tickers"} and out["gas_used"] > 0
    code, answer, _ = run(env, None, "answer", str(rid))
    assert answer["status"] == "fulfilled"
    assert answer["tickers"] == out["tickers"]
    assert answer["fulfil_tx"] == out["tx"]
    code, out, err = run(env, 1, "withdraw")
    assert code == 0, err
    assert out["amount_wei"] == env.params.fee_wei * (10_000 - env.params.developer_share_bps) // 10_000
    code, out, err = run(env, 0, "withdraw")  # the publisher (the deployer here) withdraws its share
    assert code == 0, err
    assert out["amount_wei"] == env.params.fee_wei * env.params.developer_share_bps // 10_000


def test_cli_fulfil_localChecksRefuseAProofForAnotherPrompt(env: Env):
    run(env, 1, "provider", "stake", "0.1")
    _, out, _ = run(env, 3, "request", "buy some pepe")
    proof = env.toy.proof_file("swap 2 bnb for cake")
    code, _, err = run(env, 1, "fulfil", str(out["request_id"]), "--proof", str(proof))
    assert code == 1
    assert "another prompt" in err and "buy some pepe" in err


def test_cli_fulfil_skipLocalChecksFailsOnChain(env: Env):
    run(env, 1, "provider", "stake", "0.1")
    _, out, _ = run(env, 3, "request", "buy some pepe")
    proof = env.toy.proof_file("swap 2 bnb for cake")
    code, _, err = run(env, 1, "fulfil", str(out["request_id"]), "--proof", str(proof), "--skip-local-checks")
    assert code == 1
    assert "reverted on-chain" in err and "DPromptProofRejected" in err


def test_cli_request_tooLongIsAUserError(env: Env):
    run(env, 1, "provider", "stake", "0.1")
    code, out, err = run(env, 3, "request", "a" * 193)
    assert code == 1 and out is None
    assert "193 bytes" in err and "limit is 192" in err


def test_cli_answer_unknownRequest(env: Env):
    code, _, err = run(env, None, "answer", "4242")
    assert code == 1 and "no request 4242" in err


def test_cli_rpcDown_namesTheUrl(env: Env, tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    result = CliRunner().invoke(app, ["answer", "1", "--json", "--rpc", url])
    assert result.exit_code == 1
    assert url in result.stderr and "zkrevox chain up" in result.stderr


def test_cli_chainUp_printsItsUrlAndServes():
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(p for p in sys.path if p)}
    cmd = [sys.executable, "-m", "zkrevox.cli.chain", "chain", "up", "--chain-id", "97", "--json"]
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env=env) as proc:
        try:
            info = json.loads(proc.stdout.readline())
            assert info["chain_id"] == 97 and info["rpc"].startswith("http://127.0.0.1:")
            assert connect(info["rpc"], expected_chain_id=97).eth.block_number == 0
        finally:
            proc.terminate()
            proc.wait(timeout=10)
    # SIGTERM stopped anvil too: its port no longer answers
    with pytest.raises(ChainError):
        connect(info["rpc"])
