"""Issue 18, item 1b: an honest provider never answers a proven request at a loss, at any gas price.

At base fees of 1, 10 and 100 gwei (``anvil_setNextBlockBaseFeePerGas``), with real toy-circuit
proofs: a request whose pay covers its fulfilment at that price is fulfilled with every fee capped
at the break-even price (the node's rule, ``zkrevox.node.economics``) and the provider's net is
positive; one whose pay does not is declined (the contract checks the loss at the block's base
fee): the requester gets its whole payment back and no stake is slashed. The callback is priced at
the request's gas price plus the provider's 1 gwei tip (a requester sending with no tip pays it).
"""

from __future__ import annotations

import pytest
from chainenv import MIN_STAKE, Env
from web3.logs import DISCARD

from zkrevox.chain.quote import fulfilment_gas, quote_request
from zkrevox.chain.revert import RevertedError
from zkrevox.node.economics import at_a_loss, break_even, capped

pytestmark = pytest.mark.chain

PROMPT = "swap 2 bnb for cake"
GWEI = 10**9


@pytest.fixture(autouse=True)
def _base_fee_restored(env: Env):
    """The base fee the session's other tests see, restored for the block after this test's (anvil
    keeps the next block's base fee across ``evm_revert``)."""
    before = int(env.w3.eth.get_block("latest")["baseFeePerGas"])
    yield
    env.w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(before)])


def _base_fee(env: Env, wei: int) -> None:
    """The next block's base fee is ``wei``, and so was the latest's (clients price from it)."""
    env.w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(wei)])
    env.w3.provider.make_request("evm_mine", [])
    env.w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(wei)])


def _pays(env: Env, payment: int) -> int:
    info = env.client().model(env.model_id)
    return payment - info.fee * info.developer_share_bps // 10_000


@pytest.mark.parametrize("gwei", [1, 10, 100])
def test_provider_neverAnswersAtALoss(staked: Env, gwei: int):
    client = staked.client()
    info = client.model(staked.model_id)
    units = fulfilment_gas(info.fulfil_gas, 0)
    base = gwei * GWEI
    # a request paying the fee and the fulfilment's gas at twice this base fee: answered, at a profit
    covering = info.fee + 2 * base * units
    quote = quote_request(staked.client(staked.user), staked.model_id, PROMPT.encode(), payment=covering)
    assert quote.decline_above_base_fee_wei == _pays(staked, covering) // units > base
    _base_fee(staked, base)
    rid, _ = staked.client(staked.user).request(staked.model_id, PROMPT, value=covering)
    proof = staked.toy.prove(PROMPT)
    fn = client.contract.functions.fulfil(rid, proof.proof_bytes, proof.outputs(staked.toy.num_outputs))
    gas = fn.estimate_gas({"from": staked.provider.address})
    cap = break_even(_pays(staked, covering), gas)
    _base_fee(staked, base)
    market = {"maxFeePerGas": 2 * base + GWEI, "maxPriorityFeePerGas": GWEI}
    fees = {k: v for k, v in capped(market, cap).items() if k != "cap"}
    receipt = staked.w3.eth.wait_for_transaction_receipt(
        fn.transact({"from": staked.provider.address, "gas": gas + 50_000, **fees}))
    assert receipt["status"] == 1 and client.request_info(rid).status == "fulfilled"
    spent = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    earned = client.provider(staked.model_id, staked.provider.address).earned
    assert earned == _pays(staked, covering) and earned - spent > 0, (earned, spent)

    # a request paying only the model fee: at a loss above fee / fulfil gas; declined, refunded, not slashed
    rid, _ = staked.client(staked.user).request(staked.model_id, PROMPT)
    loss = at_a_loss(base, break_even(_pays(staked, info.fee), units))
    _base_fee(staked, base)
    assert loss  # the fee alone (0.0009 to the provider) pays 1M gas only below 0.9 gwei
    credit = client.credits(staked.user.address)
    # sent without a simulation: a simulation runs on the pending block, whose base fee anvil derives
    # from the last one, not the one set for the next block
    receipt = staked.w3.eth.wait_for_transaction_receipt(client.contract.functions.decline(rid).transact(
        {"from": staked.provider.address, "gas": 200_000, "maxFeePerGas": 2 * base + GWEI,
         "maxPriorityFeePerGas": GWEI}))
    assert receipt["status"] == 1
    (event,) = client.contract.events.DPromptDeclined().process_receipt(receipt, errors=DISCARD)
    assert event.args.cost >= base * units > event.args.pays == _pays(staked, info.fee)
    assert client.request_info(rid).status == "reclaimed"
    pays = _pays(staked, info.fee)
    gas_back = min(75_000 * receipt["effectiveGasPrice"], pays)  # the decline's gas, the provider's
    decline_cost = receipt["gasUsed"] * receipt["effectiveGasPrice"]
    if 75_000 * receipt["effectiveGasPrice"] <= pays:
        assert decline_cost <= gas_back  # declining costs it nothing
    else:  # the whole pay is not worth one decline: the provider's loss is the decline's gas beyond it,
        assert decline_cost - gas_back < base * gas - pays  # far less than answering at a loss
    assert event.args.refund == info.fee - gas_back
    assert client.credits(staked.user.address) == credit + info.fee - gas_back
    state = client.provider(staked.model_id, staked.provider.address)
    assert (state.stake, state.pending) == (MIN_STAKE, 0)  # nothing slashed, the stake free
    assert state.earned == earned + gas_back


def test_decline_onlyByItsProvider_beforeTheDeadline_andNotWhenItPays(staked: Env):
    rid, _ = staked.client(staked.user).request(staked.model_id, PROMPT)
    _base_fee(staked, 1)  # 1 wei: the fee pays for any fulfilment
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).decline(rid)
    assert err.value.error_name == "DPromptNotDeclinable"
    _base_fee(staked, 100 * GWEI)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.other).decline(rid)
    assert err.value.error_name == "DPromptNotAssigned"
    staked.advance(staked.params.response_window_s + 1)
    _base_fee(staked, 100 * GWEI)
    with pytest.raises(RevertedError) as err:
        staked.client(staked.provider).decline(rid)
    assert err.value.error_name == "DPromptDeadlinePassed"  # too late: settled and slashed as a miss


def test_callback_isPricedAtTheRequestsGasPricePlusTheProvidersTip(staked: Env):
    info = staked.client().model(staked.model_id)
    for price in (0, GWEI, 10 * GWEI):
        assert staked.client().required_payment(staked.model_id, 2_000_000, price) == \
            info.fee + (2_000_000 + 15_000) * (price + GWEI)
