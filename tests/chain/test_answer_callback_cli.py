"""`zkrevox answer ID` shows a consumer request's callback: its gas limit, then whether the
callback ran and succeeded, and in which transaction."""

from __future__ import annotations

import pytest
from chainenv import Env
from clirun import run
from web3.logs import DISCARD

from zkrevox.chain.deploy import deploy_contract

pytestmark = pytest.mark.chain
PROMPT = "swap 2 bnb for cake"
STORE, REVERT = 0, 1  # HostileConsumer modes (verifier-contracts/test/TestConsumers.sol)


def _ask(env: Env, compiled, mode: int) -> tuple[str, int]:
    record = deploy_contract(env.w3, env.owner, compiled["HostileConsumer"], env.dep.dprompt.address)
    consumer = env.w3.eth.contract(address=record.address, abi=compiled["HostileConsumer"].abi)
    env.w3.eth.wait_for_transaction_receipt(
        consumer.functions.setMode(mode, 60_000).transact({"from": env.owner.address}))
    price = env.w3.eth.gas_price
    pay = env.client().required_payment(env.model_id, 60_000, price)
    tx = consumer.functions.ask(env.model_id, PROMPT.encode()).transact(
        {"from": env.user.address, "value": pay, "gasPrice": price})
    receipt = env.w3.eth.wait_for_transaction_receipt(tx)
    (event,) = env.client().contract.events.DPromptRequested().process_receipt(receipt, errors=DISCARD)
    return record.address, int(event.args.requestId)


def _fulfil(env: Env, rid: int) -> str:
    proof = env.toy.prove(PROMPT)
    receipt = env.client(env.provider).fulfil(rid, proof.proof_bytes, proof.outputs(env.toy.num_outputs))
    return "0x" + bytes(receipt["transactionHash"]).hex()


@pytest.mark.parametrize(("mode", "success"), [(STORE, True), (REVERT, False)])
def test_answer_showsTheCallback(staked: Env, compiled, mode, success):
    consumer, rid = _ask(staked, compiled, mode)
    deployments = staked.dep.path.parent
    code, out, err = run(staked, deployments, None, "answer", str(rid))
    assert code == 0, err
    assert out["status"] == "pending" and out["callback_gas_limit"] == 60_000 and out["callback"] is None
    tx = _fulfil(staked, rid)
    code, out, err = run(staked, deployments, None, "answer", str(rid))
    assert code == 0, err
    assert out["status"] == "fulfilled"  # a failed callback does not undo the answer
    assert out["callback"] == {"consumer": consumer, "success": success, "tx": tx}
    code, text, _ = run(staked, deployments, None, "answer", str(rid), as_json=False)
    assert ("succeeded" if success else "failed (answer stands)") in text


def test_answer_plainRequest_hasNoCallback(staked: Env):
    rid, _ = staked.client(staked.user).request(staked.model_id, PROMPT)
    code, out, err = run(staked, staked.dep.path.parent, None, "answer", str(rid))
    assert code == 0, err
    assert out["callback_gas_limit"] == 0 and out["callback"] is None
