"""Following the chain: K confirmations before a request or a fulfilment counts, a reorg that
re-mines a request id with another prompt while its fulfilment is in flight, and bursts mined in
one block read by polls whose ranges end at the head: each request seen exactly once."""

from __future__ import annotations

import json
import threading
import time
import urllib.request
from collections import Counter
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from nodeenv import STAKE, NodeEnv, config, fulfil_calls, fulfilled_events, job_state, node_thread, wait_states
from web3 import Web3
from web3.exceptions import TransactionNotFound

from zkrevox.chain.client import DPromptClient
from zkrevox.node import follower as follower_module
from zkrevox.node.follower import Follower
from zkrevox.node.jobs import State
from zkrevox.node.store import SqliteJobStore

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def test_confirmations_requestAndFulfilmentCountOnlyKBlocksDeep(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    with node_thread(config(env, db, confirmations=2), env.provider):
        rid = env.request("swap 2 bnb for cake")
        time.sleep(1.0)
        assert job_state(db, rid) is None  # mined, but not 2 blocks deep
        env.rpc_call("evm_mine", [])
        env.rpc_call("evm_mine", [])
        jobs = wait_states(db, [rid], {"submitted"}, timeout=60)
        tx_block = None
        for _ in range(100):
            try:  # recorded before it is broadcast: the receipt may not exist yet
                receipt = env.w3.eth.get_transaction_receipt(jobs[rid]["tx_hashes"][-1])
            except TransactionNotFound:
                receipt = None
            if receipt:
                tx_block = receipt["blockNumber"]
                break
            time.sleep(0.05)
        assert tx_block is not None
        time.sleep(1.0)
        assert job_state(db, rid) == "submitted"  # mined, not yet 2 blocks deep
        env.rpc_call("evm_mine", [])
        env.rpc_call("evm_mine", [])
        wait_states(db, [rid], {"confirmed"}, timeout=30)


def test_reorgRemintsTheRequestWithAnotherPrompt_nodeProvesTheNewOneAndFulfilsIt(env: NodeEnv, tmp_path):
    """Request k ("price of eth") is mined and the node's fulfilment waits in the mempool; a reorg
    drops that block and request k is mined again with another prompt. The fulfilment in flight
    reverts (its proof is for the old prompt); the node sees the reorg, proves the new prompt,
    and fulfils request k with it."""
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with node_thread(config(env, db, bump_after=600), env.provider):
        (rid,) = env.request_held("price of eth")
        wait_states(db, [rid], {"submitted"}, timeout=60)
        env.rpc_call("anvil_rollback", [1])  # the request's block is gone; the fulfilment stays pending
        env.rpc_call("evm_setAutomine", [True])  # the stale fulfilment is mined and reverts
        new_rid = env.request("swap 2 bnb for cake")  # request k again, with another prompt
        assert new_rid == rid
        jobs = wait_states(db, [rid], {"confirmed"}, timeout=90)
    job = jobs[rid]
    assert job["prompt"] == "swap 2 bnb for cake"
    details = " | ".join(h["detail"] for h in job["history"])
    # the fulfilment reverted when the request was either already re-mined, or not yet
    assert "re-mined with another prompt" in details or "not on-chain (reorged out?)" in details
    info = env.client().request_info(rid)
    labels = env.dep.models["ticker"].labels
    assert {labels[i] for i in range(len(labels)) if info.answer >> i & 1} == {"BNB", "CAKE"}
    assert fulfilled_events(env, start) == {rid: 1}
    assert [c["status"] for c in fulfil_calls(env, start)] == [0, 1]  # the stale one reverted, then the new one


# ---------------------------------------------------------------- each request seen exactly once


def _room(env: NodeEnv, n: int) -> None:
    """Stake the provider, and let it hold ``n`` requests pending where DPrompt caps that (setCapacity)."""
    client = env.client(env.provider)
    client.stake(env.model_id, STAKE)
    if hasattr(client, "set_capacity") and any(f.get("name") == "setCapacity" for f in client.contract.abi):
        client.set_capacity(env.model_id, n)


def _send_requests(env: NodeEnv, prompts: list[bytes]) -> list[str]:
    """Send one request per prompt without mining them (automine must be off); their tx hashes."""
    client = env.client(env.user)
    fee = client.model(env.model_id).fee
    nonce = env.w3.eth.get_transaction_count(env.user.address, "pending")
    hashes = []
    for i, prompt in enumerate(prompts):
        tx = client.contract.functions.request(env.model_id, prompt).build_transaction(
            {"from": env.user.address, "value": fee, "nonce": nonce + i, "gas": 2_000_000})
        sent = env.w3.eth.send_raw_transaction(env.user.sign_transaction(tx).raw_transaction)
        hashes.append("0x" + bytes(sent).hex())
    return hashes


def _request_ids(env: NodeEnv, hashes: list[str]) -> list[int]:
    event = env.client().contract.events.DPromptRequested()
    ids = []
    for h in hashes:
        receipt = env.w3.eth.get_transaction_receipt(h)
        assert receipt["status"] == 1, receipt
        ids.append(int(event.process_receipt(receipt)[0].args.requestId))
    return ids


def _chain_requests(env: NodeEnv, since_block: int) -> Counter[int]:
    """Every DPromptRequested for the provider since ``since_block``, read from the chain."""
    return Counter(ev.request_id for ev in env.client().requested_events(
        since_block, env.w3.eth.block_number, provider=env.provider.address))


@pytest.mark.parametrize(("confirmations", "chunk"), [(0, 2000), (0, 1), (1, 3)])
def test_burstInOneBlock_readsEndingAtTheHeadWhileBlocksArrive_eachRequestSeenOnce(env: NodeEnv, tmp_path,
                                                                                   confirmations, chunk):
    """Twenty requests mined in one block, then more blocks (some with requests) mined between the
    moment the head is read and the poll that reads up to it: every poll's range ends at the head it
    was given (or K below it), and the follower records each request exactly once."""
    _room(env, 64)
    start = env.w3.eth.block_number + 1
    store = SqliteJobStore(tmp_path / "node.db", "test")
    seen: list[int] = []
    follower = Follower(env.w3, env.client(), store, env.provider.address, start, confirmations=confirmations,
                        chunk=chunk, on_seen=lambda job: seen.append(job.request_id))

    def poll_to(head: int) -> None:
        while follower.poll(head):
            pass
        assert follower.processed == max(head - confirmations, start - 1)

    env.rpc_call("evm_setAutomine", [False])
    burst = _send_requests(env, [f"swap {i} bnb for cake".encode() for i in range(19)] + [b"swap 2 \xff\xfe for cake"])
    poll_to(env.w3.eth.block_number)  # mined nothing yet: nothing to see
    assert seen == []
    env.rpc_call("evm_mine", [])
    ids = _request_ids(env, burst)
    assert len({env.w3.eth.get_transaction_receipt(h)["blockNumber"] for h in burst}) == 1  # one block
    more: list[str] = []
    for k in range(6):
        head = env.w3.eth.block_number
        if k % 2 == 0:  # a block with two more requests arrives after the head was read
            more += _send_requests(env, [f"price of eth {k} {j}".encode() for j in range(2)])
        env.rpc_call("evm_mine", [])
        poll_to(head)  # the range ends at `head`, one block behind the chain now
    poll_to(env.w3.eth.block_number)
    for _ in range(confirmations):
        env.rpc_call("evm_mine", [])
    poll_to(env.w3.eth.block_number)
    poll_to(env.w3.eth.block_number)  # nothing new: nothing seen twice

    all_ids = ids + _request_ids(env, more)
    assert len(all_ids) == 26
    assert sorted(seen) == sorted(all_ids)  # each once, none missed
    assert _chain_requests(env, start) == Counter(all_ids)
    jobs = {j.request_id: j for j in store.jobs()}
    assert sorted(jobs) == sorted(all_ids)
    for rid in all_ids:
        assert [(t.src, t.dst) for t in store.history(rid)] == [(None, State.SEEN)]
    assert jobs[ids[-1]].prompt == b"swap 2 \xff\xfe for cake"


class LaggingRpc:
    """A JSON-RPC proxy in front of anvil whose log index lags the head (go-ethereum #26098, #24078):
    ``eth_getLogs`` over a block range leaves out the logs of the chain's newest block, with no
    error; a read by block hash fails ``fail_hash_reads`` times ("unknown block"), then works."""

    def __init__(self, upstream: str, fail_hash_reads: int = 0) -> None:
        self.upstream = upstream
        self.fail_hash_reads = fail_hash_reads
        self.hidden = 0  # logs left out so far
        proxy = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
                reply = json.dumps(proxy.answer(body)).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, name="lagging-rpc", daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}"

    def __enter__(self) -> LaggingRpc:
        self.thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self.server.shutdown()
        self.server.server_close()

    def _forward(self, body: object) -> dict:
        request = urllib.request.Request(self.upstream, json.dumps(body).encode(),
                                         {"Content-Type": "application/json"})
        with urllib.request.urlopen(request, timeout=10) as resp:
            return json.loads(resp.read())

    def answer(self, body: dict) -> dict:
        if body.get("method") != "eth_getLogs":
            return self._forward(body)
        query = body["params"][0]
        if "blockHash" in query:
            if self.fail_hash_reads > 0:
                self.fail_hash_reads -= 1
                return {"jsonrpc": "2.0", "id": body["id"], "error": {"code": -32000, "message": "unknown block"}}
            return self._forward(body)
        head = int(self._forward({"jsonrpc": "2.0", "id": 0, "method": "eth_blockNumber", "params": []})["result"], 16)
        reply = self._forward(body)
        logs = reply.get("result") or []
        kept = [entry for entry in logs if int(entry["blockNumber"], 16) != head]
        self.hidden += len(logs) - len(kept)
        return {**reply, "result": kept}


