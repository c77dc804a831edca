"""Consumer contracts get answers by callback: after the answer is final, with exactly the gas they
asked for, and nothing a consumer does in its callback can undo, block or re-enter a fulfilment.

The design follows Chainlink VRF/Functions (the request is fulfilled and paid even when the callback
reverts; exact gas), not ORA's AI oracle (a reverting callback reverts the delivery)."""

from __future__ import annotations

import pytest
from chainenv import FEE, PROVIDER_FEE, Env
from web3.logs import DISCARD

from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.revert import RevertedError

pytestmark = pytest.mark.chain

PROMPT = "swap 2 bnb for cake"
STORE, REVERT, BURN_GAS, HUGE_RETURN, REENTER, REQUEST_AGAIN = range(6)
OVERHEAD = 15_000  # DPrompt's CALLBACK_OVERHEAD_GAS


def _consumer(env: Env, compiled, mode: int, gas: int = 100_000):
    record = deploy_contract(env.w3, env.owner, compiled["HostileConsumer"], env.dep.dprompt.address)
    consumer = env.w3.eth.contract(address=record.address, abi=compiled["HostileConsumer"].abi)
    consumer.functions.setMode(mode, gas).transact({"from": env.owner.address})
    return consumer


def _ask(env: Env, consumer, prompt: str = PROMPT, *, value: int | None = None, gas_price: int | None = None) -> int:
    gas = consumer.functions.callbackGas().call()
    price = gas_price or env.w3.eth.gas_price
    pay = value if value is not None else env.client().required_payment(env.model_id, gas, price)
    tx = consumer.functions.ask(env.model_id, prompt.encode()).transact(
        {"from": env.user.address, "value": pay, "gasPrice": price})
    receipt = env.w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    (event,) = env.client().contract.events.DPromptRequested().process_receipt(receipt, errors=DISCARD)
    return int(event.args.requestId)


def _fulfil(env: Env, rid: int, prompt: str = PROMPT, **tx) -> dict:
    proof = env.toy.prove(prompt)
    fn = env.client().contract.functions.fulfil(rid, proof.proof_bytes, proof.outputs(env.toy.num_outputs))
    tx_hash = fn.transact({"from": env.provider.address, **tx})
    return env.w3.eth.wait_for_transaction_receipt(tx_hash)


def _callbacks(env: Env, receipt) -> list[tuple[int, str, bool]]:
    events = env.client().contract.events.DPromptCallback().process_receipt(receipt, errors=DISCARD)
    return [(e.args.requestId, e.args.consumer, e.args.success) for e in events]


def test_tickerConsumer_receivesTheProvenAnswer(staked: Env, compiled):
    record = deploy_contract(staked.w3, staked.owner, compiled["TickerConsumer"], staked.dep.dprompt.address,
                             staked.model_id)
    consumer = staked.w3.eth.contract(address=record.address, abi=compiled["TickerConsumer"].abi)
    pay = staked.client().required_payment(staked.model_id, 50_000, staked.w3.eth.gas_price)
    tx = consumer.functions.ask(PROMPT.encode()).transact({"from": staked.user.address, "value": pay})
    staked.w3.eth.wait_for_transaction_receipt(tx)
    rid = staked.client().contract.functions.nextRequestId().call() - 1
    info = staked.client().request_info(rid)
    assert (info.requester, info.callback_gas_limit) == (record.address, 50_000)
    receipt = _fulfil(staked, rid)
    answer = staked.client().answer(rid)
    assert _callbacks(staked, receipt) == [(rid, record.address, True)]
    assert consumer.functions.answered(rid).call() is True
    assert consumer.functions.answers(rid).call() == answer
    (event,) = consumer.events.TickerAnswered().process_receipt(receipt, errors=DISCARD)
    assert (event.args.requestId, event.args.tickers) == (rid, answer)


