"""Providers stake an ERC-20 token when the deployment chooses one (fees stay native): a standard
OpenZeppelin token, a USDT-style token whose transfers return nothing (SafeERC20), and a
fee-on-transfer token, which is refused."""

from __future__ import annotations

import pytest
from chainenv import FEE, MIN_STAKE, SLASH_BPS, UNBONDING_DELAY, Env

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import deploy_contract, deploy_dprompt
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.vocab_table import build_table

pytestmark = pytest.mark.chain

PROMPT = "swap 2 bnb for cake"


def _token_deployment(env: Env, compiled, token_contract: str):
    token = deploy_contract(env.w3, env.owner, compiled[token_contract]).address
    record, _ = deploy_dprompt(env.w3, env.owner, env.owner.address, UNBONDING_DELAY, token)
    owner = DPromptClient(env.w3, record.address, env.owner)
    model_id, _ = owner.publish_model(env.params.config_for(env.dep.models["ticker"].verifier.address),
                                      build_table(env.params.spec).data)
    erc20 = env.w3.eth.contract(address=token, abi=compiled[token_contract].abi)
    erc20.functions.mint(env.provider.address, 10 * MIN_STAKE).transact({"from": env.owner.address})
    return record.address, model_id, erc20


@pytest.mark.parametrize("token_contract", ["MintableToken", "NoReturnToken"])
def test_tokenStake_stakesAnswersAndWithdraws(env: Env, compiled, token_contract: str):
    address, model_id, erc20 = _token_deployment(env, compiled, token_contract)
    provider = DPromptClient(env.w3, address, env.provider)
    assert provider.stake_token() == erc20.address
    provider.stake(model_id, MIN_STAKE)  # approves, then stakes
    assert erc20.functions.balanceOf(address).call() == MIN_STAKE
    position = provider.provider(model_id, env.provider.address)
    assert (position.stake, position.eligible) == (MIN_STAKE, True)
    user = DPromptClient(env.w3, address, env.user)
    rid, _ = user.request(model_id, PROMPT)  # fees are native
    proof = env.toy.prove(PROMPT)
    provider.fulfil(rid, proof.proof_bytes, proof.outputs(env.toy.num_outputs))
    assert env.w3.eth.get_balance(address) == FEE
    provider.unbond(model_id)
    env.advance(UNBONDING_DELAY + 1)
    provider.withdraw_stake(model_id)  # a token stake becomes token credit
    assert provider.token_credits(env.provider.address) == MIN_STAKE
    provider.withdraw_tokens()  # pulled
    assert erc20.functions.balanceOf(env.provider.address).call() == 10 * MIN_STAKE
    assert erc20.functions.balanceOf(address).call() == 0
    assert provider.credits(env.provider.address) == 0


def test_tokenStake_slashIsBurnedInTheToken(env: Env, compiled):
    address, model_id, erc20 = _token_deployment(env, compiled, "MintableToken")
    DPromptClient(env.w3, address, env.provider).stake(model_id, MIN_STAKE)
    user = DPromptClient(env.w3, address, env.user)
    rid, _ = user.request(model_id, PROMPT)
    env.advance(env.params.response_window_s + 1)
    user.reclaim(rid)
    slashed = MIN_STAKE * SLASH_BPS // 10_000
    assert user.burned() == slashed
    assert user.credits(env.user.address) == FEE  # the native fee back
    assert user.provider(model_id, env.provider.address).stake == MIN_STAKE - slashed
    assert erc20.functions.balanceOf(address).call() == MIN_STAKE  # stakes + burned, nothing paid out


def test_feeOnTransferToken_isRefusedAsStake(env: Env, compiled):
    address, model_id, erc20 = _token_deployment(env, compiled, "FeeOnTransferToken")
    provider = DPromptClient(env.w3, address, env.provider)
    with pytest.raises(RevertedError) as err:
        provider.stake(model_id, MIN_STAKE)
    assert err.value.error_name == "DPromptStakeTransferMismatch"
    assert err.value.error_args == {"received": MIN_STAKE - MIN_STAKE // 100, "amount": MIN_STAKE}
    assert erc20.functions.balanceOf(address).call() == 0


def test_tokenStake_refusesNativeValue(env: Env, compiled):
    address, model_id, _ = _token_deployment(env, compiled, "MintableToken")
    provider = DPromptClient(env.w3, address, env.provider)
    with pytest.raises(RevertedError) as err:
        provider._send(provider.contract.functions.stake(model_id, MIN_STAKE), value=MIN_STAKE)
    assert err.value.error_name == "DPromptStakeValueMismatch"


def test_tokenStake_withoutAllowance_namesTheFix(env: Env, compiled):
    address, model_id, _ = _token_deployment(env, compiled, "MintableToken")
    provider = DPromptClient(env.w3, address, env.provider)
    with pytest.raises(RevertedError) as err:
        provider._send(provider.contract.functions.stake(model_id, MIN_STAKE))
    assert err.value.error_name == "ERC20InsufficientAllowance"
    assert "approve DPrompt" in str(err.value)


def test_nativeStake_valueMustEqualTheAmount(staked: Env):
    provider = staked.client(staked.provider2)
    with pytest.raises(RevertedError) as err:
        provider._send(provider.contract.functions.stake(staked.model_id, MIN_STAKE), value=MIN_STAKE - 1)
    assert err.value.error_name == "DPromptStakeValueMismatch"
