"""Several providers on one DPrompt, and a chain restarted under a node."""

from __future__ import annotations

import pytest
from eth_account import Account
from nodeenv import (
    STAKE,
    NodeEnv,
    config,
    fulfil_calls,
    fulfilled_events,
    jobs_by_id,
    node_thread,
    wait_for,
    wait_states,
)
from web3 import Web3

from zkrevox.chain.anvil import Anvil, free_port
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.node import SqliteJobStore, State
from zkrevox.node.rpc import close_node, connect_node
from zkrevox.node.store import read_jobs

pytestmark = [pytest.mark.chain, pytest.mark.slow]

PROMPTS = ["swap 2 bnb for cake", "price of eth", "sell half my dogecoin for tether", "buy some pepe",
           "bridge my usdc to arbitrum", "what a lovely morning"]


def test_twoNodes_eachRequestAnsweredOnceByItsProvider_noneLost(env: NodeEnv, tmp_path):
    start = env.w3.eth.block_number
    info = env.client().model(env.model_id)
    fee = info.fee - info.fee * info.developer_share_bps // 10_000  # what a provider earns per answer
    db1, db2 = tmp_path / "a.db", tmp_path / "b.db"
    env.client(env.provider).stake(env.model_id, STAKE)
    env.client(env.provider2).stake(env.model_id, STAKE)
    with node_thread(config(env, db1), env.provider), node_thread(config(env, db2), env.provider2):
        ids = [env.request(p) for p in PROMPTS]
        assigned = {rid: env.client().request_info(rid).provider for rid in ids}
        mine = {env.provider.address: db1, env.provider2.address: db2}
        for address, db in mine.items():
            wait_states(db, [r for r in ids if assigned[r] == address], {"confirmed"}, timeout=120)

    assert set(assigned.values()) == set(mine)  # round-robin: both providers got work
    assert fulfilled_events(env, start) == dict.fromkeys(ids, 1)  # none twice, none lost
    calls = fulfil_calls(env, start)
    assert sorted(c["request_id"] for c in calls) == sorted(ids)
    for call in calls:
        assert call["from"] == assigned[call["request_id"]] and call["status"] == 1
    for address, db in mine.items():
        own = [r for r in ids if assigned[r] == address]
        assert sorted(jobs_by_id(db)) == sorted(own)  # a node records only its own requests
        assert env.client().provider(env.model_id, address).earned == fee * len(own)  # and earns for them


def test_chainRestartedUnderTheNode_oldRequestsFailedNewOnesServed(prover, tmp_path):
    """anvil is stopped and started again on the same port, and the contracts redeployed (same
    addresses, new genesis): the node marks the lost chain's live requests failed (chain-reset),
    reconnects, re-stakes, and serves the new chain's requests in a fresh scope of the same db."""
    port = free_port()
    deployments = tmp_path / "deployments"
    db = tmp_path / "node.db"
    params = model_params("ticker")

    clients: list[Web3] = []

    def fresh_chain() -> tuple[Anvil, NodeEnv]:
        chain = Anvil(port=port).start()
        w3 = connect_node(chain.url)
        clients.append(w3)
        accounts = [Account.from_key(k) for k in ANVIL_DEV_KEYS]
        dep = deploy(w3, accounts[0], params, verifier_sol=current_verifier(params), directory=deployments)
        return chain, NodeEnv(w3, chain.url, dep, deployments, dep.models["ticker"].model_id, *accounts)

    chain, env = fresh_chain()
    try:
        cfg = config(env, db, chain_check_every=3600)  # the reset must be noticed without the timer
        with node_thread(cfg, env.provider) as node:
            first = env.request("swap 2 bnb for cake")
            wait_states(db, [first], {"confirmed"}, timeout=60)
            old_scope = read_jobs(db)[0]["scope"]
            stranded = env.request("price of eth")
            wait_for(lambda: node._proving.inflight, 30, "the stranded request in proof")
            chain.stop()
            wait_for(lambda: node.health()["status"] == "degraded", 30, "degraded while the chain is gone")
            chain, env = fresh_chain()
            wait_for(lambda: node.store is not None and node.store.scope != old_scope
                     and node.health()["status"] == "ok", 90, "the node up on the new chain")
            second = env.request("sell half my dogecoin for tether")
            jobs = wait_states(db, [second], {"confirmed"}, timeout=60)
        old = SqliteJobStore(db, old_scope)
        try:
            assert old.get(first).state == State.CONFIRMED
            lost = old.get(stranded)
            assert lost.state == State.FAILED and lost.reason == "chain-reset"
        finally:
            old.close()
        assert env.client().request_info(second).status == "fulfilled"
        assert second == first  # ids start again on the new chain: kept apart by the scope
        assert jobs[second]["scope"] != old_scope
    finally:
        chain.stop()
        for w3 in clients:
            close_node(w3)
