"""Measure the node's optimistic answers: blocks from request to answer, gas of the answer and of the
batched finalization, all from receipts (not collected by pytest).

    .venv/bin/python tests/node/measure_optimistic.py --requests 16 --block-time 0 1 2

One anvil, one deployment (the ticker model, native stake), one real ``zkrevox node`` process
(``--stake 1``, default options but ``--poll-interval``). For each block time (0: anvil's
automine, a block per transaction), the user sends ``--requests`` optimistic requests at once
(not waiting for receipts), then every answer is awaited; blocks = the answer's block number minus
the request's. Then the anvil clock passes the challenge window and the node's finalize
transaction(s) are read: gas per request.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from eth_account import Account
from eth_typing import HexStr

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS

PROMPTS = ("swap 2 bnb for cake", "sell half my dogecoin for tether", "what a lovely morning for a walk",
           "is it a good time to stake some matic")


def _rpc(w3, method: str, params: list) -> None:
    response = w3.provider.make_request(method, params)
    assert "error" not in response, response


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.05)


def burst(user: DPromptClient, model_id: int, n: int, block_time: int) -> dict:
    w3 = user.w3
    fee = user.model(model_id).optimistic_fee
    if block_time:
        _rpc(w3, "evm_setIntervalMining", [block_time])
    try:
        txs = [user.contract.functions.requestOptimistic(model_id, PROMPTS[i % len(PROMPTS)].encode(), 0).transact(
            {"from": user.account.address, "value": fee}) for i in range(n)]
        rows = []
        for tx in txs:
            receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=120)
            (ev,) = user.contract.events.DPromptRequested().process_receipt(receipt)
            rid = int(ev.args.requestId)
            _wait(lambda rid=rid: user.request_info(rid).status != "pending", 120, f"answer of {rid}")
            answer = w3.eth.get_transaction_receipt(HexStr(user.answer_tx(rid, from_block=receipt["blockNumber"])))
            rows.append({"request_id": rid, "blocks": answer["blockNumber"] - receipt["blockNumber"],
                         "gas": answer["gasUsed"]})
    finally:
        if block_time:
            _rpc(w3, "evm_setIntervalMining", [0])
            _rpc(w3, "evm_setAutomine", [True])
    blocks = [r["blocks"] for r in rows]
    return {"block_time_s": block_time, "requests": n, "blocks_max": max(blocks),
            "blocks_median": statistics.median(blocks), "blocks": blocks,
            "answer_gas_max": max(r["gas"] for r in rows), "answer_gas_min": min(r["gas"] for r in rows),
            "ids": [r["request_id"] for r in rows]}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--requests", type=int, default=16)
    ap.add_argument("--block-time", type=int, nargs="+", default=[0, 1, 2])
    ap.add_argument("--poll-interval", type=float, default=0.25)
    args = ap.parse_args()
    owner, provider, user_acct = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:3])
    params = model_params("ticker")
    with tempfile.TemporaryDirectory(prefix="zkrevox-measure-opt-") as work_s, Anvil() as chain:
        work = Path(work_s)
        from zkrevox.chain.networks import connect

        w3 = connect(chain.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=work)
        model_id = dep.models["ticker"].model_id
        env = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(work), "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[1]}
        cmd = [sys.executable, "-c", "from zkrevox.cli import main; main()", "node", "--rpc", chain.url, "--db",
               str(work / "node.db"), "--stake", "1", "--poll-interval", str(args.poll_interval),
               "--log-format", "json"]
        log = open(work / "node.log", "ab")  # noqa: SIM115
        node = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env)
        try:
            _wait(lambda: b'"event": "up"' in (work / "node.log").read_bytes(), 120, "node up")
            user = DPromptClient(w3, dep.dprompt.address, user_acct)
            out = [burst(user, model_id, args.requests, bt) for bt in args.block_time]
            ids = [i for o in out for i in o["ids"]]
            window = user.model(model_id).challenge_window
            _rpc(w3, "evm_increaseTime", [window + 1])
            _rpc(w3, "evm_mine", [])
            _wait(lambda: all(user.request_info(r).status == "fulfilled" for r in ids), 120, "finalized")
            txs = {user.fulfil_tx(r) for r in ids}
            gas = {t: int(w3.eth.get_transaction_receipt(HexStr(t))["gasUsed"]) for t in txs}
            finalize = {"requests": len(ids), "transactions": len(txs), "gas": sum(gas.values()),
                        "gas_per_request": sum(gas.values()) // len(ids)}
        finally:
            node.send_signal(signal.SIGTERM)
            node.wait(timeout=60)
            log.close()
    for o in out:
        o.pop("ids")
    print(json.dumps({"bursts": out, "finalize": finalize, "provider": provider.address}, indent=1))


if __name__ == "__main__":
    main()
