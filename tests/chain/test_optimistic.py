"""Optimistic answers: a provider posts the bitmap only, backed by its stake; anyone overturns a
wrong one with one proof during the model's challenge window; after it the answer is final and
the provider paid. Each attack of the issue is a test here, on anvil with real toy-circuit proofs.

Economics under test (IDPrompt / README "Optimistic answers"): an overturned answer earns the
provider nothing, ``min(answerBond, stake)`` is slashed, half (rounded up) to the disputer and half
to the requester, who also gets its fee back but for its callback's cost, which goes to the disputer.
"""

from __future__ import annotations

import pytest
from chainenv import DEVELOPER_SHARE_BPS, MIN_STAKE, UNBONDING_DELAY, Env
from web3.logs import DISCARD

from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.revert import RevertedError

pytestmark = pytest.mark.chain

PROMPT = "swap 2 bnb for cake"
OTHER = "what is the price of eth"


def bitmap_of(proof, num_outputs: int) -> int:
    """The answer bitmap DPrompt derives from a proof's outputs: bit i iff output i > 0."""
    return sum(1 << i for i, v in enumerate(proof.signed_outputs(num_outputs)) if v > 0)


def ask(env: Env, prompt: str = PROMPT, *, value: int | None = None) -> int:
    rid, _ = env.client(env.user).request(env.model_id, prompt, value=value, optimistic=True)
    return rid


def answered(env: Env, prompt: str = PROMPT, *, wrong: bool = False) -> tuple[int, int, object]:
    """An optimistic request answered by its provider: ``(request id, posted bitmap, proof)``;
    ``wrong`` flips bit 0 of the right answer."""
    rid = ask(env, prompt)
    proof = env.toy.prove(prompt)
    right = bitmap_of(proof, env.toy.num_outputs)
    posted = right ^ 1 if wrong else right
    env.client(env.provider).post_answer(rid, posted)
    return rid, posted, proof


def reverts(name: str, fn, *args, **kwargs) -> RevertedError:
    with pytest.raises(RevertedError) as err:
        fn(*args, **kwargs)
    assert err.value.error_name == name, err.value
    return err.value


def dispute(env: Env, account, rid: int, proof):
    return env.client(account).dispute(rid, proof.proof_bytes, proof.outputs(env.toy.num_outputs))


def _cut(env: Env) -> int:
    return env.params.fee_wei * DEVELOPER_SHARE_BPS // 10_000


# ------------------------------------------------------------------ the happy paths


def test_answer_opensTheWindow_underEightyThousandGas(staked: Env):
    rid = ask(staked)
    proof = staked.toy.prove(PROMPT)
    bitmap = bitmap_of(proof, staked.toy.num_outputs)
    receipt = staked.client(staked.provider).post_answer(rid, bitmap)
    assert receipt["gasUsed"] <= 80_000
    info = staked.client().request_info(rid)
    block = staked.w3.eth.get_block(receipt["blockNumber"])
    assert (info.status, info.optimistic, info.answer) == ("answered", True, bitmap)
    assert info.window_end == block["timestamp"] + staked.params.challenge_window_s
    (event,) = staked.client().contract.events.DPromptAnswered().process_receipt(receipt, errors=DISCARD)
    assert (event.args.requestId, event.args.answer, event.args.windowEnd) == (rid, bitmap, info.window_end)
    reverts("DPromptAnswerNotFinal", staked.client().answer, rid)
    assert staked.client().features(rid) == staked.client().featurize(staked.model_id, PROMPT)


def test_finalize_afterTheWindow_paysTheProvider(staked: Env):
    rid, bitmap, _ = answered(staked)
    fee = staked.client().request_info(rid).fee
    before = staked.client().provider(staked.model_id, staked.provider.address)
    reverts("DPromptChallengeWindowOpen", staked.client(staked.other).finalize, [rid])
    staked.advance(staked.params.challenge_window_s)
    receipt = staked.client(staked.other).finalize([rid])
    after = staked.client().provider(staked.model_id, staked.provider.address)
    assert after.earned - before.earned == fee - _cut(staked)
    assert (after.pending, after.stake) == (before.pending - 1, before.stake)
    assert staked.client().request_info(rid).status == "fulfilled"
    assert staked.client().answer(rid) == bitmap
    (event,) = staked.client().contract.events.DPromptFulfilled().process_receipt(receipt, errors=DISCARD)
    assert (event.args.requestId, event.args.provider, event.args.answer) == (rid, staked.provider.address, bitmap)
    reverts("DPromptAlreadyFulfilled", staked.client(staked.other).finalize, [rid])


