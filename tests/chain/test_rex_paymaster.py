"""Paying for requests with AI points through the PointsPaymaster (real anvil, real contracts, toy
proofs): the points fall by the published price, DPrompt's fee comes from the paymaster's budget,
the answer is the user's to read (and to get by callback through the paymaster), a missed request is
refunded exactly once by anyone after its deadline, and only the paymaster spends points."""

from __future__ import annotations

import pytest
from chainenv import MIN_STAKE, RESPONSE_WINDOW
from rexenv import DAY, UNIT, RexEnv
from web3 import Web3
from web3.logs import DISCARD

from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.revert import RevertedError
from zkrevox.chain.solc import project_contracts

pytestmark = pytest.mark.chain

PROMPT = "swap 2 bnb for cake"


@pytest.fixture()
def ready(rex: RexEnv) -> RexEnv:
    """A staked provider, and the user with 1,000 REX staked for a day (1,000 points)."""
    rex.env.client(rex.env.provider).stake(rex.env.model_id, MIN_STAKE)
    rex.client(rex.env.user).stake(1_000 * UNIT)
    rex.advance(DAY)
    return rex


def _fulfil(rex: RexEnv, rid: int):
    env = rex.env
    proof = env.toy.prove(PROMPT)
    return env.client(env.provider).fulfil(rid, proof.proof_bytes, proof.outputs(env.toy.num_outputs))


def test_pointsRequest_isAnsweredAndCostsThePublishedPrice(ready: RexEnv):
    env, user = ready.env, ready.client(ready.env.user)
    price, budget = user.points_price(), user.budget()
    before = user.points()
    assert before >= 1_000 * UNIT and price == ready.params.points_price
    rid, spent, _receipt = user.request_with_points(env.model_id, PROMPT)
    assert spent == price and before - price <= user.points() <= before - price + UNIT // 10  # + seconds' accrual
    info = env.client(None).request_info(rid)
    assert info.requester == ready.record.paymaster and user.paid_request(rid) == (env.user.address, price, False)
    assert user.budget() == budget - info.fee and info.fee == env.params.fee_wei
    _fulfil(ready, rid)
    assert env.client(None).request_info(rid).status == "fulfilled"
    with pytest.raises(RevertedError):  # a fulfilled request is not refunded
        ready.client(env.other).refund(rid)


def test_missedPointsRequest_isRefundedOnceByAnyoneAfterTheDeadline(ready: RexEnv):
    env, user, stranger = ready.env, ready.client(ready.env.user), ready.client(ready.env.other)
    rid, price, _ = user.request_with_points(env.model_id, PROMPT)
    budget = user.budget()
    with pytest.raises(RevertedError) as err:
        stranger.refund(rid)
    assert err.value.error_name == "DPromptDeadlineNotPassed"
    ready.advance(RESPONSE_WINDOW + 1)
    left = user.points()
    points, receipt = stranger.refund(rid)
    assert points == price and left + price - 1 <= user.points() <= left + price + UNIT  # back (plus seconds' accrual)
    (event,) = stranger.paymaster.events.PointsPaymasterRefunded().process_receipt(receipt, errors=DISCARD)
    assert event.args.fee == env.params.fee_wei and user.budget() == budget + env.params.fee_wei
    assert user.paid_request(rid)[2] is True
    for who in (stranger, user):
        with pytest.raises(RevertedError) as err:
            who.refund(rid)
        assert err.value.error_name == "PointsPaymasterAlreadyRefunded"
    with pytest.raises(RevertedError) as err:  # the paymaster's own request cannot be reclaimed by the user
        env.client(env.user).reclaim(rid)
    assert err.value.error_name in ("DPromptNotRequester", "DPromptRequestNotPending", "DPromptAlreadyReclaimed")


def test_points_areSpentOnlyByThePaymaster(ready: RexEnv):
    env, user = ready.env, ready.client(ready.env.user)
    for fn in (user.srex.functions.spendPoints(env.user.address, 1), user.srex.functions.refundPoints(
            env.user.address, 10**24), user.srex.functions.setPointsSpender(env.user.address)):
        with pytest.raises(RevertedError) as err:
            user._send(fn)
        assert err.value.error_name == "StakedRexUnauthorized"
    owner = ready.client(env.owner)  # the deployer named the paymaster already: once only
    with pytest.raises(RevertedError) as err:
        owner._send(owner.srex.functions.setPointsSpender(env.owner.address))
    assert err.value.error_name == "StakedRexUnauthorized"
    poor = ready.client(env.provider2)  # no stake, no points
    with pytest.raises(RevertedError) as err:
        poor._send(poor.paymaster.functions.request(env.model_id, PROMPT.encode(), "0x" + "00" * 20, 0))
    assert err.value.error_name == "StakedRexInsufficientPoints"


