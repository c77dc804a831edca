"""The committed ABI files (verifier-contracts/abi/*.json) for ethers/viem users: equal to a fresh
compile, and DPrompt.json alone decodes the reverts that come from its linked libraries and its
stake token."""

from __future__ import annotations

import json

import pytest
from chainenv import MIN_STAKE, UNBONDING_DELAY, Env
from web3.exceptions import ContractCustomError

from zkrevox.chain import abi
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import deploy_contract, deploy_dprompt
from zkrevox.chain.revert import ErrorDecoder, revert_data
from zkrevox.chain.vocab_table import build_table

pytestmark = pytest.mark.chain


def test_committedAbiFiles_equalAFreshCompile():
    stale = abi.stale()
    assert not stale, f"{', '.join(stale)} in {abi.abi_dir()} differ from a fresh compile; run {abi.REGENERATE}"


def test_abiFiles_areThePlainArraysEthersAndViemTake():
    for file in abi.ABI_FILES:
        items = json.loads((abi.abi_dir() / f"{file}.json").read_text())
        assert isinstance(items, list) and all("type" in item for item in items), file
    consumer = json.loads((abi.abi_dir() / "IDPromptConsumer.json").read_text())
    assert [abi.signature(i) for i in consumer] == ["function onDPromptAnswer(uint256,uint32,uint256)"]


def test_dpromptAbi_holdsEveryErrorOfItsLibrariesAndTheToken(compiled):
    dprompt = {abi.signature(i) for i in json.loads((abi.abi_dir() / "DPrompt.json").read_text())}
    for other in abi.REVERTS_THROUGH_DPROMPT:
        for item in compiled[other].abi:
            if item["type"] in ("error", "event"):
                assert abi.signature(item) in dprompt, (other, abi.signature(item))
    assert "error SafeERC20FailedOperation(address)" in dprompt
    assert "error ERC20InsufficientAllowance(address,uint256,uint256)" in dprompt


def test_dpromptAbi_decodesATokenRevertFromDPromptsAddress(env: Env, compiled):
    """A stake without allowance reverts inside the token, through ProviderStaking (DELEGATECALL)
    and SafeERC20: a client with only DPrompt.json still names the error."""
    token = deploy_contract(env.w3, env.owner, compiled["MintableToken"]).address
    record, _ = deploy_dprompt(env.w3, env.owner, env.owner.address, UNBONDING_DELAY, token)
    owner = DPromptClient(env.w3, record.address, env.owner)
    model_id, _ = owner.publish_model(env.params.config_for(env.dep.models["ticker"].verifier.address),
                                      build_table(env.params.spec).data)
    items = json.loads((abi.abi_dir() / "DPrompt.json").read_text())
    contract = env.w3.eth.contract(address=record.address, abi=items)
    with pytest.raises(ContractCustomError) as err:
        contract.functions.stake(model_id, MIN_STAKE).call({"from": env.provider.address})
    name, args, _ = ErrorDecoder(items).describe(revert_data(err.value))
    assert name == "ERC20InsufficientAllowance"
    assert args["needed"] == MIN_STAKE


def test_chainAbiCheck_cliAndModule(tmp_path):
    from typer.testing import CliRunner

    from zkrevox.cli import app

    result = CliRunner().invoke(app, ["chain", "abi", "--check", "--json"])
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["stale"] == []
    assert abi.main(["--check"]) == 0
    (tmp_path / "DPrompt.json").write_text("[]\n")
    assert abi.stale(tmp_path) == [f"{f}.json" for f in abi.ABI_FILES]  # edited or missing: all stale
