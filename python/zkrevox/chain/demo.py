"""The on-chain half of ``make demo``: a real anvil, real contracts, a real provider node.

Owner, provider and user are anvil's dev accounts 0, 1 and 2 (public test keys, local chain
only). Deploy the ticker verifier and DPrompt; start ``zkrevox node`` as the provider (it stakes
and follows the chain); send several prompts as the user, including one with no ticker and one
with a typo; print each answer once the contract has verified its proof, with its end-to-end
latency and gas; then stop the node (SIGTERM) and anvil.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from eth_account import Account
from eth_typing import HexStr

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient, bitmap_indices
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.errors import ChainError

PROMPTS = (
    "swap 2 bnb for cake",
    "sell half my dogecoin for tether",
    "what a lovely morning for a walk",  # no ticker
    "swap 2 etherium for usdc",  # a typo
    "is it a good time to stake some matic",
)
NODE_UP_TIMEOUT_S = 120
ANSWER_TIMEOUT_S = 120


def node_command() -> list[str]:
    script = Path(sys.executable).with_name("zkrevox")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from zkrevox.cli import main; main()"]


def run(prompts: tuple[str, ...] | list[str], say: Callable[[str], None]) -> dict:
    params = model_params("ticker")
    owner, provider_acct, user_acct = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:3])
    with tempfile.TemporaryDirectory(prefix="zkrevox-demo-") as work_s, Anvil() as chain:
        work = Path(work_s)
        say(f"anvil on {chain.url} (chain id 31337)")
        w3 = connect(chain.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=work)
        record = dep.models["ticker"]
        say(f"deployed DPrompt {dep.dprompt.address}, verifier {record.verifier.address} "
            f"({record.verifier_size} bytes), model id {record.model_id}")
        log_path = work / "node.log"
        node = _start_node(chain.url, work, log_path)
        try:
            _wait_up(node, log_path)
            say(f"node up (pid {node.pid}): provider {provider_acct.address} staked 1 ETH, proving in a worker process")
            user = DPromptClient(w3, dep.dprompt.address, user_acct)
            sent = []
            for prompt in prompts:
                request_id, receipt = user.request(record.model_id, prompt)
                sent.append((request_id, prompt, time.monotonic(), int(receipt["gasUsed"])))
            say(f"user sent {len(sent)} requests (request gas {sent[0][3]}); waiting for proven answers")
            results = [_await_answer(user, rid, prompt, t0, params.labels, params.num_outputs, dep.dprompt.block, say)
                       for rid, prompt, t0, _ in sent]
            span = max(r["e2e_seconds"] for r in results)
            say(f"{len(results)} proven answers in {span:.1f}s with one prover worker "
                f"({60 * len(results) / span:.0f} per minute; later requests queue behind earlier ones)")
        finally:
            code = _stop_node(node)
        say(f"node stopped (SIGTERM, exit {code}); anvil stopped")
        return {"requests": results, "node_exit": code}


def _start_node(rpc: str, work: Path, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(work), "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[1]}
    cmd = [*node_command(), "node", "--rpc", rpc, "--db", str(work / "node.db"), "--stake", "1",
           "--poll-interval", "0.25", "--log-format", "json"]
    with open(log_path, "ab") as log:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL, env=env)


def _wait_up(node: subprocess.Popen[bytes], log_path: Path) -> None:
    deadline = time.monotonic() + NODE_UP_TIMEOUT_S
    while time.monotonic() < deadline:
        if node.poll() is not None:
            raise ChainError(f"the node exited ({node.returncode}):\n{log_path.read_text()[-2000:]}")
        if '"event": "up"' in log_path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise ChainError(f"the node did not come up in {NODE_UP_TIMEOUT_S}s:\n{log_path.read_text()[-2000:]}")


def _await_answer(user: DPromptClient, rid: int, prompt: str, t0: float, labels: tuple[str, ...], n: int,
                  from_block: int, say: Callable[[str], None]) -> dict:
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while (info := user.request_info(rid)).status == "pending":
        if time.monotonic() > deadline:
            raise ChainError(f"request {rid} was not answered within {ANSWER_TIMEOUT_S}s")
        time.sleep(0.05)
    e2e = time.monotonic() - t0
    tx = user.fulfil_tx(rid, from_block=from_block)
    gas = int(user.w3.eth.get_transaction_receipt(HexStr(tx))["gasUsed"]) if tx else None
    tickers = [labels[i] for i in bitmap_indices(info.answer, n)]
    shown = ", ".join(tickers) if tickers else "no ticker"
    say(f"request {rid}: {prompt!r} -> {shown}  [{info.status}, proof verified on-chain]  "
        f"end-to-end {e2e:.1f}s, fulfil gas {gas:,}")
    return {"request_id": rid, "prompt": prompt, "status": info.status, "tickers": tickers, "e2e_seconds": e2e,
            "fulfil_gas": gas, "fulfil_tx": tx}


def _stop_node(node: subprocess.Popen[bytes]) -> int:
    if node.poll() is None:
        node.send_signal(signal.SIGTERM)
        try:
            return node.wait(timeout=60)
        except subprocess.TimeoutExpired:
            node.kill()
    return node.wait(timeout=10)


if __name__ == "__main__":
    print(json.dumps(run(PROMPTS, lambda m: print(m, flush=True)), indent=1))
