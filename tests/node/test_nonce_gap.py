"""A nonce reserved for a fulfilment that then could not be sent must not stall every later one.

A batch's fulfilment is signed with nonce N (automining off), then dropped from the mempool while
the block gas limit falls below its gas: every re-broadcast is refused for good and its jobs are
failed; nonce N will never be used by it. A later fulfilment, signed meanwhile with N+1, waits
behind the gap. The node fills N with a 0-value self-transfer (recorded before it is broadcast)
and the later fulfilment is mined."""

from __future__ import annotations

import pytest
from nodeenv import (
    NodeEnv,
    config,
    fulfil_txs,
    metric,
    metrics_text,
    node_thread,
    open_store,
    wait_for,
    wait_states,
)

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPTS = ["swap 2 bnb for cake", "price of eth", "buy some pepe", "sell my link"]


@pytest.fixture()
def gas_limit_restored(benv: NodeEnv):
    limit = benv.w3.eth.get_block("latest")["gasLimit"]
    yield
    benv.rpc_call("anvil_setBlockGasLimit", [hex(limit)])  # not part of the chain state evm_revert restores


def test_unsendableFulfilment_gapIsFilled_laterFulfilmentMined(benv: NodeEnv, tmp_path, gas_limit_restored):
    db = tmp_path / "node.db"
    start = benv.w3.eth.block_number
    # max_attempts 12: the refused re-broadcasts of the batch last longer than the later request's proof
    # (the packed single circuit proves in ~2.6 s on a loaded machine; at 6 attempts the node could give
    # nonce N up before the later fulfilment was signed, and sign it with N: a fresh-clone CI run did)
    cfg = config(benv, db, max_batch_wait=0.5, bump_after=600, max_attempts=12, backoff_cap=2.0, gap_grace=1.0,
                 metrics_port=0)
    with node_thread(cfg, benv.provider) as node:
        batch = benv.request_held(*PROMPTS)
        jobs = wait_states(db, batch, {"submitted"}, timeout=90)
        gap = jobs[batch[0]]["nonce"]
        benv.rpc_call("anvil_setBlockGasLimit", [hex(1_000_000)])  # below the batch's gas, above a fulfil's
        benv.rpc_call("anvil_dropTransaction", [jobs[batch[0]]["tx_hashes"][0]])
        (later,) = benv.request_held("stake some matic")
        jobs = wait_states(db, [later], {"submitted"}, timeout=60)
        assert jobs[later]["nonce"] == gap + 1  # signed while the batch still held nonce N
        jobs = wait_states(db, batch, {"failed"}, timeout=60)
        assert {jobs[r]["reason"] for r in batch} == {"broadcast-refused"}
        wait_for(lambda: metric(metrics_text(node), "zkrevox_node_nonce_gaps_filled_total") >= 1, 30, "the gap filled")
        (filler,) = open_store(db).fillers()
        assert filler.nonce == gap  # recorded (before its broadcast)
        benv.rpc_call("evm_mine", [])
        benv.rpc_call("evm_setAutomine", [True])
        jobs = wait_states(db, [later], {"confirmed"}, timeout=60)
        wait_for(lambda: not open_store(db).fillers(), 30, "the filler settled")
    (filler,) = open_store(db).fillers(live=False)
    assert filler.nonce == gap and filler.outcome == "mined"
    tx = benv.w3.eth.get_transaction(filler.tx_hashes[-1])
    assert tx["to"] == benv.provider.address and tx["value"] == 0 and tx["nonce"] == gap
    assert [t["request_ids"] for t in fulfil_txs(benv, start)] == [[later]]
    assert benv.client().request_info(later).status == "fulfilled"
