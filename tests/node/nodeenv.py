"""Helpers of the node tests: the deployed environment, nodes in a thread or a process, waits with
time-outs, and what the chain says about fulfilments (read from blocks, not from the node)."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys
import threading
import time
import urllib.request
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from eth_account.signers.local import LocalAccount
from web3 import Web3

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import Deployment
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.node import NodeConfig, ProviderNode, SqliteJobStore
from zkrevox.node.store import read_jobs

STAKE = 10**18
FULFIL = "fulfil"
BATCH = 4  # the batch size the batching tests register (fast to prove: ~3 s)


@dataclass
class NodeEnv:
    w3: Web3
    rpc: str
    dep: Deployment
    deployments_dir: Path
    model_id: int
    owner: LocalAccount
    provider: LocalAccount  # dev account 1
    provider2: LocalAccount  # dev account 2
    user: LocalAccount
    other: LocalAccount

    def client(self, account: LocalAccount | None = None) -> DPromptClient:
        return DPromptClient(self.w3, self.dep.dprompt.address, account)

    def request(self, prompt: str | bytes, model_id: int | None = None) -> int:
        rid, _ = self.client(self.user).request(self.model_id if model_id is None else model_id, prompt)
        return rid

    def request_held(self, *prompts: str, value: int | None = None) -> list[int]:
        """Switch automining off, then mine ``prompts``' requests in one block by hand: whatever the
        node sends afterwards stays in the mempool until the test mines it. Each pays ``value`` wei
        (default: the model fee)."""
        self.rpc_call("evm_setAutomine", [False])
        client = self.client(self.user)
        fee = client.model(self.model_id).fee if value is None else value
        hashes = [client.contract.functions.request(self.model_id, p.encode()).transact(
            {"from": self.user.address, "value": fee}) for p in prompts]
        self.rpc_call("evm_mine", [])
        event = client.contract.events.DPromptRequested()
        return [int(event.process_receipt(self.w3.eth.get_transaction_receipt(h))[0].args.requestId) for h in hashes]

    def rpc_call(self, method: str, params: list[Any]) -> Any:
        response = self.w3.provider.make_request(method, params)
        assert "error" not in response, response
        return response.get("result")

    def advance(self, seconds: int) -> None:
        self.rpc_call("evm_increaseTime", [seconds])
        self.rpc_call("evm_mine", [])


def config(env: NodeEnv, db: Path, **overrides: Any) -> NodeConfig:
    """A node configuration for tests: fast polls, short time-outs, the session's deployment record."""
    base = NodeConfig(rpc=env.rpc, db=db, deployments_dir=env.deployments_dir, poll_interval=0.1, rpc_timeout=2.0,
                      stake_wei=STAKE, backoff_base=0.1, backoff_cap=1.0, drain_timeout=20.0, chain_check_every=1.0)
    return replace(base, **overrides)


@contextlib.contextmanager
def node_thread(cfg: NodeConfig, account: LocalAccount, *, up_timeout: float = 60.0,
                prove_fn: Any = None) -> Iterator[ProviderNode]:
    """A ``ProviderNode`` running in a thread (its provers in worker processes); stopped on exit."""
    node = ProviderNode(cfg, account, prove_fn=prove_fn)
    with in_thread(node, lambda: node.health()["status"] == "ok", "node", up_timeout):
        yield node


@contextlib.contextmanager
def in_thread(service: Any, is_up: Callable[[], bool], name: str, up_timeout: float) -> Iterator[None]:
    """``service.run()`` in a thread until ``is_up()``; ``service.stop()`` and joined on exit; what
    ``run`` raised is raised here."""
    errors: list[BaseException] = []

    def run() -> None:
        try:
            service.run()
        except BaseException as exc:  # reported by the test below
            errors.append(exc)

    thread = threading.Thread(target=run, name=name, daemon=True)
    thread.start()
    try:
        wait_for(lambda: is_up() or errors or not thread.is_alive(), up_timeout, f"{name} up")
        if errors:
            raise errors[0]
        yield
    finally:
        service.stop()
        thread.join(timeout=60)
        assert not thread.is_alive(), f"the {name} did not stop within 60 s (deadlock?)"
    if errors:
        raise errors[0]


