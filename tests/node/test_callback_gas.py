"""Issue #18, item 1: callbacks that burn all their gas cannot make an honest node miss its requests.

The attack: a consumer contract with no reclaim function sends 16 ``requestWithCallback``, each
with a 2,000,000-gas callback that burns all of it. A node that puts them in batches whose
fulfilment (callbacks included) cannot fit in a block fails every simulation, misses every
deadline, and is slashed once per request. The node plans every fulfilment within the block gas
limit it reads from the chain, and a batch the chain refuses with no member to blame is split
into singles, never failed.

Real anvil, real contracts, the real ticker batch-4 circuit and real proofs. The block gas limit is
lowered to 9M so that the registered batch size (4) is the one that cannot fit (4 x 2M callbacks
+ the verification > 9M; at 30M the same happens with batches of 16), while one fulfilment alone
(~2.5M) does.
"""

from __future__ import annotations

import pytest
from nodeenv import BATCH, NodeEnv, config, fulfil_txs, fulfilled_events, node_thread, wait_for, wait_states
from web3.logs import DISCARD

from zkrevox.chain.deploy import deploy_contract
from zkrevox.chain.solc import project_contracts
from zkrevox.node.batching import fits_block, unit_gas

pytestmark = [pytest.mark.chain, pytest.mark.slow]

BURN_GAS = 2  # HostileConsumer.Mode.BurnGas (verifier-contracts/test/TestConsumers.sol)
CALLBACK_GAS = 2_000_000
BLOCK_GAS = 9_000_000
COUNT = 16
PROMPTS = ["swap 2 bnb for cake", "price of eth", "buy some pepe", "sell my link"]
DONE = {"confirmed", "failed", "skipped"}


def test_plan_keepsEveryFulfilmentInABlock():
    """The planning rule itself: four 2M callbacks do not fit a 9M block, one does, and no callback
    makes a lone request "not fit" (it is the smallest fulfilment there is)."""
    assert unit_gas([CALLBACK_GAS]) > CALLBACK_GAS * 64 // 63
    assert not fits_block([CALLBACK_GAS] * BATCH, BLOCK_GAS)
    assert not fits_block([CALLBACK_GAS] * 16, 30_000_000)
    assert fits_block([0] * BATCH, BLOCK_GAS) and fits_block([CALLBACK_GAS], BLOCK_GAS)


def _ask(env: NodeEnv, consumer, prompt: str) -> int:
    price = env.w3.eth.gas_price
    pay = env.client().required_payment(env.model_id, CALLBACK_GAS, price)
    tx = consumer.functions.ask(env.model_id, prompt.encode()).transact(
        {"from": env.user.address, "value": pay, "gasPrice": price})
    receipt = env.w3.eth.wait_for_transaction_receipt(tx)
    assert receipt["status"] == 1
    (ev,) = env.client().contract.events.DPromptRequested().process_receipt(receipt, errors=DISCARD)
    return int(ev.args.requestId)


def test_sixteenGasBurningCallbacks_allFulfilled_stakeUnchanged(benv: NodeEnv, tmp_path):
    compiled = project_contracts()
    abi = compiled["HostileConsumer"].abi
    assert not [f for f in abi if f.get("name") == "reclaim"], "the attacking consumer must not be able to reclaim"
    old_limit = int(benv.w3.eth.get_block("latest")["gasLimit"])
    benv.rpc_call("anvil_setBlockGasLimit", [hex(BLOCK_GAS)])
    benv.rpc_call("evm_mine", [])
    try:
        record = deploy_contract(benv.w3, benv.owner, compiled["HostileConsumer"], benv.dep.dprompt.address)
        consumer = benv.w3.eth.contract(address=record.address, abi=abi)
        consumer.functions.setMode(BURN_GAS, CALLBACK_GAS).transact({"from": benv.owner.address})
        db = tmp_path / "node.db"
        start = benv.w3.eth.block_number
        client = benv.client()
        with node_thread(config(benv, db, max_batch_wait=1.0, workers=2, capacity=COUNT), benv.provider) as node:
            assert node.batch_sizes == (1, BATCH)
            stake = client.provider(benv.model_id, benv.provider.address).stake
            ids = [_ask(benv, consumer, PROMPTS[i % len(PROMPTS)]) for i in range(COUNT)]
            jobs = wait_states(db, ids, DONE, timeout=900)
        assert {i: jobs[i]["state"] for i in ids} == {i: "confirmed" for i in ids}
        assert fulfilled_events(benv, start) == {i: 1 for i in ids}
        assert all(t["status"] == 1 and t["gas"] <= BLOCK_GAS for t in fulfil_txs(benv, start))
        after = client.provider(benv.model_id, benv.provider.address)
        assert after.stake == stake and after.pending == 0
        assert all(client.request_info(i).status == "fulfilled" for i in ids)
        assert consumer.functions.calls().call() == 0  # every callback burned its gas and was rolled back
    finally:
        benv.rpc_call("anvil_setBlockGasLimit", [hex(old_limit)])
        benv.rpc_call("evm_mine", [])


def test_batchRefusedInSimulation_noMemberToBlame_isSplitIntoSingles(benv: NodeEnv, tmp_path, monkeypatch):
    """A batch planned when it fitted (30M block) is refused in simulation once the block gas limit
    drops under it (DPromptInsufficientGasForCallback, no member to blame): its members are proved
    and sent alone, none failed."""
    from provefns import GATE_ENV, gated

    from zkrevox.node.batching import ALONE

    compiled = project_contracts()
    old_limit = int(benv.w3.eth.get_block("latest")["gasLimit"])
    gate = tmp_path / "gate"
    gate.touch()
    monkeypatch.setenv(GATE_ENV, str(gate))
    try:
        record = deploy_contract(benv.w3, benv.owner, compiled["HostileConsumer"], benv.dep.dprompt.address)
        consumer = benv.w3.eth.contract(address=record.address, abi=compiled["HostileConsumer"].abi)
        consumer.functions.setMode(BURN_GAS, CALLBACK_GAS).transact({"from": benv.owner.address})
        db = tmp_path / "node.db"
        start = benv.w3.eth.block_number
        with node_thread(config(benv, db, max_batch_wait=3.0), benv.provider, prove_fn=gated) as node:
            ids = [_ask(benv, consumer, p) for p in PROMPTS[:BATCH]]
            wait_for(lambda: sorted(node._proving.inflight) == sorted(ids), 60, "one batch proof in flight")
            benv.rpc_call("anvil_setBlockGasLimit", [hex(BLOCK_GAS)])
            benv.rpc_call("evm_mine", [])
            gate.unlink()
            jobs = wait_states(db, ids, DONE, timeout=300)
        assert {i: jobs[i]["state"] for i in ids} == {i: "confirmed" for i in ids}
        assert all(any(ALONE in (h["detail"] or "") for h in jobs[i]["history"]) for i in ids)
        txs = fulfil_txs(benv, start)
        assert sorted(len(t["request_ids"]) for t in txs) == [1] * BATCH and all(t["status"] == 1 for t in txs)
    finally:
        benv.rpc_call("anvil_setBlockGasLimit", [hex(old_limit)])
        benv.rpc_call("evm_mine", [])