@pytest.mark.parametrize("mode", [REVERT, BURN_GAS, HUGE_RETURN], ids=["reverts", "runs out of gas", "huge return"])
def test_failingCallback_neverUndoesTheAnswer(staked: Env, compiled, mode: int):
    consumer = _consumer(staked, compiled, mode, gas=200_000)
    rid = _ask(staked, consumer)
    receipt = _fulfil(staked, rid)
    assert receipt["status"] == 1
    info = staked.client().request_info(rid)
    assert info.status == "fulfilled"  # the request is fulfilled and the provider paid all the same
    position = staked.client().provider(staked.model_id, staked.provider.address)
    assert position.earned == info.fee - FEE + PROVIDER_FEE and position.pending == 0
    success = mode == HUGE_RETURN  # returning data is not a failure; it is just never copied
    assert _callbacks(staked, receipt) == [(rid, consumer.address, success)]


def test_hugeReturnData_costsTheFulfilmentNothing(staked: Env, compiled):
    quiet, loud = _consumer(staked, compiled, STORE, 200_000), _consumer(staked, compiled, HUGE_RETURN, 200_000)
    gas = []
    for consumer in (quiet, loud):
        rid = _ask(staked, consumer)
        gas.append(_fulfil(staked, rid)["gasUsed"])
    # the loud consumer pays for its own 64 KiB in its own gas; DPrompt copies none of it
    assert gas[1] - gas[0] < 200_000


def test_callback_cannotReenterFulfilmentReclaimOrWithdraw(staked: Env, compiled):
    consumer = _consumer(staked, compiled, REENTER, gas=300_000)
    rid = _ask(staked, consumer)
    receipt = _fulfil(staked, rid)
    # each re-entry attempt was refused; the consumer saw the refusals and returned normally
    assert _callbacks(staked, receipt) == [(rid, consumer.address, True)]
    refusal = consumer.functions.reentryError().call()
    assert staked.client().errors.decode(refusal)[0] == "ReentrancyGuardReentrantCall"
    assert staked.client().request_info(rid).status == "fulfilled"


def test_consumer_mayAskAgainFromItsCallback(staked: Env, compiled):
    consumer = _consumer(staked, compiled, REQUEST_AGAIN, gas=400_000)
    price = staked.w3.eth.gas_price
    staked.w3.eth.send_transaction({"from": staked.user.address, "to": consumer.address,
                                    "value": staked.client().required_payment(staked.model_id, 400_000, price)})
    rid = _ask(staked, consumer, gas_price=price)
    receipt = _fulfil(staked, rid, gasPrice=price)
    assert _callbacks(staked, receipt) == [(rid, consumer.address, True)]
    follow_up = consumer.functions.followUp().call()
    assert follow_up == rid + 1
    info = staked.client().request_info(follow_up)
    assert (info.status, info.requester, info.callback_gas_limit) == ("pending", consumer.address, 400_000)
    consumer.functions.setMode(STORE, 400_000).transact({"from": staked.owner.address})
    _fulfil(staked, follow_up, "eth")  # the chained request is answered like any other
    assert consumer.functions.calls().call() == 2


def test_fulfilment_revertsIfItCannotGiveTheCallbackItsGas(staked: Env, compiled):
    consumer = _consumer(staked, compiled, STORE, gas=1_000_000)
    rid = _ask(staked, consumer)
    proof = staked.toy.prove(PROMPT)
    fn = staked.client().contract.functions.fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    plain = fn.estimate_gas({"from": staked.provider.address})
    tx = fn.transact({"from": staked.provider.address, "gas": plain - 500_000})  # enough for all but the callback
    receipt = staked.w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 0
    assert staked.client().request_info(rid).status == "pending"  # nothing happened; send with more gas
    fields = {"from": staked.provider.address, "to": staked.dep.dprompt.address,
              "data": staked.w3.eth.get_transaction(tx)["input"], "value": 0, "gas": plain - 500_000}
    assert staked.client().mined_revert_error(fn, fields, receipt).error_name == "DPromptInsufficientGasForCallback"
    assert _fulfil(staked, rid)["status"] == 1  # with the estimated gas it goes through


