"""CommandAgent composes two agents on-chain: one ``ask`` requests the intent and the ticker answers
with callbacks and emits ``Command`` once both are in. Each attack on it is a test on a real anvil,
with real compiled contracts and real ezkl proofs.

The toy circuit stands in for both models: it is published a second time on the session's DPrompt
(another model id, fee and response window), since the contract's logic does not depend on which
model answers.
"""

from __future__ import annotations

import dataclasses

import pytest
from chainenv import FEE, MIN_STAKE, RESPONSE_WINDOW, Env
from web3.exceptions import ContractCustomError, ContractLogicError
from web3.logs import DISCARD

from zkrevox.chain.command import CommandAgentClient
from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.revert import ErrorDecoder, revert_data
from zkrevox.chain.vocab_table import build_table

pytestmark = pytest.mark.chain

PROMPT = "swap 2 bnb for cake"
INTENT_FEE = 2 * FEE  # the stand-in intent model: another fee ...
INTENT_WINDOW = 2 * RESPONSE_WINDOW  # ... and a longer response window than the ticker model
CALLBACK_GAS = 60_000  # CommandAgent.CALLBACK_GAS
TOY_LABELS = tuple(f"L{i}" for i in range(42))


@dataclasses.dataclass
class Agent:
    env: Env
    intent_id: int
    agent: object  # the web3 contract
    client: CommandAgentClient
    errors: ErrorDecoder


@pytest.fixture(scope="module")
def published(deployed: Env, compiled):
    """The toy model published again as the 'intent' model, both staked, and a CommandAgent; undone after the module."""
    w3 = deployed.w3
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    params = dataclasses.replace(deployed.params, name="intent", fee_wei=INTENT_FEE, response_window_s=INTENT_WINDOW)
    owner = deployed.client(deployed.owner)
    verifier = deployed.dep.models["ticker"].verifier.address
    intent_id, _ = owner.publish_model(params.config_for(verifier), build_table(params.spec).data)
    for model_id in (deployed.model_id, intent_id):
        deployed.client(deployed.provider).stake(model_id, MIN_STAKE)
    record = deploy_contract(w3, deployed.owner, compiled["CommandAgent"], deployed.dep.dprompt.address,
                             intent_id, deployed.model_id)
    try:
        yield intent_id, record.address
    finally:
        w3.provider.make_request("evm_revert", [snap])


@pytest.fixture()
def agent(env: Env, published, compiled) -> Agent:
    intent_id, address = published
    contract = env.w3.eth.contract(address=address, abi=compiled["CommandAgent"].abi)
    client = CommandAgentClient(env.w3, address, intent_labels=TOY_LABELS, ticker_labels=TOY_LABELS)
    errors = ErrorDecoder(compiled["CommandAgent"].abi, compiled["DPrompt"].abi,
                          compiled["ReentrancyGuardTransient"].abi)
    return Agent(env, intent_id, contract, client, errors)


def _price(a: Agent) -> int:
    return int(a.env.w3.eth.gas_price)


def _ask(a: Agent, prompt: str = PROMPT, *, extra: int = 0) -> tuple[int, dict]:
    price = _price(a)
    return a.client.ask(a.env.user, prompt, value=a.client.quote(price) + extra, gas_price=price)


def _fulfil(a: Agent, rid: int, prompt: str = PROMPT) -> dict:
    proof = a.env.toy.prove(prompt)
    fn = a.env.client().contract.functions.fulfil(rid, proof.proof_bytes, proof.outputs(a.env.toy.num_outputs))
    receipt = a.env.w3.eth.wait_for_transaction_receipt(fn.transact({"from": a.env.provider.address}))
    assert receipt["status"] == 1
    return receipt


def _callbacks(a: Agent, receipt) -> list[tuple[int, bool]]:
    events = a.env.client().contract.events.DPromptCallback().process_receipt(receipt, errors=DISCARD)
    return [(e.args.requestId, e.args.success) for e in events]


def _reverts(a: Agent, fn, tx: dict) -> tuple[str, dict]:
    """The custom error ``fn`` reverts with when called with ``tx`` (eth_call: nothing is mined)."""
    with pytest.raises((ContractCustomError, ContractLogicError)) as err:
        fn.call(tx)
    decoded = a.errors.decode(revert_data(err.value))
    assert decoded is not None, f"not a known custom error: {err.value!r}"
    return decoded


