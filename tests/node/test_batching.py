"""The node answers bursts with batch proofs (real anvil, the real batch-4 circuit, real proofs): one
``fulfilBatch`` per group, a lone request still alone, and one member going bad (fulfilled
meanwhile, reclaimed, past its deadline) never sinks the others."""

from __future__ import annotations

import pytest
from nodeenv import (
    BATCH,
    NodeEnv,
    config,
    fulfil_txs,
    fulfilled_events,
    node_thread,
    skipped_events,
    wait_for,
    wait_states,
)
from provefns import GATE_ENV, gated
from web3 import Web3

from zkrevox.chain.proofs import ChainProof

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPTS = ["swap 2 bnb for cake", "price of eth", "buy some pepe", "sell my link", "stake some matic"]
DONE = {"confirmed", "failed", "skipped"}
DEADLINE_PASSED = bytes(Web3.keccak(text="DPromptDeadlinePassed(uint256,uint256)")[:4])
RECLAIMED = bytes(Web3.keccak(text="DPromptAlreadyReclaimed(uint256)")[:4])


def test_burstOfFive_oneBatchOfFourAndOneAlone(benv: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = benv.w3.eth.block_number
    with node_thread(config(benv, db, max_batch_wait=3.0), benv.provider) as node:
        assert node.batch_sizes == (1, BATCH)
        ids = [benv.request(p) for p in PROMPTS]
        jobs = wait_states(db, ids, DONE, timeout=120)
    assert {jobs[i]["state"] for i in ids} == {"confirmed"}
    txs = fulfil_txs(benv, start)
    assert sorted(len(t["request_ids"]) for t in txs) == [1, BATCH]
    batch = next(t for t in txs if t["fn"] == "fulfilBatch")
    assert batch["request_ids"] == ids[:BATCH] and batch["status"] == 1
    assert batch["gas"] / BATCH < 450_000  # vs ~510k for fulfil alone (verifier-contracts/snapshots/gas.json)
    assert all(jobs[i]["batch"] == ids[:BATCH] and jobs[i]["fulfil_tx"] == batch["hash"] for i in ids[:BATCH])
    assert fulfilled_events(benv, start) == {i: 1 for i in ids}


def test_latencyPolicy_doesNotWait(benv: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    with node_thread(config(benv, db, batch_policy="latency", max_batch_wait=600), benv.provider):
        rid = benv.request(PROMPTS[0])
        jobs = wait_states(db, [rid], {"confirmed"}, timeout=60)
    assert jobs[rid]["batch"] is None


def _in_flight(node, ids) -> None:
    """The batch proof of ``ids`` is running (claimed and checked on-chain: the chain may change now)."""
    wait_for(lambda: sorted(node._proving.inflight) == sorted(ids), 60, f"one proof of {ids} in flight")


def _gated_node(benv: NodeEnv, tmp_path, monkeypatch, **overrides):
    gate = tmp_path / "gate"
    gate.touch()
    monkeypatch.setenv(GATE_ENV, str(gate))
    cfg = config(benv, tmp_path / "node.db", max_batch_wait=0.5, **overrides)
    return gate, node_thread(cfg, benv.provider, prove_fn=gated)


def test_memberFulfilledMeanwhile_isDroppedAndTheOthersAreBatchedAgain(benv: NodeEnv, tmp_path, monkeypatch,
                                                                       prover):
    """The provider's key answers one member elsewhere while the batch proof runs: the simulation
    names it; it is recorded as fulfilled (not by this node) and the other three are proved again."""
    db = tmp_path / "node.db"
    start = benv.w3.eth.block_number
    gate, running = _gated_node(benv, tmp_path, monkeypatch)
    with running as node:
        ids = benv.request_held(*PROMPTS[:BATCH])
        benv.rpc_call("evm_setAutomine", [True])
        _in_flight(node, ids)
        proof = ChainProof.from_proof(prover.prove(PROMPTS[1], tmp_path / "elsewhere"))
        benv.client(benv.provider).fulfil(ids[1], proof.proof_bytes, proof.outputs(42))
        gate.unlink()
        jobs = wait_states(db, ids, DONE, timeout=120)
    # the member fulfilled by another transaction is not counted as an answer this node made
    assert {i: jobs[i]["state"] for i in ids} == {i: "skipped" if i == ids[1] else "confirmed" for i in ids}
    assert jobs[ids[1]]["reason"] == "already-fulfilled"
    assert any("batch dropped before sending" in h["detail"] for h in jobs[ids[0]]["history"])
    txs = fulfil_txs(benv, start)
    assert all(t["status"] == 1 for t in txs)
    assert sorted(r for t in txs for r in t["request_ids"]) == sorted(ids)  # each answered once, none twice
    assert fulfilled_events(benv, start) == {i: 1 for i in ids}


def test_memberReclaimedBeforeSending_isSkippedOnChain_othersFulfilled(benv: NodeEnv, tmp_path, monkeypatch):
    db = tmp_path / "node.db"
    start = benv.w3.eth.block_number
    gate, running = _gated_node(benv, tmp_path, monkeypatch)
    with running as node:
        first = benv.request(PROMPTS[0])
        deadline = benv.client().request_info(first).deadline
        benv.rpc_call("evm_increaseTime", [300])  # the other three come later: their deadlines are later
        ids = [first, *(benv.request(p) for p in PROMPTS[1:BATCH])]
        _in_flight(node, ids)
        benv.rpc_call("anvil_setNextBlockTimestamp", [deadline + 1])
        benv.rpc_call("evm_mine", [])
        benv.client(benv.user).reclaim(first)
        gate.unlink()
        jobs = wait_states(db, ids, DONE, timeout=120)
    assert jobs[first]["state"] == "failed" and jobs[first]["reason"] == "reclaimed"
    assert all(jobs[i]["state"] == "confirmed" for i in ids[1:])
    (tx,) = fulfil_txs(benv, start)
    assert tx["fn"] == "fulfilBatch" and tx["request_ids"] == ids and tx["status"] == 1
    assert skipped_events(benv, start) == {first: RECLAIMED}
    assert fulfilled_events(benv, start) == {i: 1 for i in ids[1:]}


@pytest.mark.parametrize("late", [0, 1], ids=["at-the-deadline", "one-second-after"])
def test_memberDeadline_minedAtItOrOneSecondAfter(benv: NodeEnv, tmp_path, late: int):
    """The batch's transaction is mined (by hand) in a block stamped at a member's deadline: it is
    fulfilled; one second after: that member is skipped on-chain and failed (deadline), the others
    fulfilled."""
    db = tmp_path / "node.db"
    start = benv.w3.eth.block_number
    with node_thread(config(benv, db, max_batch_wait=0.5, bump_after=600), benv.provider):
        first = benv.request(PROMPTS[0])
        deadline = benv.client().request_info(first).deadline
        benv.rpc_call("evm_increaseTime", [300])
        others = benv.request_held(*PROMPTS[1:BATCH])  # automining stays off: the batch waits in the mempool
        ids = [first, *others]
        wait_states(db, ids, {"submitted"}, timeout=60)
        benv.rpc_call("anvil_setNextBlockTimestamp", [deadline + late])
        benv.rpc_call("evm_mine", [])
        benv.rpc_call("evm_setAutomine", [True])
        jobs = wait_states(db, ids, DONE, timeout=60)
    (tx,) = fulfil_txs(benv, start)
    assert tx["fn"] == "fulfilBatch" and tx["status"] == 1
    assert benv.w3.eth.get_block(tx["block"])["timestamp"] == deadline + late
    assert all(jobs[i]["state"] == "confirmed" for i in others)
    if late:
        assert jobs[first]["state"] == "failed" and jobs[first]["reason"] == "deadline"
        assert "skipped by fulfilBatch" in jobs[first]["last_error"]
        assert skipped_events(benv, start) == {first: DEADLINE_PASSED}
        assert fulfilled_events(benv, start) == {i: 1 for i in others}
    else:
        assert jobs[first]["state"] == "confirmed"
        assert fulfilled_events(benv, start) == {i: 1 for i in ids}
