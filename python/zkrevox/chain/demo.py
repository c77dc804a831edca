"""The on-chain half of ``make demo``: a real anvil, real contracts, a real provider node.

Owner (and the model's publisher), provider and user are anvil's dev accounts 0, 1 and 2 (public
test keys, local chain only). Deploy a local stake token (ZKRS), the ticker verifier, the batch
verifiers built locally, DPrompt (stake in ZKRS, fees in ETH) and the TickerConsumer agent; start
``zkrevox node`` as the provider (it stakes ZKRS, declares its capacity and follows the chain); ask
through the agent, which gets its proven answer by callback; send
several prompts as the user, including one with no ticker, one with a typo and one that is not
UTF-8 text; print each answer once the contract has verified its proof, with its end-to-end
latency and gas; then a burst of requests that the node answers with batch proofs, with the
average gas per request read from the receipts; then stop the node (SIGTERM) and anvil.
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
from web3.logs import DISCARD

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient, bitmap_indices
from zkrevox.chain.deploy import current_verifier, deploy, deploy_contract, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.chain.solc import project_contracts
from zkrevox.errors import ChainError

PROMPTS = (
    "swap 2 bnb for cake",
    "sell half my dogecoin for tether",
    "what a lovely morning for a walk",  # no ticker
    "swap 2 etherium for usdc",  # a typo
    "is it a good time to stake some matic",
    b"swap 2 \xff\xfe for cake",  # not UTF-8: DPrompt takes any bytes, so the node proves any bytes
)
BURST = 32
STAKE_TOKEN_SUPPLY = 1_000_000 * 10**18
NODE_UP_TIMEOUT_S = 120
ANSWER_TIMEOUT_S = 120


def node_command() -> list[str]:
    script = Path(sys.executable).with_name("zkrevox")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from zkrevox.cli import main; main()"]


def run(prompts: tuple[str | bytes, ...] | list[str | bytes], say: Callable[[str], None], *, burst: int = 0) -> dict:
    from zkrevox.featurize import prompt_text
    from zkrevox.node.bootstrap import local_batch_sizes

    params = model_params("ticker")
    owner, provider_acct, user_acct = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:3])
    with tempfile.TemporaryDirectory(prefix="zkrevox-demo-") as work_s, Anvil() as chain:
        work = Path(work_s)
        say(f"anvil on {chain.url} (chain id 31337)")
        w3 = connect(chain.url)
        compiled = project_contracts()
        token = deploy_contract(w3, owner, compiled["LocalStakeToken"], STAKE_TOKEN_SUPPLY).address
        erc20 = w3.eth.contract(address=token, abi=compiled["LocalStakeToken"].abi)
        _transact(w3, owner, erc20.functions.transfer(provider_acct.address, 10 * 10**18))
        say(f"stake token ZKRS (LocalStakeToken) at {token}; 10 ZKRS to the provider")
        sizes = local_batch_sizes("ticker")
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=work, batch_sizes=sizes,
                     stake_token=token)
        record = dep.models["ticker"]
        say(f"deployed DPrompt {dep.dprompt.address} (stake in ZKRS, fees in ETH), verifier {record.verifier.address} "
            f"({record.verifier_size} bytes), model id {record.model_id} published by {owner.address} with a "
            f"{params.developer_share_bps / 100:g} % developer share; batch verifiers for "
            f"{', '.join(map(str, sizes)) or 'no'} requests per proof")
        consumer_record = deploy_contract(w3, owner, compiled["TickerConsumer"], dep.dprompt.address,
                                          record.model_id)
        consumer = w3.eth.contract(address=consumer_record.address, abi=compiled["TickerConsumer"].abi)
        say(f"on-chain agent TickerConsumer at {consumer.address} (asks DPrompt, gets the answer by callback)")
        log_path = work / "node.log"
        node = _start_node(chain.url, work, log_path)
        try:
            _wait_up(node, log_path)
            user = DPromptClient(w3, dep.dprompt.address, user_acct)
            position = user.provider(record.model_id, provider_acct.address)
            say(f"node up (pid {node.pid}): provider {provider_acct.address} staked {position.stake / 10**18:g} ZKRS, "
                f"declared capacity {position.capacity} pending requests, proving in a worker process")
            results_cb = _ask_consumer(w3, user, consumer, user_acct, PROMPTS[0], params, say)
            results = _ask(user, record.model_id, list(prompts), params, dep.dprompt.block, say, prompt_text)
            span = max(r["e2e_seconds"] for r in results)
            say(f"{len(results)} proven answers in {span:.1f}s with one prover worker "
                f"({60 * len(results) / span:.0f} per minute; later requests queue behind earlier ones)")
            if burst:
                say(f"burst: the user sends {burst} requests at once; the node answers them with batch proofs")
                burst_prompts = [prompts[i % len(prompts)] for i in range(burst)]
                answered = _ask(user, record.model_id, burst_prompts, params, dep.dprompt.block, None, prompt_text)
                _summarize(answered, say)
                results += answered
            earned = user.provider(record.model_id, provider_acct.address).earned
            share = user.developer_earnings(record.model_id)
            say(f"paid: provider {earned / 10**18:.6f} ETH in fees, publisher {share / 10**18:.6f} ETH developer "
                f"share, withdrawable (zkrevox withdraw)")
        finally:
            code = _stop_node(node)
        say(f"node stopped (SIGTERM, exit {code}); anvil stopped")
        return {"requests": results, "node_exit": code, "callback": results_cb}


def _transact(w3, account, fn, value: int = 0) -> dict:
    tx = fn.build_transaction({"from": account.address, "value": value,
                               "nonce": w3.eth.get_transaction_count(account.address)})
    raw = account.sign_transaction(tx).raw_transaction
    receipt = w3.eth.wait_for_transaction_receipt(w3.eth.send_raw_transaction(raw))
    if receipt["status"] != 1:
        raise ChainError(f"{fn.fn_name} reverted (tx 0x{bytes(receipt['transactionHash']).hex()})")
    return receipt


def _ask_consumer(w3, user: DPromptClient, consumer, user_acct, prompt: str, params, say) -> dict:
    """The user asks through the on-chain agent; the node answers; DPrompt calls the agent back."""
    gas = consumer.functions.CALLBACK_GAS().call()
    pay = user.required_payment(consumer.functions.modelId().call(), gas, w3.eth.gas_price)
    t0 = time.monotonic()
    receipt = _transact(w3, user_acct, consumer.functions.ask(prompt.encode()), value=pay)
    (event,) = consumer.events.TickerAsked().process_receipt(receipt, errors=DISCARD)
    rid = int(event.args.requestId)
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while not consumer.functions.answered(rid).call():
        if time.monotonic() > deadline:
            raise ChainError(f"TickerConsumer got no answer for request {rid} within {ANSWER_TIMEOUT_S}s")
        time.sleep(0.05)
    bitmap = consumer.functions.answers(rid).call()
    tickers = [params.labels[i] for i in bitmap_indices(bitmap, params.num_outputs)]
    outcome = user.callback_outcome(rid) or {}
    say(f"TickerConsumer.ask(\"{prompt}\") -> request {rid}; DPrompt called the agent back with "
        f"{{{', '.join(tickers)}}} after the proof verified ({time.monotonic() - t0:.1f}s, paid {pay:,} wei for "
        f"the answer and its {gas:,}-gas callback, callback success: {outcome.get('success')})")
    return {"request_id": rid, "tickers": tickers, "callback": outcome, "paid_wei": pay}


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


def _ask(user: DPromptClient, model_id: int, prompts: list, params, from_block: int,
         say: Callable[[str], None] | None, show: Callable[[bytes], str]) -> list[dict]:
    """Send every prompt at once (each mined in its own block), then wait for each proven answer."""
    sent = []
    for prompt in prompts:
        request_id, receipt = user.request(model_id, prompt)
        sent.append((request_id, prompt, time.monotonic(), int(receipt["gasUsed"])))
    if say is not None:
        say(f"user sent {len(sent)} requests (request gas {sent[0][3]:,}); waiting for proven answers")
    results = [_await_answer(user, rid, prompt if isinstance(prompt, str) else show(prompt), t0, params.labels,
                             params.num_outputs, from_block) for rid, prompt, t0, _ in sent]
    members: dict[str, int] = {}
    for r in results:
        members[r["fulfil_tx"]] = members.get(r["fulfil_tx"], 0) + 1
    for r in results:
        r["batch_size"] = n = members[r["fulfil_tx"]]
        if say is not None:
            how = (f"fulfil gas {r['fulfil_gas']:,}" if n == 1 else
                   f"one fulfilBatch of {n}, gas {r['fulfil_gas']:,} ({r['fulfil_gas'] // n:,} per request)")
            shown = ", ".join(r["tickers"]) if r["tickers"] else "no ticker"
            say(f"request {r['request_id']}: \"{r['prompt']}\" -> {shown}  [{r['status']}, proof verified on-chain]  "
                f"end-to-end {r['e2e_seconds']:.1f}s, {how}")
    return results


def _summarize(answered: list[dict], say: Callable[[str], None]) -> None:
    """Gas per request from the receipts (a batch's gas shared by its members), e2e percentiles."""
    by_tx: dict[str, list[dict]] = {}
    for r in answered:
        by_tx.setdefault(r["fulfil_tx"], []).append(r)
    total_gas = sum(members[0]["fulfil_gas"] for members in by_tx.values())
    sizes = sorted((len(m) for m in by_tx.values()), reverse=True)
    e2e = sorted(r["e2e_seconds"] for r in answered)
    p95 = e2e[min(len(e2e) - 1, round(0.95 * (len(e2e) - 1)))]
    say(f"burst answered: {len(answered)} requests in {len(by_tx)} fulfilment transaction(s) of "
        f"{'+'.join(map(str, sizes))}; average gas per request {total_gas / len(answered):,.0f} "
        f"(a single fulfil is ~575k); end-to-end p50 {e2e[len(e2e) // 2]:.1f}s, p95 {p95:.1f}s")


def _await_answer(user: DPromptClient, rid: int, prompt: str, t0: float, labels: tuple[str, ...], n: int,
                  from_block: int) -> dict:
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while (info := user.request_info(rid)).status == "pending":
        if time.monotonic() > deadline:
            raise ChainError(f"request {rid} was not answered within {ANSWER_TIMEOUT_S}s")
        time.sleep(0.05)
    e2e = time.monotonic() - t0
    tx = user.fulfil_tx(rid, from_block=from_block)
    gas = int(user.w3.eth.get_transaction_receipt(HexStr(tx))["gasUsed"]) if tx else None
    tickers = [labels[i] for i in bitmap_indices(info.answer, n)]
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