@pytest.mark.parametrize("intent_first", [True, False], ids=["intent first", "ticker first"])
def test_ask_emitsCommandOnceBothAnswersAreIn_inEitherOrder(agent: Agent, intent_first: bool):
    ask_id, _ = _ask(agent)
    dprompt = agent.env.client()
    intent, ticker = dprompt.request_info(ask_id), dprompt.request_info(ask_id + 1)
    assert (intent.model_id, ticker.model_id) == (agent.intent_id, agent.env.model_id)
    assert intent.requester == ticker.requester == agent.client.address
    assert intent.callback_gas_limit == ticker.callback_gas_limit == CALLBACK_GAS
    first, second = (ask_id, ask_id + 1) if intent_first else (ask_id + 1, ask_id)
    receipt = _fulfil(agent, first)
    assert _callbacks(agent, receipt) == [(first, True)]
    assert agent.client.commands(receipt=receipt) == []  # one answer: no command yet
    receipt = _fulfil(agent, second)
    assert _callbacks(agent, receipt) == [(second, True)]  # the second callback (the heavier one) fits its gas
    (command,) = agent.client.commands(receipt=receipt)
    intents, tickers = dprompt.answer(ask_id), dprompt.answer(ask_id + 1)
    assert (command.ask_id, command.intents_bitmap, command.tickers_bitmap) == (ask_id, intents, tickers)
    assert command.tickers == tuple(TOY_LABELS[i] for i in range(42) if tickers >> i & 1)
    state = agent.client.ask_state(ask_id)
    assert state == {"asker": agent.env.user.address, "intents": intents, "tickers": tickers, "intents_in": True,
                     "tickers_in": True, "refunded": False}


def test_ask_paysEachModelItsRequiredPaymentAndRefundsTheExcess(agent: Agent):
    env, price = agent.env, _price(agent)
    intent_pay, ticker_pay = agent.agent.functions.quote(price).call()
    dprompt = env.client()
    assert intent_pay == dprompt.required_payment(agent.intent_id, CALLBACK_GAS, price)
    assert ticker_pay == dprompt.required_payment(env.model_id, CALLBACK_GAS, price)
    assert intent_pay - ticker_pay == INTENT_FEE - FEE  # the fees come from each model's own config
    before = env.w3.eth.get_balance(env.user.address)
    ask_id, receipt = _ask(agent, extra=12_345)
    spent = before - env.w3.eth.get_balance(env.user.address)
    assert spent == intent_pay + ticker_pay + receipt["gasUsed"] * receipt["effectiveGasPrice"]
    assert (dprompt.request_info(ask_id).fee, dprompt.request_info(ask_id + 1).fee) == (intent_pay, ticker_pay)
    assert env.w3.eth.get_balance(agent.client.address) == 0  # the agent keeps nothing
    (asked,) = agent.agent.events.CommandAsked().process_receipt(receipt, errors=DISCARD)
    assert (asked.args.intentPayment, asked.args.tickerPayment) == (intent_pay, ticker_pay)


def test_ask_refusesLessThanTheQuote(agent: Agent):
    price = _price(agent)
    required = agent.client.quote(price)
    fn = agent.agent.functions.ask(PROMPT.encode())
    name, args = _reverts(agent, fn, {"from": agent.env.user.address, "value": required - 1, "gasPrice": price})
    assert (name, args) == ("CommandAgentPaymentTooLow", {"paid": required - 1, "required": required})


def test_ask_passesDPromptsRevertsThrough(agent: Agent):
    price = _price(agent)
    fn = agent.agent.functions.ask(b"")
    tx = {"from": agent.env.user.address, "value": agent.client.quote(price), "gasPrice": price}
    assert _reverts(agent, fn, tx)[0] == "DPromptEmptyPrompt"


def test_callbacks_onlyFromDPrompt(agent: Agent):
    ask_id, _ = _ask(agent)
    fn = agent.agent.functions.onDPromptAnswer(ask_id, agent.intent_id, 1)
    name, args = _reverts(agent, fn, {"from": agent.env.provider.address})
    assert (name, args) == ("DPromptConsumerOnlyDPrompt", {"caller": agent.env.provider.address})