def test_points_areCutToTheCapWhenTheStakeFalls(ready: RexEnv):
    user = ready.client(ready.env.user)
    ready.advance(60 * DAY)  # far past the 30-day cap
    assert user.points() == user.points_cap() == 1_000 * UNIT * 30
    user.redeem(900 * UNIT)
    assert user.points() <= user.points_cap() == 100 * UNIT * 30


@pytest.mark.parametrize(("mode", "ok"), [(0, True), (1, False), (2, False)])  # Store, Revert, BurnGas
def test_pointsRequest_callbackReachesTheUsersConsumer(ready: RexEnv, mode: int, ok: bool):
    env, user = ready.env, ready.client(ready.env.user)
    compiled = project_contracts()["HostileConsumer"]
    record = deploy_contract(env.w3, env.user, compiled, ready.record.paymaster)  # it trusts the paymaster
    consumer = env.w3.eth.contract(address=record.address, abi=compiled.abi)
    user._send(consumer.functions.setMode(mode, 0))
    user._send(consumer.functions.approveRequester(env.user.address))  # its owner lets itself name it
    assert user.paymaster.functions.isRequester(record.address, env.user.address).call()
    rid, _, _ = user.request_with_points(env.model_id, PROMPT, consumer=record.address, callback_gas_limit=100_000)
    receipt = _fulfil(ready, rid)
    (event,) = user.paymaster.events.PointsPaymasterCallback().process_receipt(receipt, errors=DISCARD)
    assert (event.args.requestId, event.args.consumer, event.args.success) == (rid, record.address, ok)
    assert env.client(None).request_info(rid).status == "fulfilled"  # the answer stands either way
    if ok:
        assert consumer.functions.lastAnswer().call() == env.client(None).request_info(rid).answer
        assert consumer.functions.calls().call() == 1


def test_missedPointsRequest_settledOnDPromptFirst_isStillRefundedOnce(ready: RexEnv):
    """Anyone may settle a missed request on DPrompt itself (the fee is credited to the paymaster):
    the user's points are still refunded, once, and both fees come back to the budget."""
    env, user, stranger = ready.env, ready.client(ready.env.user), ready.client(ready.env.other)
    first, price, _ = user.request_with_points(env.model_id, PROMPT)
    second, _, _ = user.request_with_points(env.model_id, "eth")
    budget = user.budget()
    ready.advance(RESPONSE_WINDOW + 1)
    for rid in (first, second):
        env.client(env.other).reclaim(rid)  # straight on DPrompt, by a stranger
    assert env.client(None).credits(ready.record.paymaster) == 2 * env.params.fee_wei
    left = user.points()
    assert stranger.refund(first)[0] == price and user.budget() == budget + 2 * env.params.fee_wei
    assert stranger.refund(second)[0] == price and user.budget() == budget + 2 * env.params.fee_wei
    assert left + 2 * price <= user.points() <= left + 2 * price + UNIT
    with pytest.raises(RevertedError) as err:
        stranger.refund(first)
    assert err.value.error_name == "PointsPaymasterAlreadyRefunded"


def test_declinedPointsRequest_isRefundedAtOnce(ready: RexEnv):
    """A provider may decline a request the chain's base fee makes a loss (issue 18): DPrompt credits
    the payment, less the decline's gas, to the paymaster; the user's points come back at once, once."""
    env, user = ready.env, ready.client(ready.env.user)
    before_fee = int(env.w3.eth.get_block("latest")["baseFeePerGas"])
    rid, price, _ = user.request_with_points(env.model_id, PROMPT)
    base = 100 * 10**9  # far above what the fee pays of a fulfilment
    try:
        for _ in range(2):  # the next block's base fee, and the latest's (clients price from it)
            env.w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(base)])
            if _ == 0:
                env.w3.provider.make_request("evm_mine", [])
        dprompt = env.client(None).contract
        receipt = env.w3.eth.wait_for_transaction_receipt(dprompt.functions.decline(rid).transact(
            {"from": env.provider.address, "gas": 200_000, "maxFeePerGas": 2 * base + 10**9,
             "maxPriorityFeePerGas": 10**9}))
        assert receipt["status"] == 1 and env.client(None).request_info(rid).status == "reclaimed"
        left = user.points()
        points, _ = ready.client(env.other).refund(rid)  # before the deadline: it is settled already
        assert points == price and left + price <= user.points() <= left + price + UNIT
        with pytest.raises(RevertedError) as err:
            ready.client(env.other).refund(rid)
        assert err.value.error_name == "PointsPaymasterAlreadyRefunded"
    finally:
        env.w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(before_fee)])


def _consumer(ready: RexEnv, owner):
    compiled = project_contracts()["HostileConsumer"]
    record = deploy_contract(ready.env.w3, owner, compiled, ready.record.paymaster)
    return ready.env.w3.eth.contract(address=record.address, abi=compiled.abi)


