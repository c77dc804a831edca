"""Network presets against anvil started with each preset's chain id; RPC errors; keys; fees."""

from __future__ import annotations

import json
import logging

import pytest
from eth_account import Account

from zkrevox.chain.anvil import Anvil, free_port
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import deploy_dprompt
from zkrevox.chain.keys import ANVIL_DEV_KEYS, load_account
from zkrevox.chain.networks import PRESETS, connect, fee_fields, fee_fields_for, resolve_rpc
from zkrevox.errors import ChainError, InputError

pytestmark = pytest.mark.chain


@pytest.mark.parametrize("name", ["bsc-testnet", "opbnb-testnet", "sepolia", "local"])
def test_preset_connectsAndSendsOnItsChainId(name: str, monkeypatch):
    net = PRESETS[name]
    with Anvil(chain_id=net.chain_id) as chain:
        monkeypatch.setenv(net.rpc_env, chain.url)
        monkeypatch.delenv("ZKREVOX_RPC_URL", raising=False)
        url = resolve_rpc(name)
        assert url == chain.url
        w3 = connect(url, expected_chain_id=net.chain_id)
        account = Account.from_key(ANVIL_DEV_KEYS[0])
        record, _ = deploy_dprompt(w3, account, account.address, 60)
        client = DPromptClient(w3, record.address, account)
        assert client.contract.functions.owner().call() == account.address
        tx = w3.eth.get_transaction(record.tx)
        assert tx["type"] == 2  # anvil has a base fee: EIP-1559
        assert tx["chainId"] == net.chain_id


def test_connect_failsNamingTheUrlWhenRpcIsDown():
    url = f"http://127.0.0.1:{free_port()}"
    with pytest.raises(ChainError) as err:
        connect(url)
    assert url in str(err.value) and "zkrevox chain up" in str(err.value)


def test_connect_refusesTheWrongChain():
    with Anvil(chain_id=97) as chain, pytest.raises(ChainError) as err:
        connect(chain.url, expected_chain_id=11155111)
    assert "97" in str(err.value)


def test_resolveRpc_prefersFlagThenEnv(monkeypatch):
    monkeypatch.setenv("ZKREVOX_RPC_URL", "http://env:1")
    assert resolve_rpc("sepolia", "http://flag:2") == "http://flag:2"
    assert resolve_rpc("sepolia") == "http://env:1"
    monkeypatch.delenv("ZKREVOX_RPC_URL")
    monkeypatch.setenv("ZKREVOX_RPC_SEPOLIA", "http://preset:3")
    assert resolve_rpc("sepolia") == "http://preset:3"
    with pytest.raises(InputError):
        resolve_rpc("mainnet")


def test_feeFields_useLegacyGasPriceWithoutBaseFee():
    with Anvil() as chain:
        w3 = connect(chain.url)
        assert set(fee_fields(w3)) == {"maxFeePerGas", "maxPriorityFeePerGas"}
        assert set(fee_fields_for({"number": 1}, w3)) == {"gasPrice"}


def test_keys_fromEnvThenKeystoreThenDevAccount(tmp_path, caplog):
    key = ANVIL_DEV_KEYS[2]
    assert load_account(97, {"ZKREVOX_PRIVATE_KEY": key}).key.hex() == key.removeprefix("0x")
    keystore = tmp_path / "key.json"
    keystore.write_text(json.dumps(Account.encrypt(key, "pw", iterations=2)))
    env = {"ZKREVOX_KEYSTORE": str(keystore), "ZKREVOX_KEYSTORE_PASSWORD": "pw"}
    assert load_account(97, env).address == Account.from_key(key).address
    with pytest.raises(InputError):
        load_account(97, {**env, "ZKREVOX_KEYSTORE_PASSWORD": "wrong"})
    with caplog.at_level(logging.WARNING):
        dev = load_account(31337, {})
    assert dev.address == Account.from_key(ANVIL_DEV_KEYS[0]).address
    assert "dev account" in caplog.text
    assert load_account(31337, {"ZKREVOX_DEV_ACCOUNT": "1"}).address == Account.from_key(ANVIL_DEV_KEYS[1]).address
    with pytest.raises(InputError) as err:
        load_account(97, {})
    assert "ZKREVOX_PRIVATE_KEY" in str(err.value)
    with pytest.raises(InputError):
        load_account(97, {"ZKREVOX_PRIVATE_KEY": "0x1234"})


def test_anvilDevKeys_areAnvilsAccounts():
    with Anvil() as chain:
        accounts = connect(chain.url).eth.accounts
    assert [Account.from_key(k).address for k in ANVIL_DEV_KEYS] == accounts[: len(ANVIL_DEV_KEYS)]
