"""Gas of the main paths, compared with the committed snapshot verifier-contracts/snapshots/gas.json.

A path that grows more than 5 % fails the test. After an intended change, update the snapshot:

    ZKREVOX_UPDATE_GAS_SNAPSHOT=1 pytest tests/chain/test_gas.py

The fulfil figures use the test's toy circuit (tests/chain/toy_circuit.py: 138 features +
42 outputs = 180 public instances, num_inner_cols 1, logrows 12); the verifier's share is
reported separately from DPrompt's own overhead (measured with anvil's call tracer).
"""

from __future__ import annotations

import json
import os

import pytest
from chainenv import MIN_STAKE, Env

from zkrevox.chain.deploy import deploy_contract, deploy_dprompt
from zkrevox.chain.paths import contracts_dir
from zkrevox.chain.vocab_table import build_table

pytestmark = pytest.mark.chain

SNAPSHOT = contracts_dir() / "snapshots" / "gas.json"
TOLERANCE = 0.05
PROMPTS = {
    "19B": "swap 2 bnb for cake",
    "81B": "what is the price of etherium and chainlnk today, should I buy some more or sell?",
    "192B": ("please exchange my tokens for bitcoin and some ethereum, " * 4)[:192],
}


def _verifier_gas(env: Env, tx_hash: str) -> int:
    trace = env.w3.provider.make_request("debug_traceTransaction", [tx_hash, {"tracer": "callTracer"}])["result"]
    calls = [c for c in trace.get("calls", []) if c.get("type") == "STATICCALL"]
    assert len(calls) == 1, trace
    return int(calls[0]["gasUsed"], 16)


def _tx(receipt) -> str:
    return "0x" + bytes(receipt["transactionHash"]).hex()


def measure(env: Env, compiled) -> dict[str, int]:
    gas: dict[str, int] = {}
    record, _ = deploy_dprompt(env.w3, env.owner, env.owner.address, 3600)
    gas["DPrompt.deploy"] = int(env.w3.eth.get_transaction_receipt(record.tx)["gasUsed"])
    client = env.client(env.owner)
    table = build_table(env.params.spec)
    _, receipt = client.publish_model(env.params.config_for(env.dep.models["ticker"].verifier.address), table.data)
    gas[f"publishModel (ticker spec, {table.slots}-slot table)"] = int(receipt["gasUsed"])

    provider = env.client(env.provider)
    gas["stake (first, joins pool)"] = int(provider.stake(env.model_id, MIN_STAKE)["gasUsed"])
    gas["stake (top-up)"] = int(provider.stake(env.model_id, 1)["gasUsed"])

    user = env.client(env.user)
    ids = {}
    for label, prompt in PROMPTS.items():
        ids[label], receipt = user.request(env.model_id, prompt)
        gas[f"request {label}"] = int(receipt["gasUsed"])

    proof = env.toy.prove(PROMPTS["19B"])
    receipt = provider.fulfil(ids["19B"], proof.proof_bytes, proof.outputs(env.toy.num_outputs))
    total = int(receipt["gasUsed"])
    verifier = _verifier_gas(env, _tx(receipt))
    gas["fulfil (toy circuit, 180 instances)"] = total
    gas["fulfil: verifier call"] = verifier
    gas["fulfil: DPrompt without verifier call"] = total - verifier
    proof2 = env.toy.prove(PROMPTS["192B"])
    receipt = provider.fulfil(ids["192B"], proof2.proof_bytes, proof2.outputs(env.toy.num_outputs))
    gas["fulfil, second for the provider"] = int(receipt["gasUsed"])
    consumer_record = deploy_contract(env.w3, env.owner, compiled["TickerConsumer"], env.dep.dprompt.address,
                                      env.model_id)
    consumer = env.w3.eth.contract(address=consumer_record.address, abi=compiled["TickerConsumer"].abi)
    price = env.w3.eth.gas_price
    pay = user.required_payment(env.model_id, 50_000, price)
    tx = consumer.functions.ask(PROMPTS["19B"].encode()).transact(
        {"from": env.user.address, "value": pay, "gasPrice": price})
    gas["requestWithCallback 19B (TickerConsumer.ask)"] = int(env.w3.eth.wait_for_transaction_receipt(tx)["gasUsed"])
    receipt = provider.fulfil(user.contract.functions.nextRequestId().call() - 1, proof.proof_bytes,
                              proof.outputs(env.toy.num_outputs))
    gas["fulfil with a 50k-gas callback (TickerConsumer, toy circuit)"] = int(receipt["gasUsed"])
    gas["collectEarnings"] = int(provider.collect_earnings(env.model_id)["gasUsed"])
    gas["withdraw"] = int(provider.withdraw()["gasUsed"])

    env.advance(env.params.response_window_s + 1)
    gas["reclaim (refund, slash burned)"] = int(user.reclaim(ids["81B"])["gasUsed"])
    gas["setCapacity"] = int(provider.set_capacity(env.model_id, 1)["gasUsed"])
    provider.stake(env.model_id, MIN_STAKE)  # back above the minimum after the slash: rejoins the pool
    env.client(env.provider2).stake(env.model_id, MIN_STAKE)  # pool: [provider (capacity 1), provider2]
    skipped = None
    for _ in range(4):  # round-robin starts at index id % 2; an even id finding the provider full skips it
        full = user.provider(env.model_id, env.provider.address).pending == 1
        rid, receipt = user.request(env.model_id, PROMPTS["19B"])
        if rid % 2 == 0 and full:
            assert user.request_info(rid).provider == env.provider2.address
            skipped = int(receipt["gasUsed"])
            break
    assert skipped is not None
    gas["request 19B, assigned past one full provider"] = skipped
    gas["unbond (leaves a pool of 2)"] = int(provider.unbond(env.model_id)["gasUsed"])
    return gas


