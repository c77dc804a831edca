"""Issue 18, item 1c: a stake token that pauses, blocklists or shrinks can neither block a dispute,
a reclaim or a fulfilment, nor let one provider's shortfall take another's stake.

Bond shares and withdrawn stakes are token credits pulled with ``withdrawTokens``; DPrompt books
what it owes in the token, and when its balance falls below that, every withdrawal is paid the same
fraction. The hostile tokens are test contracts (verifier-contracts/test/HostileTokens.sol) built on
OpenZeppelin 5's ERC-20 and ERC20Pausable.
"""

from __future__ import annotations

import pytest
from chainenv import MIN_STAKE, UNBONDING_DELAY, Env
from web3.logs import DISCARD

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import deploy_contract, deploy_dprompt
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.vocab_table import build_table

pytestmark = pytest.mark.chain

PROMPT = "swap 2 bnb for cake"


def _deployment(env: Env, compiled, token_contract: str):
    token = deploy_contract(env.w3, env.owner, compiled[token_contract]).address
    record, _ = deploy_dprompt(env.w3, env.owner, env.owner.address, UNBONDING_DELAY, token)
    owner = DPromptClient(env.w3, record.address, env.owner)
    model_id, _ = owner.publish_model(env.params.config_for(env.dep.models["ticker"].verifier.address),
                                      build_table(env.params.spec).data)
    erc20 = env.w3.eth.contract(address=token, abi=compiled[token_contract].abi)
    for account in (env.provider, env.provider2):
        erc20.functions.mint(account.address, 10 * MIN_STAKE).transact({"from": env.owner.address})
    return record.address, model_id, erc20


def _bitmap(proof, num_outputs: int) -> int:
    return sum(1 << i for i, v in enumerate(proof.signed_outputs(num_outputs)) if v > 0)