def _lagging_follower(env: NodeEnv, rpc: LaggingRpc, store: SqliteJobStore, start: int, seen: list[int]) -> Follower:
    w3 = Web3(Web3.HTTPProvider(rpc.url))
    return Follower(w3, DPromptClient(w3, env.dep.dprompt.address), store, env.provider.address, start,
                    confirmations=0, chunk=2000, on_seen=lambda job: seen.append(job.request_id))


def _burst(env: NodeEnv, n: int, tag: str) -> list[int]:
    """``n`` requests mined together in one new block, the chain's head."""
    env.rpc_call("evm_setAutomine", [False])
    hashes = _send_requests(env, [f"{tag} {i} bnb for cake".encode() for i in range(n)])
    env.rpc_call("evm_mine", [])
    return _request_ids(env, hashes)


def test_logsOfTheHeadNotServedByRangeReads_readByHash_eachRequestSeenOnce(env: NodeEnv, tmp_path):
    """The RPC's range reads leave out the head block's logs: the bloom of that block names this
    provider's requests, so the follower reads them by block hash, at once, each exactly once."""
    _room(env, 64)
    start = env.w3.eth.block_number + 1
    store = SqliteJobStore(tmp_path / "node.db", "test")
    seen: list[int] = []
    with LaggingRpc(env.rpc) as rpc:
        follower = _lagging_follower(env, rpc, store, start, seen)
        ids = _burst(env, 20, "swap")
        head = env.w3.eth.block_number
        assert not follower.poll(head)
        assert rpc.hidden == 20 and follower.processed == head
        assert sorted(seen) == sorted(ids)
        for k in range(4):  # more bursts, each read while it is the head
            ids += _burst(env, 3, f"price {k}")
            assert not follower.poll(env.w3.eth.block_number)
        assert not follower.poll(env.w3.eth.block_number)
    assert len(ids) == 32 and rpc.hidden == 32
    assert sorted(seen) == sorted(ids)
    assert _chain_requests(env, start) == Counter(ids)
    assert all([(t.src, t.dst) for t in store.history(rid)] == [(None, State.SEEN)] for rid in ids)