def test_callbacks_refuseUnknownRequestsAndSecondAnswers(agent: Agent):
    """DPrompt never delivers twice or for another consumer; should it (a bug), the agent still refuses."""
    ask_id, _ = _ask(agent)
    dprompt = {"from": agent.env.dep.dprompt.address}
    answer = agent.agent.functions.onDPromptAnswer
    assert _reverts(agent, answer(ask_id + 7, agent.intent_id, 1), dprompt)[0] == "CommandAgentUnknownRequest"
    assert _reverts(agent, answer(ask_id, 99, 1), dprompt)[0] == "CommandAgentUnknownRequest"  # not its models
    # the ticker model's answer for the intent request's id belongs to no ask (its ask would be ask_id - 1)
    assert _reverts(agent, answer(ask_id, agent.env.model_id, 1), dprompt)[0] == "CommandAgentUnknownRequest"
    _fulfil(agent, ask_id)
    name, args = _reverts(agent, answer(ask_id, agent.intent_id, 1), dprompt)
    assert (name, args) == ("CommandAgentAnswerRefused", {"requestId": ask_id, "askId": ask_id})
    _fulfil(agent, ask_id + 1)
    assert _reverts(agent, answer(ask_id + 1, agent.env.model_id, 1), dprompt)[0] == "CommandAgentAnswerRefused"


def test_heaviestCallback_fitsItsGas(agent: Agent):
    """The second answer (a fresh slot, the ask's state, the first answer read back, the Command event)
    with every bit set, estimated as DPrompt's call: well inside CALLBACK_GAS."""
    ask_id, _ = _ask(agent)
    _fulfil(agent, ask_id)
    fn = agent.agent.functions.onDPromptAnswer(ask_id + 1, agent.env.model_id, 2**42 - 1)
    used = fn.estimate_gas({"from": agent.env.dep.dprompt.address}) - 21_000  # less the transaction's base cost
    assert used < CALLBACK_GAS * 3 // 4, used


def test_reclaim_afterTheUnansweredRequestExpires_refundsItsPaymentToTheAsker(agent: Agent):
    env = agent.env
    ask_id, _ = _ask(agent)
    _fulfil(agent, ask_id)  # the intent is in; the ticker request is never answered
    ticker_pay = env.client().request_info(ask_id + 1).fee
    reclaim = agent.agent.functions.reclaim(ask_id)
    name, args = _reverts(agent, reclaim, {"from": env.other.address})
    assert name == "CommandAgentNotExpired" and args["requestId"] == ask_id + 1
    env.advance(RESPONSE_WINDOW + 1)
    before = env.w3.eth.get_balance(env.user.address)
    receipt = env.w3.eth.wait_for_transaction_receipt(reclaim.transact({"from": env.other.address}))  # anyone may
    assert env.w3.eth.get_balance(env.user.address) - before == ticker_pay  # the asker gets it, not the caller
    (refunded,) = agent.agent.events.CommandRefunded().process_receipt(receipt, errors=DISCARD)
    assert (refunded.args.askId, refunded.args.asker, refunded.args.amount) == (ask_id, env.user.address, ticker_pay)
    assert env.client().request_info(ask_id + 1).status == "reclaimed"
    assert env.client().request_info(ask_id).status == "fulfilled"  # the answered one was paid for
    assert env.w3.eth.get_balance(agent.client.address) == 0 and env.client().credits(agent.client.address) == 0
    assert agent.client.ask_state(ask_id)["refunded"] is True
    assert _reverts(agent, reclaim, {"from": env.user.address})[0] == "CommandAgentAskEnded"
    # the reclaimed request can no longer be answered, so no Command can follow
    proof = env.toy.prove(PROMPT)
    fulfil = env.client().contract.functions.fulfil(ask_id + 1, proof.proof_bytes, proof.outputs(42))
    with pytest.raises((ContractCustomError, ContractLogicError)) as err:
        fulfil.call({"from": env.provider.address})
    assert env.client().errors.decode(revert_data(err.value))[0] == "DPromptAlreadyReclaimed"


def test_reclaim_waitsForEveryUnansweredRequest_thenRefundsBoth(agent: Agent):
    env = agent.env
    ask_id, _ = _ask(agent)
    paid = env.client().request_info(ask_id).fee + env.client().request_info(ask_id + 1).fee
    env.advance(RESPONSE_WINDOW + 1)  # the ticker request expired; the intent request can still be answered
    reclaim = agent.agent.functions.reclaim(ask_id)
    name, args = _reverts(agent, reclaim, {"from": env.user.address})
    assert name == "CommandAgentNotExpired" and args["requestId"] == ask_id
    env.advance(INTENT_WINDOW - RESPONSE_WINDOW)
    before = env.w3.eth.get_balance(env.user.address)
    receipt = env.w3.eth.wait_for_transaction_receipt(reclaim.transact({"from": env.other.address}))
    assert receipt["status"] == 1
    assert env.w3.eth.get_balance(env.user.address) - before == paid