@pytest.mark.parametrize("hostility", ["paused", "requester blocklisted", "disputer blocklisted"])
def test_dispute_goesThrough_whateverTheTokenRefuses(env: Env, compiled, hostility: str):
    address, model_id, erc20 = _deployment(env, compiled, "PausableBlocklistToken")
    provider = DPromptClient(env.w3, address, env.provider)
    provider.stake(model_id, MIN_STAKE)
    user = DPromptClient(env.w3, address, env.user)
    rid, _ = user.request(model_id, PROMPT, optimistic=True)
    proof = env.toy.prove(PROMPT)
    provider.post_answer(rid, _bitmap(proof, env.toy.num_outputs) ^ 1)  # a wrong answer
    owner = {"from": env.owner.address}
    if hostility == "paused":
        erc20.functions.pause().transact(owner)
    else:
        who = env.user if hostility == "requester blocklisted" else env.other
        erc20.functions.setBlocked(who.address, True).transact(owner)
    disputer = DPromptClient(env.w3, address, env.other)
    disputer.dispute(rid, proof.proof_bytes, proof.outputs(env.toy.num_outputs))
    assert user.request_info(rid).status == "overturned"  # the wrong answer never becomes final
    bond = env.params.answer_bond
    assert disputer.token_credits(env.other.address) == bond - bond // 2
    assert user.token_credits(env.user.address) == bond // 2
    assert user.credits(env.user.address) == env.params.optimistic_fee  # the native fee back
    stake = provider.provider(model_id, env.provider.address).stake
    assert user.token_books() == (stake + bond, MIN_STAKE) == (MIN_STAKE, MIN_STAKE)  # owed = stakes + credits
    # the token's refusal stalls only the refused account's own withdrawal, and only until lifted
    share = {env.other.address: bond - bond // 2, env.user.address: bond // 2}
    blocked = env.user if hostility == "requester blocklisted" else env.other
    free = env.other if blocked is env.user else env.user
    with pytest.raises(RevertedError):
        DPromptClient(env.w3, address, blocked).withdraw_tokens()
    if hostility != "paused":
        DPromptClient(env.w3, address, free).withdraw_tokens()
        assert erc20.functions.balanceOf(free.address).call() == share[free.address]
        erc20.functions.setBlocked(blocked.address, False).transact(owner)
    else:
        erc20.functions.unpause().transact(owner)
    DPromptClient(env.w3, address, blocked).withdraw_tokens()
    assert erc20.functions.balanceOf(blocked.address).call() == share[blocked.address]


def test_reclaimAndFulfil_goThrough_whileTheTokenIsPaused(env: Env, compiled):
    address, model_id, erc20 = _deployment(env, compiled, "PausableBlocklistToken")
    provider = DPromptClient(env.w3, address, env.provider)
    provider.stake(model_id, MIN_STAKE)
    user = DPromptClient(env.w3, address, env.user)
    answered, _ = user.request(model_id, PROMPT)
    missed, _ = user.request(model_id, "what is the price of eth")
    erc20.functions.pause().transact({"from": env.owner.address})
    proof = env.toy.prove(PROMPT)
    provider.fulfil(answered, proof.proof_bytes, proof.outputs(env.toy.num_outputs))
    env.advance(env.params.response_window_s + 1)
    DPromptClient(env.w3, address, env.other).reclaim(missed)
    assert user.request_info(missed).status == "reclaimed"
    provider.unbond(model_id)
    env.advance(UNBONDING_DELAY + 1)
    provider.withdraw_stake(model_id)  # credit, no transfer: works while paused
    slashed = MIN_STAKE * env.params.slash_bps // 10_000
    assert provider.token_credits(env.provider.address) == MIN_STAKE - slashed


def test_shrinkingToken_oneProvidersShortfallDoesNotTakeAnothersStake(env: Env, compiled):
    address, model_id, erc20 = _deployment(env, compiled, "ShrinkingToken")
    first, second = (DPromptClient(env.w3, address, a) for a in (env.provider, env.provider2))
    first.stake(model_id, MIN_STAKE)
    second.stake(model_id, MIN_STAKE)
    assert first.token_books() == (2 * MIN_STAKE, 2 * MIN_STAKE)
    lost = MIN_STAKE // 2  # a quarter of DPrompt's balance vanishes (an admin burn, a negative rebase)
    erc20.functions.shrink(address, lost).transact({"from": env.owner.address})
    for client in (first, second):
        client.unbond(model_id)
    env.advance(UNBONDING_DELAY + 1)
    paid = []
    for client, account in ((first, env.provider), (second, env.provider2)):
        client.withdraw_stake(model_id)
        before = erc20.functions.balanceOf(account.address).call()
        receipt = client.withdraw_tokens()
        (event,) = client.contract.events.DPromptTokensWithdrawn().process_receipt(receipt, errors=DISCARD)
        assert event.args.amount == MIN_STAKE
        paid.append(erc20.functions.balanceOf(account.address).call() - before)
    # both bear the same fraction (3/4); the second is not left with nothing
    assert paid == [MIN_STAKE * 3 // 4, MIN_STAKE * 3 // 4]
    assert first.token_books() == (0, 0)


def test_withdrawTokens_onANativeStakeDeployment_hasNothing(staked: Env):
    with pytest.raises(RevertedError) as err:
        staked.client(staked.other).withdraw_tokens()
    assert err.value.error_name == "DPromptNothingToWithdraw"


def test_deployStakeTokenCheck_namesWhatItRefuses(env: Env, compiled):
    from zkrevox.chain.stake_token import check_stake_token
    from zkrevox.errors import InputError

    with pytest.raises(InputError, match="no contract"):
        check_stake_token(env.w3, env.other.address)
    with pytest.raises(InputError, match="ERC-20 reads"):
        check_stake_token(env.w3, env.dep.models["ticker"].verifier.address)  # code, but no ERC-20
    token = deploy_contract(env.w3, env.owner, compiled["PausableBlocklistToken"]).address
    assert check_stake_token(env.w3, token).symbol == "PBL"  # pausing/blocklisting is survivable: accepted
    slot = "0x360894a13ba1a3210667c828492db98dca3e2076cc3735a920a3ca505d382bbc"
    env.w3.provider.make_request("anvil_setStorageAt", [token, slot, "0x" + "11" * 32])
    with pytest.raises(InputError, match="EIP-1967 proxy"):
        check_stake_token(env.w3, token)