def test_optimisticFee_isTheLeastPayment(staked: Env):
    reverts("DPromptFeeTooLow", ask, staked, value=staked.params.optimistic_fee - 1)
    rid = ask(staked)
    assert staked.client().request_info(rid).fee == staked.params.optimistic_fee


# ------------------------------------------------------------------ disputes


def test_dispute_overturnsAWrongAnswer_andSplitsTheBond(staked: Env):
    rid, posted, proof = answered(staked, wrong=True)
    proven = posted ^ 1
    client = staked.client()
    fee = client.request_info(rid).fee
    bond = staked.params.answer_bond
    stake_before = client.provider(staked.model_id, staked.provider.address)
    receipt = dispute(staked, staked.other, rid, proof)
    info = client.request_info(rid)
    assert (info.status, info.answer, client.answer(rid)) == ("overturned", proven, proven)
    after = client.provider(staked.model_id, staked.provider.address)
    assert after.stake == stake_before.stake - bond
    assert after.earned == stake_before.earned and after.pending == stake_before.pending - 1
    assert client.credits(staked.other.address) == bond - bond // 2
    assert client.credits(staked.user.address) == fee + bond // 2
    (over,) = client.contract.events.DPromptAnswerOverturned().process_receipt(receipt, errors=DISCARD)
    assert (over.args.disputer, over.args.posted, over.args.proven) == (staked.other.address, posted, proven)
    (slash,) = client.contract.events.DPromptBondSlashed().process_receipt(receipt, errors=DISCARD)
    assert (slash.args.bond, slash.args.toDisputer, slash.args.toRequester) == (bond, bond - bond // 2, bond // 2)
    # final at once: nothing more happens to it
    staked.advance(staked.params.challenge_window_s)
    reverts("DPromptAlreadyOverturned", staked.client(staked.other).finalize, [rid])
    reverts("DPromptAlreadyOverturned", staked.client(staked.user).reclaim, rid)


def test_dispute_ofACorrectAnswer_reverts(staked: Env):
    rid, posted, proof = answered(staked)
    err = reverts("DPromptAnswerNotWrong", dispute, staked, staked.other, rid, proof)
    assert err.error_args["answer"] == posted
    assert staked.client().request_info(rid).status == "answered"


def test_dispute_afterTheWindow_reverts(staked: Env):
    rid, _, proof = answered(staked, wrong=True)
    staked.advance(staked.params.challenge_window_s)
    reverts("DPromptChallengeWindowOver", dispute, staked, staked.other, rid, proof)


def test_dispute_withAProofOfAnotherRequestsFeatures_reverts(staked: Env):
    rid, _, _ = answered(staked, wrong=True)
    other_proof = staked.toy.prove(OTHER)  # a valid proof, of another prompt's features
    reverts("DPromptProofRejected", dispute, staked, staked.other, rid, other_proof)


def test_dispute_twice_revertsTheSecond(staked: Env):
    rid, _, proof = answered(staked, wrong=True)
    dispute(staked, staked.other, rid, proof)
    reverts("DPromptAlreadyOverturned", dispute, staked, staked.user, rid, proof)


def test_dispute_ofAPendingOrProvenRequest_reverts(staked: Env):
    rid = ask(staked)
    proof = staked.toy.prove(PROMPT)
    reverts("DPromptNotAnswered", dispute, staked, staked.other, rid, proof)
    staked.client(staked.provider).fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    reverts("DPromptAlreadyFulfilled", dispute, staked, staked.other, rid, proof)


def test_providerDisputingItself_losesHalfItsBond(staked: Env):
    """A provider that overturns its own wrong answer gets back half its bond and no fee: no profit."""
    client = staked.client()

    def wealth() -> int:
        p = client.provider(staked.model_id, staked.provider.address)
        return p.stake + p.earned + client.credits(staked.provider.address)

    before = wealth()
    rid, _, proof = answered(staked, wrong=True)
    dispute(staked, staked.provider, rid, proof)
    bond = staked.params.answer_bond
    assert wealth() == before - bond // 2
    assert client.credits(staked.user.address) == client.request_info(rid).fee + bond // 2


# ------------------------------------------------------------------ answers that must be refused


def test_answer_refusedUnlessAssignedOptimisticPendingAndInTime(staked: Env):
    rid = ask(staked)
    reverts("DPromptNotAssigned", staked.client(staked.other).post_answer, rid, 1)
    reverts("DPromptAnswerOutOfRange", staked.client(staked.provider).post_answer, rid,
            1 << staked.toy.num_outputs)
    staked.client(staked.provider).post_answer(rid, 1)
    reverts("DPromptAlreadyAnswered", staked.client(staked.provider).post_answer, rid, 1)
    proof = staked.toy.prove(PROMPT)
    reverts("DPromptAlreadyAnswered", staked.client(staked.provider).fulfil, rid, proof.proof_bytes,
            proof.outputs(staked.toy.num_outputs))

    proven, _ = staked.client(staked.user).request(staked.model_id, PROMPT)
    reverts("DPromptNotOptimistic", staked.client(staked.provider).post_answer, proven, 1)

    late = ask(staked)
    staked.advance(staked.params.response_window_s + 1)
    reverts("DPromptDeadlinePassed", staked.client(staked.provider).post_answer, late, 1)
    # a missed deadline: today's reclaim rules (refund, slash burned)
    staked.client(staked.user).reclaim(late)
    assert staked.client().request_info(late).status == "reclaimed"


def _publish(env: Env, **economics) -> int:
    """Publish the test model again with other economics; the provider stakes the minimum for it."""
    from dataclasses import replace

    from zkrevox.chain.vocab_table import build_table

    params = replace(env.params, **economics)
    model_id, _ = env.client(env.owner).publish_model(
        params.config_for(env.dep.models["ticker"].verifier.address), build_table(params.spec).data)
    env.client(env.provider).stake(model_id, MIN_STAKE)
    return model_id


def test_answer_needsTheBondOfEveryRequestHeld(staked: Env):
    model_id = _publish(staked, answer_bond_wei=MIN_STAKE)  # one bond is the whole minimum stake
    user = staked.client(staked.user)
    first, _ = user.request(model_id, PROMPT, optimistic=True)
    second, _ = user.request(model_id, OTHER, optimistic=True)
    err = reverts("DPromptStakeBelowBonds", staked.client(staked.provider).post_answer, first, 1)
    assert (err.error_args["stake"], err.error_args["required"]) == (MIN_STAKE, 2 * MIN_STAKE)
    staked.client(staked.provider).stake(model_id, MIN_STAKE)  # topped up: both bonds covered
    staked.client(staked.provider).post_answer(first, 1)
    staked.client(staked.provider).post_answer(second, 1)


def test_bond_notWithdrawableWhileAnAnswerIsInItsWindow(staked: Env):
    rid, _, _ = answered(staked)
    provider = staked.client(staked.provider)
    provider.unbond(staked.model_id)
    staked.advance(UNBONDING_DELAY)
    reverts("DPromptStakeLocked", provider.withdraw_stake, staked.model_id)
    staked.client(staked.other).finalize([rid])
    provider.withdraw_stake(staked.model_id)
    assert provider.provider(staked.model_id, staked.provider.address).stake == 0


def test_requestOptimistic_refusedByAModelWithoutTheMode(staked: Env):
    model_id = _publish(staked, challenge_window_s=0, optimistic_fee_wei=0, answer_bond_wei=0)
    assert staked.client().model(model_id).challenge_window == 0
    reverts("DPromptOptimisticNotOffered", staked.client(staked.user).request, model_id, PROMPT,
            value=10**15, optimistic=True)


# ------------------------------------------------------------------ callbacks


def _consumer(env: Env, compiled, mode: int, gas: int = 200_000):
    record = deploy_contract(env.w3, env.owner, compiled["HostileConsumer"], env.dep.dprompt.address)
    consumer = env.w3.eth.contract(address=record.address, abi=compiled["HostileConsumer"].abi)
    consumer.functions.setMode(mode, gas).transact({"from": env.owner.address})
    return consumer


def _ask_via(env: Env, consumer, prompt: str = PROMPT) -> int:
    gas = consumer.functions.callbackGas().call()
    price = env.w3.eth.gas_price
    pay = env.params.optimistic_fee + (gas + 15_000) * (price + 10**9)  # the provider's 1 gwei tip (issue 18)
    tx = consumer.functions.askOptimistic(env.model_id, prompt.encode()).transact(
        {"from": env.user.address, "value": pay, "gasPrice": price})
    receipt = env.w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    (event,) = env.client().contract.events.DPromptRequested().process_receipt(receipt, errors=DISCARD)
    return int(event.args.requestId)


def _callbacks(env: Env, receipt) -> list[tuple[int, bool]]:
    events = env.client().contract.events.DPromptCallback().process_receipt(receipt, errors=DISCARD)
    return [(e.args.requestId, e.args.success) for e in events]


STORE, REVERT, BURN_GAS, REENTER_OPTIMISTIC = 0, 1, 2, 6


@pytest.mark.parametrize("path", ["finalize", "dispute"])
def test_callback_cannotReenterFinalizeDisputeAnswerOrWithdraw(staked: Env, compiled, path: str):
    consumer = _consumer(staked, compiled, REENTER_OPTIMISTIC)
    rid = _ask_via(staked, consumer)
    proof = staked.toy.prove(PROMPT)
    right = bitmap_of(proof, staked.toy.num_outputs)
    staked.client(staked.provider).post_answer(rid, right if path == "finalize" else right ^ 1)
    if path == "finalize":
        staked.advance(staked.params.challenge_window_s)
        receipt = staked.client(staked.other).finalize([rid])
    else:
        receipt = dispute(staked, staked.other, rid, proof)
    assert _callbacks(staked, receipt) == [(rid, True)]
    assert consumer.functions.lastAnswer().call() == right
    refusal = consumer.functions.reentryError().call()
    assert staked.client().errors.decode(refusal)[0] == "ReentrancyGuardReentrantCall"


@pytest.mark.parametrize("mode", [REVERT, BURN_GAS])
def test_hostileConsumer_cannotBlockFinalizeOrDispute(staked: Env, compiled, mode: int):
    consumer = _consumer(staked, compiled, mode)
    good, bad = _ask_via(staked, consumer), _ask_via(staked, consumer, OTHER)
    proof, bad_proof = staked.toy.prove(PROMPT), staked.toy.prove(OTHER)
    staked.client(staked.provider).post_answer(good, bitmap_of(proof, staked.toy.num_outputs))
    staked.client(staked.provider).post_answer(bad, bitmap_of(bad_proof, staked.toy.num_outputs) ^ 1)
    receipt = dispute(staked, staked.other, bad, bad_proof)
    assert _callbacks(staked, receipt) == [(bad, False)]
    staked.advance(staked.params.challenge_window_s)
    receipt = staked.client(staked.other).finalize([good])
    assert _callbacks(staked, receipt) == [(good, False)]
    assert staked.client().request_info(good).status == "fulfilled"


def test_finalize_batch_ofSixteen_underThirtyThousandGasEach(staked: Env):
    staked.client(staked.provider).set_capacity(staked.model_id, 32)
    ids = [ask(staked, f"swap {i} bnb for cake") for i in range(16)]
    for rid in ids:
        staked.client(staked.provider).post_answer(rid, 1)
    staked.advance(staked.params.challenge_window_s)
    receipt = staked.client(staked.other).finalize(ids)
    assert receipt["gasUsed"] / 16 <= 30_000, receipt["gasUsed"]
    assert {staked.client().request_info(r).status for r in ids} == {"fulfilled"}


# ------------------------------------------------------------------ publication rules


@pytest.mark.parametrize(("economics", "problem"), [
    ({"answer_bond_wei": MIN_STAKE + 1}, "answerBond above minStake"),
    ({"answer_bond_wei": 1}, "answerBond below 2"),
    ({"optimistic_fee_wei": 1}, "optimisticFee below the developer's cut"),
    ({"challenge_window_s": 59}, "challengeWindow below 60 s"),
    ({"challenge_window_s": 31 * 24 * 3600}, "challengeWindow over 30 days"),
    ({"challenge_window_s": 0, "answer_bond_wei": 10}, "optimisticFee/answerBond need a challengeWindow"),
])
def test_publish_refusesBadOptimisticEconomics_offlineAndOnChain(env: Env, economics: dict, problem: str):
    from dataclasses import replace

    from zkrevox.chain.deploy import check_economics
    from zkrevox.chain.vocab_table import build_table
    from zkrevox.errors import DeploymentError

    params = replace(env.params, **economics)
    with pytest.raises(DeploymentError):
        check_economics(params)
    err = reverts("DPromptInvalidModelConfig", env.client(env.owner).publish_model,
                  params.config_for(env.dep.models["ticker"].verifier.address), build_table(params.spec).data)
    assert err.error_args["reason"] == problem


def test_dispute_withAnErc20Stake_paysTheBondInTheToken(env: Env, compiled):
    """With an ERC-20 stake the bond halves are token credits, pulled with `withdrawTokens`; the fee
    comes back native."""
    from test_stake_token import _token_deployment

    from zkrevox.chain.client import DPromptClient

    address, model_id, erc20 = _token_deployment(env, compiled, "MintableToken")
    provider, user, other = (DPromptClient(env.w3, address, a) for a in (env.provider, env.user, env.other))
    provider.stake(model_id, MIN_STAKE)
    rid, _ = user.request(model_id, PROMPT, optimistic=True)
    proof = env.toy.prove(PROMPT)
    provider.post_answer(rid, bitmap_of(proof, env.toy.num_outputs) ^ 1)
    other.dispute(rid, proof.proof_bytes, proof.outputs(env.toy.num_outputs))
    bond = env.params.answer_bond
    balance = erc20.functions.balanceOf
    assert (other.token_credits(env.other.address), user.token_credits(env.user.address)) == (bond - bond // 2,
                                                                                            bond // 2)
    other.withdraw_tokens()
    user.withdraw_tokens()
    assert (balance(env.other.address).call(), balance(env.user.address).call()) == (bond - bond // 2, bond // 2)
    assert balance(address).call() == MIN_STAKE - bond == provider.provider(model_id, env.provider.address).stake
    assert user.credits(env.user.address) == env.params.optimistic_fee  # the native fee back
    assert user.credits(env.other.address) == 0


def test_finalize_cannotStarveTheCallback(staked: Env, compiled):
    """Exact gas: a finalize sent with too little gas for a callback's limit reverts as a whole
    (nothing is finalized); with enough it runs and the consumer gets its full limit."""
    consumer = _consumer(staked, compiled, STORE, gas=1_000_000)
    rid = _ask_via(staked, consumer)
    proof = staked.toy.prove(PROMPT)
    staked.client(staked.provider).post_answer(rid, bitmap_of(proof, staked.toy.num_outputs))
    staked.advance(staked.params.challenge_window_s)
    fn = staked.client().contract.functions.finalize([rid])
    tx = fn.transact({"from": staked.other.address, "gas": 600_000})
    receipt = staked.w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 0
    with pytest.raises(Exception) as raised:  # the same call replayed: web3's revert exception
        fn.call({"from": staked.other.address, "gas": 600_000})
    assert staked.client().revert_error(raised.value, "finalize").error_name == "DPromptInsufficientGasForCallback"
    assert staked.client().request_info(rid).status == "finalizable"
    receipt = staked.client(staked.other).finalize([rid])
    assert _callbacks(staked, receipt) == [(rid, True)]
    assert consumer.functions.lastAnswer().call() == bitmap_of(proof, staked.toy.num_outputs)


def test_dispute_withACallback_paysTheDisputerTheCallbacksCostFromTheRequestersEscrow(staked: Env, compiled):
    """The callback runs in the dispute with all its gas; its cost, (limit + 15,000) x the dispute's gas price
    (at most what the requester paid beyond the optimistic fee), goes from the requester's refund to the
    disputer, so a 2M-gas callback does not make disputing a loss (issue 19)."""
    consumer = _consumer(staked, compiled, BURN_GAS, gas=2_000_000)
    rid = _ask_via(staked, consumer)
    escrow = staked.client().request_info(rid).fee - staked.params.optimistic_fee
    proof = staked.toy.prove(PROMPT)
    staked.client(staked.provider).post_answer(rid, bitmap_of(proof, staked.toy.num_outputs) ^ 1)
    bond = staked.params.answer_bond
    client = staked.client()
    price = staked.w3.eth.gas_price  # at most the request's: the whole pay is within the escrow
    tx = client.contract.functions.dispute(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs)).transact(
        {"from": staked.other.address, "gasPrice": price})
    receipt = staked.w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1 and _callbacks(staked, receipt) == [(rid, False)]  # it burned all its gas
    assert receipt["gasUsed"] > 2_000_000  # the callback had its full limit
    pay = min((2_000_000 + 15_000) * price, escrow)
    assert client.credits(staked.other.address) == bond - bond // 2 + pay
    assert client.credits(consumer.address) == staked.params.optimistic_fee + escrow - pay + bond // 2


def test_dispute_atAHigherGasPriceThanTheRequest_payIsCappedByTheEscrow(staked: Env, compiled):
    consumer = _consumer(staked, compiled, STORE, gas=100_000)
    rid = _ask_via(staked, consumer)
    escrow = staked.client().request_info(rid).fee - staked.params.optimistic_fee
    proof = staked.toy.prove(PROMPT)
    staked.client(staked.provider).post_answer(rid, bitmap_of(proof, staked.toy.num_outputs) ^ 1)
    client = staked.client()
    price = 10 * staked.w3.eth.gas_price + 10**9
    tx = client.contract.functions.dispute(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs)).transact(
        {"from": staked.other.address, "gasPrice": price})
    assert staked.w3.eth.wait_for_transaction_receipt(tx)["status"] == 1
    bond = staked.params.answer_bond
    assert client.credits(staked.other.address) == bond - bond // 2 + escrow  # all of the escrow, no more
    assert client.credits(consumer.address) == staked.params.optimistic_fee + bond // 2