def wait_for(predicate: Callable[[], Any], timeout: float, what: str, interval: float = 0.05) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = predicate()
        if value:
            return value
        if time.monotonic() > deadline:
            raise TimeoutError(f"timed out after {timeout:.0f}s waiting for {what}")
        time.sleep(interval)


def job_state(db: Path, request_id: int) -> str | None:
    if not db.is_file():
        return None
    for job in read_jobs(db):
        if job["request_id"] == request_id:
            return str(job["state"])
    return None


def jobs_by_id(db: Path) -> dict[int, dict[str, Any]]:
    return {j["request_id"]: j for j in read_jobs(db)}


def wait_states(db: Path, ids: list[int], states: set[str], timeout: float) -> dict[int, dict[str, Any]]:
    def done() -> dict[int, dict[str, Any]] | None:
        jobs = jobs_by_id(db) if db.is_file() else {}
        return jobs if all(jobs.get(i, {}).get("state") in states for i in ids) else None

    return wait_for(done, timeout, f"requests {ids} to reach {sorted(states)} in {db}")


def fulfil_calls(env: NodeEnv, since_block: int = 0) -> list[dict[str, Any]]:
    """Every fulfil transaction mined since ``since_block`` (reverted ones too), read from the blocks."""
    keys = ("from", "status", "hash", "nonce", "block")
    return [{"request_id": int(c["args"]["requestId"]), **{k: c[k] for k in keys}}
            for c in dprompt_calls(env, since_block, FULFIL)]


def fulfil_txs(env: NodeEnv, since_block: int = 0) -> list[dict[str, Any]]:
    """Every ``fulfil`` and ``fulfilBatch`` transaction mined since ``since_block``, with its request ids."""
    return [{"fn": c["fn"], "request_ids": [int(r) for r in c["args"]["requestIds"]] if c["fn"] == "fulfilBatch"
             else [int(c["args"]["requestId"])], **{k: c[k] for k in ("status", "gas", "hash", "nonce", "block")}}
            for c in dprompt_calls(env, since_block, FULFIL, "fulfilBatch")]


def skipped_events(env: NodeEnv, since_block: int = 0) -> dict[int, bytes]:
    """``DPromptFulfilSkipped``: request id -> reason selector."""
    event = env.client().contract.events.DPromptFulfilSkipped()
    logs = env.w3.eth.get_logs({"address": env.dep.dprompt.address, "fromBlock": since_block, "toBlock": "latest",
                                "topics": [event.topic]})
    return {int(e.args.requestId): bytes(e.args.reason) for e in (event.process_log(raw) for raw in logs)}


def fulfilled_events(env: NodeEnv, since_block: int = 0) -> Counter[int]:
    event = env.client().contract.events.DPromptFulfilled()
    logs = env.w3.eth.get_logs({"address": env.dep.dprompt.address, "fromBlock": since_block, "toBlock": "latest",
                                "topics": [event.topic]})
    return Counter(int(event.process_log(raw).args.requestId) for raw in logs)


def metrics_text(node: ProviderNode) -> str:
    assert node.metrics_url
    with urllib.request.urlopen(node.metrics_url + "/metrics", timeout=5) as resp:
        return resp.read().decode()


def metric(text: str, name: str) -> float:
    total = 0.0
    found = False
    for line in text.splitlines():
        if line.startswith(name + " ") or line.startswith(name + "{"):
            total += float(line.rsplit(" ", 1)[1])
            found = True
    assert found, f"metric {name} not in /metrics"
    return total


# ---------------------------------------------------------------- node processes


def node_command(*args: str) -> list[str]:
    return [sys.executable, "-c", "from zkrevox.cli import main; main()", "node", *args]