def measure_optimistic(env: Env) -> dict[str, int]:
    """Gas of the optimistic mode: request, answer, finalize (one; sixteen in one call, per request),
    a dispute that overturns a wrong answer and one that reverts because the answer is right."""
    from zkrevox.chain.revert import RevertedError

    gas: dict[str, int] = {}
    provider, user, other = env.client(env.provider), env.client(env.user), env.client(env.other)
    provider.stake(env.model_id, 2 * MIN_STAKE)  # stays above the minimum after the dispute's slash
    provider.set_capacity(env.model_id, 32)
    n = env.toy.num_outputs
    proof = env.toy.prove(PROMPTS["19B"])
    right = sum(1 << i for i, v in enumerate(proof.signed_outputs(n)) if v > 0)

    rid, receipt = user.request(env.model_id, PROMPTS["19B"], optimistic=True)
    gas["requestOptimistic 19B"] = int(receipt["gasUsed"])
    gas["answer (optimistic)"] = int(provider.post_answer(rid, right)["gasUsed"])
    try:
        other.dispute(rid, proof.proof_bytes, proof.outputs(n), simulate=False)
        raise AssertionError("a dispute of a right answer went through")
    except RevertedError as err:
        assert err.error_name == "DPromptAnswerNotWrong", err
        gas["dispute, failed (answer right; reverted, toy circuit)"] = int(err.gas_used)
    wrong, _ = user.request(env.model_id, PROMPTS["19B"], optimistic=True)
    provider.post_answer(wrong, right ^ 1)
    gas["dispute, successful (overturns, toy circuit)"] = int(
        other.dispute(wrong, proof.proof_bytes, proof.outputs(n))["gasUsed"])

    batch = [user.request(env.model_id, PROMPTS["19B"], optimistic=True)[0] for _ in range(16)]
    for r in batch:
        provider.post_answer(r, right)
    env.advance(env.params.challenge_window_s)
    gas["finalize, single"] = int(other.finalize([rid])["gasUsed"])
    gas["finalize, batch of 16, per request"] = int(other.finalize(batch)["gasUsed"]) // 16
    return gas


def test_gas_withinSnapshot(env: Env, compiled):
    check_snapshot(measure(env, compiled))


def test_gas_optimistic_withinSnapshotAndTargets(env: Env):
    gas = measure_optimistic(env)
    print(json.dumps(gas, indent=2))
    assert gas["answer (optimistic)"] <= 80_000  # the targets
    assert gas["finalize, batch of 16, per request"] <= 30_000
    check_snapshot(gas)


def check_snapshot(measured: dict[str, int]) -> None:
    """Compare ``measured`` with the snapshot's entries of the same names (or, with
    ZKREVOX_UPDATE_GAS_SNAPSHOT set, write them into it, keeping the other entries)."""
    if os.environ.get("ZKREVOX_UPDATE_GAS_SNAPSHOT"):
        SNAPSHOT.parent.mkdir(parents=True, exist_ok=True)
        kept = json.loads(SNAPSHOT.read_text()) if SNAPSHOT.is_file() else {}
        SNAPSHOT.write_text(json.dumps({**kept, **measured}, indent=2) + "\n")
        return
    assert SNAPSHOT.is_file(), f"no gas snapshot {SNAPSHOT}; create it with ZKREVOX_UPDATE_GAS_SNAPSHOT=1"
    snapshot = json.loads(SNAPSHOT.read_text())
    problems = []
    for path, gas in measured.items():
        if path not in snapshot:
            problems.append(f"{path}: {gas} (not in the snapshot)")
        elif gas > snapshot[path] * (1 + TOLERANCE):
            problems.append(f"{path}: {snapshot[path]} -> {gas} (+{(gas / snapshot[path] - 1) * 100:.1f} %)")
    assert not problems, (
        "gas grew more than 5 % (update with ZKREVOX_UPDATE_GAS_SNAPSHOT=1 pytest tests/chain/test_gas.py "
        "if intended):\n  " + "\n  ".join(problems)
    )