def test_headBlockNotKnownByHashYet_cursorStopsBeforeItUntilItIs(env: NodeEnv, tmp_path):
    _room(env, 64)
    start = env.w3.eth.block_number + 1
    store = SqliteJobStore(tmp_path / "node.db", "test")
    seen: list[int] = []
    with LaggingRpc(env.rpc, fail_hash_reads=3) as rpc:
        follower = _lagging_follower(env, rpc, store, start, seen)
        env.rpc_call("evm_mine", [])  # a block before the burst: the cursor may pass it
        ids = _burst(env, 20, "swap")
        head = env.w3.eth.block_number
        for _ in range(3):
            assert not follower.poll(head)
            assert follower.processed == head - 1 and seen == []  # stopped before the lagging block
        assert not follower.poll(head)
        assert follower.processed == head
    assert sorted(seen) == sorted(ids)
    assert all([(t.src, t.dst) for t in store.history(rid)] == [(None, State.SEEN)] for rid in ids)


def test_withoutTheBloomCheck_theLaggingRpcLosesTheRequests(env: NodeEnv, tmp_path, monkeypatch):
    """The proxy above does hide the head's logs: a follower that trusted range reads loses them."""
    monkeypatch.setattr(follower_module, "LAG_WINDOW", 0)
    _room(env, 64)
    start = env.w3.eth.block_number + 1
    seen: list[int] = []
    with LaggingRpc(env.rpc) as rpc:
        follower = _lagging_follower(env, rpc, SqliteJobStore(tmp_path / "node.db", "test"), start, seen)
        _burst(env, 20, "swap")
        follower.poll(env.w3.eth.block_number)
        env.rpc_call("evm_mine", [])
        follower.poll(env.w3.eth.block_number)
    assert seen == [] and rpc.hidden == 20


def test_twentyRequestsInOneBlock_runningNodeWhileBlocksArrive_eachSeenOnceAndFulfilledOnce(env: NodeEnv, tmp_path):
    """A running node, automine off: twenty requests mined by one ``evm_mine``, then a block every
    0.3 s (the node's fulfilments among them) while the node polls to the head every 0.1 s. Each
    request enters the job store once, is seen once, and is fulfilled once on-chain."""
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with node_thread(config(env, db, capacity=64), env.provider):
        ids = _burst(env, 20, "swap")
        stop = threading.Event()
        miner_w3 = Web3(Web3.HTTPProvider(env.rpc))
        miner = threading.Thread(target=lambda: [miner_w3.provider.make_request("evm_mine", [])
                                                 for _ in iter(lambda: stop.wait(0.3), True)], daemon=True)
        miner.start()
        try:
            jobs = wait_states(db, ids, {"confirmed", "skipped", "failed"}, timeout=300)
        finally:
            stop.set()
            miner.join(timeout=10)
    assert {rid: jobs[rid]["state"] for rid in ids} == dict.fromkeys(ids, "confirmed")
    assert sorted(jobs) == sorted(ids)  # nothing else in the store
    for rid in ids:
        assert [h["to"] for h in jobs[rid]["history"]].count("seen") == 1, jobs[rid]["history"]
    assert fulfilled_events(env, start) == Counter(dict.fromkeys(ids, 1))
    assert _chain_requests(env, start) == Counter(ids)