def test_reclaim_afterAThirdPartySettledOnDPrompt_stillRefundsTheAsker(agent: Agent):
    """Anyone may settle a missed request on DPrompt (issue 18): the refund is the agent's credit, and the
    agent's own reclaim then only withdraws it for the asker."""
    env = agent.env
    ask_id, _ = _ask(agent)
    _fulfil(agent, ask_id)
    ticker_pay = env.client().request_info(ask_id + 1).fee
    env.advance(RESPONSE_WINDOW + 1)
    env.client(env.other).reclaim(ask_id + 1)  # settled straight on DPrompt by someone else
    assert env.client().credits(agent.client.address) == ticker_pay
    before = env.w3.eth.get_balance(env.user.address)
    receipt = env.w3.eth.wait_for_transaction_receipt(
        agent.agent.functions.reclaim(ask_id).transact({"from": env.other.address}))
    assert receipt["status"] == 1
    assert env.w3.eth.get_balance(env.user.address) - before == ticker_pay
    assert env.client().credits(agent.client.address) == 0


def test_reclaim_ofACompletedOrUnknownAsk_isRefused(agent: Agent):
    ask_id, _ = _ask(agent)
    _fulfil(agent, ask_id)
    _fulfil(agent, ask_id + 1)
    reclaim = agent.agent.functions.reclaim
    assert _reverts(agent, reclaim(ask_id), {"from": agent.env.user.address})[0] == "CommandAgentAskEnded"
    assert _reverts(agent, reclaim(ask_id + 1), {"from": agent.env.user.address})[0] == "CommandAgentUnknownAsk"


@pytest.mark.parametrize("mode", [1, 2], ids=["refuses the coin", "re-enters ask"])
def test_ask_ofAnAskerThatRefusesItsChange_reverts(agent: Agent, compiled, mode: int):
    env, price = agent.env, _price(agent)
    record = deploy_contract(env.w3, env.owner, compiled["TestCommandAsker"], agent.client.address)
    asker = env.w3.eth.contract(address=record.address, abi=compiled["TestCommandAsker"].abi)
    asker.functions.setMode(mode).transact({"from": env.owner.address})
    required = agent.client.quote(price)
    tx = {"from": env.user.address, "value": required + 1, "gasPrice": price}
    name, args = _reverts(agent, asker.functions.ask(PROMPT.encode()), tx)
    assert (name, args) == ("CommandAgentTransferFailed", {"to": record.address, "amount": 1})
    # paying exactly the quote needs no transfer back: the ask goes through
    tx_hash = asker.functions.ask(PROMPT.encode()).transact({**tx, "value": required})
    assert env.w3.eth.wait_for_transaction_receipt(tx_hash)["status"] == 1


def test_agent_refusesCoinFromAnyoneButDPrompt(agent: Agent):
    env = agent.env
    with pytest.raises((ContractCustomError, ContractLogicError)) as err:
        env.w3.eth.call({"from": env.user.address, "to": agent.client.address, "value": 1})
    assert agent.errors.decode(revert_data(err.value))[0] == "CommandAgentUnexpectedPayment"


def test_constructor_refusesOneModelForBothAnswers(env: Env, compiled):
    from zkrevox.errors import ChainError

    with pytest.raises(ChainError):
        deploy_contract(env.w3, env.owner, compiled["CommandAgent"], env.dep.dprompt.address, env.model_id,
                        env.model_id)


def test_composedFlow_gasFromReceipts(agent: Agent, capsys):
    """ask + both fulfilments (each with its callback), measured from the receipts."""
    ask_id, ask_receipt = _ask(agent)
    first, second = _fulfil(agent, ask_id), _fulfil(agent, ask_id + 1)
    total = ask_receipt["gasUsed"] + first["gasUsed"] + second["gasUsed"]
    with capsys.disabled():
        print(f"\nCommandAgent flow (toy circuit): ask {ask_receipt['gasUsed']:,} + intent fulfil {first['gasUsed']:,} "
              f"+ ticker fulfil {second['gasUsed']:,} = {total:,} gas")
    assert ask_receipt["gasUsed"] < 600_000
