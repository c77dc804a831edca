"""`zkrevox chain stake-token` deploys the local ERC-20 and hands it out, `zkrevox deploy
--stake-token` makes a DPrompt staked in it, `zkrevox provider stake` approves and stakes it and
names the asset."""

from __future__ import annotations

import pytest
from chainenv import Env
from clirun import run

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.solc import project_contracts

pytestmark = [pytest.mark.chain, pytest.mark.slow]
TOKEN = 10**18


def test_stakeToken_deployStakeEndToEnd(env: Env, tmp_path, prover, batch_provers):
    code, token, err = run(env, tmp_path, 0, "chain", "stake-token", "--supply", "5000",
                           "--to", env.provider.address, "--to", f"{env.provider2.address}=2.5")
    assert code == 0, err
    erc20 = env.w3.eth.contract(address=token["token"], abi=project_contracts()["LocalStakeToken"].abi)
    assert erc20.functions.symbol().call() == "ZKRS"
    assert erc20.functions.balanceOf(env.provider.address).call() == 1000 * TOKEN  # the default --amount
    assert erc20.functions.balanceOf(env.provider2.address).call() == 5 * TOKEN // 2
    assert erc20.functions.balanceOf(env.owner.address).call() == 5000 * TOKEN - 1000 * TOKEN - 5 * TOKEN // 2

    code, dep, err = run(env, tmp_path, 0, "deploy", "ticker", "--stake-token", token["token"], "--min-stake", "10",
                         "--batch", "4")
    assert code == 0, err
    assert dep["stake_asset"] == {"token": token["token"], "symbol": "ZKRS", "decimals": 18}
    assert DPromptClient(env.w3, dep["dprompt"]).stake_token() == token["token"]

    code, out, err = run(env, tmp_path, 1, "provider", "stake", "10")
    assert code == 0, err
    assert out["asset"]["symbol"] == "ZKRS" and out["stake_wei"] == 10 * TOKEN and out["eligible"] is True
    assert erc20.functions.balanceOf(dep["dprompt"]).call() == 10 * TOKEN
    assert env.w3.eth.get_balance(dep["dprompt"]) == 0  # fees stay native; nothing staked in ETH


def test_deploy_stakeTokenMustBeAContract(env: Env, tmp_path, prover):
    code, _, err = run(env, tmp_path, 0, "deploy", "ticker", "--stake-token", "0x1234")
    assert code == 1 and "not an address" in err
    code, _, err = run(env, tmp_path, 0, "deploy", "ticker", "--stake-token", env.user.address)
    assert code == 1 and "no contract at" in err and "zkrevox chain stake-token" in err


def test_stakeToken_transfersBeyondTheSupply_exit1(env: Env, tmp_path):
    code, _, err = run(env, tmp_path, 0, "chain", "stake-token", "--supply", "10", "--to", f"{env.user.address}=11")
    assert code == 1 and "raise --supply" in err
