"""Naming a network gets that network or an error naming both chain ids; the default `--network local`
refuses an RPC that serves any chain but a local one (issue 14). Anvil started at the presets' chain ids."""

from __future__ import annotations

import pytest
from eth_account import Account
from typer.testing import CliRunner

from zkrevox.chain.anvil import Anvil, free_port
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.cli import app

pytestmark = pytest.mark.chain


def run(env: dict[str, str], *args: str) -> tuple[int, str, str]:
    base = {"ZKREVOX_RPC_URL": "", "ZKREVOX_RPC_LOCAL": "", "ZKREVOX_RPC_BSC_TESTNET": "",
            "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[2]}
    result = CliRunner().invoke(app, list(args), env={**base, **env})
    return result.exit_code, result.stdout, result.stderr


def sent(url: str) -> int:
    return connect(url).eth.get_transaction_count(Account.from_key(ANVIL_DEV_KEYS[2]).address)


def test_namedNetwork_withALocalRpcUrl_refusesNamingBothChainIds(tmp_path):
    with Anvil() as local:  # the walkthrough's chain, still exported
        code, out, err = run({"ZKREVOX_RPC_URL": local.url, "ZKREVOX_DEPLOYMENTS": str(tmp_path)},
                             "request", "eth", "--network", "bsc-testnet")
        assert code == 1 and out == ""
        assert "--network bsc-testnet means chain id 97" in err and "serves chain id 31337" in err
        assert "$ZKREVOX_RPC_URL" in err and "ZKREVOX_RPC_BSC_TESTNET" in err
        assert sent(local.url) == 0


@pytest.mark.parametrize("chain_id, preset", [(97, "bsc-testnet"), (11155111, "sepolia"), (5611, "opbnb-testnet")])
def test_defaultLocal_onAPaidNetwork_refusesNamingBothChainIdsAndTheFix(tmp_path, chain_id, preset):
    with Anvil(chain_id=chain_id) as paid:
        for args in (["request", "eth"], ["deploy"], ["provider", "stake", "1"], ["chain", "advance", "10"]):
            code, out, err = run({"ZKREVOX_RPC_URL": paid.url, "ZKREVOX_DEPLOYMENTS": str(tmp_path)}, *args)
            assert code == 1 and out == "", args
            assert f"serves chain id {chain_id} ({preset})" in err and "31337" in err
            assert f"--network {preset}" in err and "nothing was sent" in err
        code, _, err = run({"ZKREVOX_DEPLOYMENTS": str(tmp_path)}, "answer", "1", "--rpc", paid.url)
        assert code == 1 and f"serves chain id {chain_id}" in err and "from --rpc" in err
        assert sent(paid.url) == 0
        # naming the network it serves gets past the check (then: no deployment on it yet)
        code, _, err = run({"ZKREVOX_RPC_URL": paid.url, "ZKREVOX_DEPLOYMENTS": str(tmp_path)},
                           "request", "eth", "--network", preset)
        assert code == 1 and "no deployment record" in err


def test_defaultLocal_onAnUnknownChain_refuses(tmp_path):
    with Anvil(chain_id=4242) as other:
        code, _, err = run({"ZKREVOX_RPC_URL": other.url, "ZKREVOX_DEPLOYMENTS": str(tmp_path)}, "request", "eth")
        assert code == 1 and "serves chain id 4242" in err and "No preset names chain 4242" in err


def test_unreachableRpc_namesTheVariableToSet(tmp_path):
    url = f"http://127.0.0.1:{free_port()}"
    code, _, err = run({"ZKREVOX_RPC_URL": url, "ZKREVOX_DEPLOYMENTS": str(tmp_path)}, "answer", "1")
    assert code == 1
    assert f"RPC {url} (from $ZKREVOX_RPC_URL) does not answer" in err
    assert "zkrevox chain up" in err and "export ZKREVOX_RPC_URL=" in err