def test_pointsRequest_namingAnotherUsersConsumer_revertsAndCostsNoPoints(ready: RexEnv):
    """Finding A: a consumer trusting the paymaster gets only requests of users it approved."""
    env, victim = ready.env, ready.client(ready.env.user)
    attacker = ready.client(env.other)
    attacker.stake(1_000 * UNIT)
    ready.advance(DAY)
    consumer = _consumer(ready, env.user)
    victim._send(consumer.functions.setMode(0, 0))
    victim._send(consumer.functions.approveRequester(env.user.address))  # the victim only
    points, budget = attacker.points(), attacker.budget()
    with pytest.raises(RevertedError) as err:
        attacker.request_with_points(env.model_id, PROMPT, consumer=consumer.address, callback_gas_limit=100_000)
    assert err.value.error_name == "PointsPaymasterConsumerNotApproved"
    assert points <= attacker.points() <= points + UNIT // 10 and attacker.budget() == budget  # nothing spent
    assert consumer.functions.calls().call() == 0
    # the approved user's request still reaches it
    rid, _, _ = victim.request_with_points(env.model_id, PROMPT, consumer=consumer.address, callback_gas_limit=100_000)
    receipt = _fulfil(ready, rid)
    (event,) = victim.paymaster.events.PointsPaymasterCallback().process_receipt(receipt, errors=DISCARD)
    assert event.args.success and consumer.functions.calls().call() == 1


def test_pointsRequest_codelessConsumerIsRefused(ready: RexEnv):
    """Finding B: a callback to an account without code never runs; the budget does not pay for it."""
    env, user = ready.env, ready.client(ready.env.user)
    points, budget = user.points(), user.budget()
    for to in ("0x000000000000000000000000000000000000dEaD", env.user.address):  # a stranger's, or the caller's EOA
        with pytest.raises(RevertedError) as err:
            user.request_with_points(env.model_id, PROMPT, consumer=to, callback_gas_limit=100_000)
        assert err.value.error_name == "PointsPaymasterConsumerHasNoCode"
    assert points <= user.points() <= points + UNIT // 10 and user.budget() == budget
    consumer = _consumer(ready, env.user)
    user._send(consumer.functions.approveRequester(env.user.address))
    with pytest.raises(RevertedError) as err:  # above DPrompt's most, less the paymaster's forwarding gas
        user.request_with_points(env.model_id, PROMPT, consumer=consumer.address, callback_gas_limit=1_960_001)
    assert err.value.error_name == "PointsPaymasterCallbackGasLimit"


def test_pointsRequest_highTipCannotRaiseWhatTheBudgetPays(ready: RexEnv):
    """Finding B: DPrompt prices the callback at the request's tx.gasprice, so the paymaster refuses a
    gas price above the base fee + 1 gwei; the budget pays at most the fee at that capped price."""
    env, user = ready.env, ready.client(ready.env.user)
    consumer = _consumer(ready, env.user)
    user._send(consumer.functions.approveRequester(env.user.address))
    pm, dprompt, acct = user.paymaster, env.client(None).contract, env.user
    cb, base = 200_000, 10 * 10**9
    capped = dprompt.functions.requiredPayment(env.model_id, cb + 40_000, base + 10**9).call()
    before_fee = int(env.w3.eth.get_block("latest")["baseFeePerGas"])

    def send(gas_price: int):
        env.w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(base)])
        fn = pm.functions.request(env.model_id, PROMPT.encode(), consumer.address, cb)
        tx = fn.build_transaction({"from": acct.address, "gas": 1_500_000, "gasPrice": gas_price,
                                   "nonce": env.w3.eth.get_transaction_count(acct.address),
                                   "chainId": env.w3.eth.chain_id})
        receipt = env.w3.eth.wait_for_transaction_receipt(
            env.w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction))
        return receipt

    try:
        budget, points = user.budget(), user.points()
        receipt = send(base + 50 * 10**9)  # a 50-gwei tip
        assert receipt["status"] == 0
        trace = env.w3.provider.make_request("debug_traceTransaction", [receipt["transactionHash"].to_0x_hex(), {}])
        selector = Web3.keccak(text="PointsPaymasterGasPriceTooHigh(uint256,uint256)")[:4].hex()
        assert trace["result"]["returnValue"].removeprefix("0x").startswith(selector)
        assert user.budget() == budget and points <= user.points() <= points + UNIT // 10
        receipt = send(base + 10**9)  # the most tip allowed
        assert receipt["status"] == 1, env.w3.provider.make_request(
            "debug_traceTransaction", [receipt["transactionHash"].to_0x_hex(), {}])["result"].get("returnValue")
        assert capped <= pm.functions.maxFee().call()
        (req,) = pm.events.PointsPaymasterRequested().process_receipt(receipt, errors=DISCARD)
        assert req.args.fee == capped and user.budget() == budget - capped
    finally:
        env.w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(before_fee)])