@pytest.mark.parametrize("limit", [0, 2_000_001])
def test_requestWithCallback_revertsOutsideTheGasLimitBounds(staked: Env, limit: int):
    user = staked.client(staked.user)
    with pytest.raises(RevertedError) as err:
        user._send(user.contract.functions.requestWithCallback(staked.model_id, b"eth", limit), value=10**17)
    assert err.value.error_name == "DPromptCallbackGasLimit"


def test_requestWithCallback_chargesTheCallbackGasAtTheRequestsGasPrice(staked: Env, compiled):
    consumer = _consumer(staked, compiled, STORE, gas=100_000)
    price = 200 * 10**9  # 200 gwei
    required = FEE + (100_000 + OVERHEAD) * (price + 10**9)  # plus the provider's 1 gwei tip (issue 18)
    assert staked.client().required_payment(staked.model_id, 100_000, price) == required
    tx = consumer.functions.ask(staked.model_id, PROMPT.encode()).transact(
        {"from": staked.user.address, "value": required - 1, "gasPrice": price, "gas": 1_000_000})
    assert staked.w3.eth.wait_for_transaction_receipt(tx)["status"] == 0  # DPromptFeeTooLow
    rid = _ask(staked, consumer, value=required, gas_price=price)
    assert staked.client().request_info(rid).fee == required


def test_providerIsNeverOutOfPocketForACallback_atAHighGasPrice(staked: Env, compiled):
    """What the callback adds to the provider's fulfilment costs less than what the request paid for it."""
    price = 500 * 10**9  # 500 gwei, far above anvil's base fee
    plain_consumer = _consumer(staked, compiled, STORE, gas=1)  # a callback that cannot run: the floor
    heavy = _consumer(staked, compiled, BURN_GAS, gas=300_000)  # uses every unit of its limit
    plain = _fulfil(staked, _ask(staked, plain_consumer, gas_price=price), gasPrice=price)["gasUsed"]
    rid = _ask(staked, heavy, gas_price=price)
    paid = staked.client().request_info(rid).fee
    cost = _fulfil(staked, rid, gasPrice=price)["gasUsed"] * price
    extra_cost = cost - plain * price
    extra_paid = paid - staked.client().required_payment(staked.model_id, 1, price)
    assert 0 < extra_cost <= extra_paid
    # and the fulfilment with a 50k callback stays within the callback's gas plus 15k of a plain one
    store = _consumer(staked, compiled, STORE, gas=50_000)
    with_callback = _fulfil(staked, _ask(staked, store), gasPrice=price)["gasUsed"]
    no_callback_rid, _ = staked.client(staked.user).request(staked.model_id, PROMPT)
    without = _fulfil(staked, no_callback_rid, gasPrice=price)["gasUsed"]
    assert with_callback - without <= 50_000 + OVERHEAD


def test_requestWithCallback_fromAnAccountWithoutCode_recordsAFailedCallback(staked: Env):
    user = staked.client(staked.user)
    price = staked.w3.eth.gas_price
    pay = user.required_payment(staked.model_id, 50_000, price)
    receipt = user._send(user.contract.functions.requestWithCallback(staked.model_id, PROMPT.encode(), 50_000),
                         value=pay)
    (event,) = user.contract.events.DPromptRequested().process_receipt(receipt)
    rid = int(event.args.requestId)
    fulfilled = _fulfil(staked, rid)
    assert _callbacks(staked, fulfilled) == [(rid, staked.user.address, False)]
    assert user.request_info(rid).status == "fulfilled"
    assert user.callback_outcome(rid) == {"consumer": staked.user.address, "success": False,
                                          "tx": "0x" + bytes(fulfilled["transactionHash"]).hex()}


def test_onDPromptAnswer_refusesCallersOtherThanDPrompt(staked: Env, compiled):
    consumer = _consumer(staked, compiled, STORE)
    fn = consumer.functions.onDPromptAnswer(1, staked.model_id, 5)
    tx = fn.transact({"from": staked.user.address, "gas": 200_000})
    assert staked.w3.eth.wait_for_transaction_receipt(tx)["status"] == 0
    assert consumer.functions.calls().call() == 0