@contextlib.contextmanager
def node_process(env: NodeEnv, db: Path, dev_account: int, log_path: Path, *extra: str) -> Iterator[subprocess.Popen]:
    """``zkrevox node`` as a real process (JSON logs to ``log_path``); killed on exit if still running."""
    with cli_process(env, dev_account, log_path, "node", "--db", str(db), "--stake", "1", *extra) as proc:
        yield proc


@contextlib.contextmanager
def cli_process(env: NodeEnv, dev_account: int, log_path: Path, command: str,
                *args: str) -> Iterator[subprocess.Popen]:
    """``zkrevox COMMAND --rpc … ARGS`` (node, watch) as a real process with dev account ``dev_account``'s
    key, fast polls and JSON logs to ``log_path``; killed on exit if still running."""
    variables = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(env.deployments_dir),
                 "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[dev_account]}
    cmd = [sys.executable, "-c", "from zkrevox.cli import main; main()", command, "--rpc", env.rpc,
           "--poll-interval", "0.1", "--rpc-timeout", "2", "--log-format", "json", *args]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL, env=variables)
    try:
        yield proc
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait(timeout=30)


def log_has(log_path: Path, text: str) -> bool:
    return log_path.is_file() and text in log_path.read_text(errors="replace")


def open_store(db: Path) -> SqliteJobStore:
    scope = read_jobs(db)[0]["scope"]
    return SqliteJobStore(db, scope)


# ---------------------------------------------------------------- optimistic answers and the watcher


def expected(prompt: str) -> int:
    """The answer bitmap of ``prompt`` by the local ticker build (what an honest provider posts)."""
    from zkrevox import Prover
    from zkrevox.node.optimistic import answer_bitmap

    return answer_bitmap(Prover.load("ticker").predict(prompt).outputs)


def posted(env: NodeEnv, prompt: str, bitmap: int) -> int:
    """An optimistic request assigned to the staked ``env.provider``, answered by it with ``bitmap``."""
    rid, _ = env.client(env.user).request(env.model_id, prompt, optimistic=True)
    assert env.client().request_info(rid).provider == env.provider.address
    env.client(env.provider).post_answer(rid, bitmap)
    return rid


def in_pool(env: NodeEnv, tx_hash: str) -> bool:
    """Whether ``tx_hash`` waits in the RPC node's pool (known, not mined)."""
    from web3.exceptions import TransactionNotFound

    try:
        tx = env.w3.eth.get_transaction(tx_hash)
    except TransactionNotFound:
        return False
    return tx["blockNumber"] is None


def dprompt_calls(env: NodeEnv, since_block: int, *names: str) -> list[dict[str, Any]]:
    """Every DPrompt transaction calling one of ``names`` mined since ``since_block`` (reverted ones
    too), read from the blocks: function, arguments, sender, status, gas, hash, nonce, block."""
    contract = env.client().contract
    out = []
    for n in range(since_block, env.w3.eth.block_number + 1):
        for tx in env.w3.eth.get_block(n, full_transactions=True)["transactions"]:
            if tx["to"] is None or tx["to"].lower() != env.dep.dprompt.address.lower():
                continue
            fn, args = contract.decode_function_input(tx["input"])
            if fn.fn_name not in names:
                continue
            receipt = env.w3.eth.get_transaction_receipt(tx["hash"])
            out.append({"fn": fn.fn_name, "args": args, "from": tx["from"], "status": receipt["status"],
                        "gas": receipt["gasUsed"], "hash": "0x" + bytes(tx["hash"]).hex(), "nonce": tx["nonce"],
                        "block": n})
    return out


@contextlib.contextmanager
def watch_thread(cfg: NodeConfig, account: LocalAccount, *, up_timeout: float = 60.0,
                 **kwargs: Any) -> Iterator[Any]:
    """A ``Watcher`` running in a thread; stopped (and joined) on exit."""
    from zkrevox.node.watch import Watcher

    watcher = Watcher(cfg, account, **kwargs)
    with in_thread(watcher, lambda: watcher.status == "ok", "watcher", up_timeout):
        yield watcher
