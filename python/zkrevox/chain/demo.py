"""The on-chain half of ``make demo``: a real anvil, real contracts, a real provider node.

Owner (and the models' publisher), provider and user are anvil's dev accounts 0, 1 and 2 (public
test keys, local chain only). Deploy a local stake token (ZKRS), the ticker verifier, the batch
verifiers built locally, DPrompt (stake in ZKRS, fees in ETH); publish the intent agent on the same
DPrompt; deploy the TickerConsumer agent and the CommandAgent (both agents composed on-chain); start
one ``zkrevox node --model ticker --model intent`` as the provider (it stakes ZKRS for both, declares
its capacity and follows the chain); ask through TickerConsumer, which gets its proven answer by
callback; ask CommandAgent a few user prompts and print each with its proven intents and tickers,
the ``Command`` event rendered ``SWAP BNB→CAKE``-style and the composed flow's gas from the receipts
(ask + both fulfilments with their callbacks); send
several prompts as the user, including one with no ticker, one with a typo and one that is not
UTF-8 text; print each answer once the contract has verified its proof, with its end-to-end
latency and gas; then a burst of requests that the node answers with batch proofs, with the
average gas per request read from the receipts; then stake-to-AI (``rex_demo``): a stake of REX, a
day passing, the points, a request paid in points answered by the node, an early unstake with its
deduction split (burned, pooled) and a long-term staker's reward; then the optimistic mode: a watcher (``zkrevox
watch``) starts, optimistic requests are answered by the node at once (blocks after the request
and gas from the receipts) and finalized after the challenge window, and a wrong answer posted with
``zkrevox fulfil --optimistic --claim`` is overturned by the watcher before the window ends; then
stop the node (SIGTERM) and anvil.
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
from typing import Any

from eth_account import Account
from eth_typing import HexStr
from web3 import Web3
from web3.logs import DISCARD

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient, bitmap_indices
from zkrevox.chain.command import CommandAgentClient
from zkrevox.chain.deploy import current_verifier, deploy, deploy_contract, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import PRESETS, connect
from zkrevox.chain.publish import publish
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
# asked through CommandAgent: both agents answer each, composed on-chain
COMMANDS = (
    "swap 2 bnb for cake",
    "bridge 50 usdc to arbitrum",
    "check my eth balance and swap half to usdc",
)
BURST = 32
STAKE_TOKEN_SUPPLY = 1_000_000 * 10**18
NODE_UP_TIMEOUT_S = 120
ANSWER_TIMEOUT_S = 120
LOGS_SETTLE_S = 10.0


def node_command() -> list[str]:
    script = Path(sys.executable).with_name("zkrevox")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from zkrevox.cli import main; main()"]


def run(prompts: tuple[str | bytes, ...] | list[str | bytes], say: Callable[[str], None], *, burst: int = 0,
        commands: tuple[str, ...] | list[str] = COMMANDS) -> dict:
    from zkrevox.featurize import prompt_text
    from zkrevox.node.bootstrap import local_batch_sizes

    # the bond rule at the local preset's declared gas price (1 ZKRS valued at 1 ETH): the disputer's net shows
    params = model_params("ticker", declared_gas_price_wei=int(PRESETS["local"].gas_price_gwei * 10**9))
    owner, provider_acct, user_acct = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:3])
    with tempfile.TemporaryDirectory(prefix="zkrevox-demo-") as work_s, Anvil() as chain:
        work = Path(work_s)
        say(f"anvil on {chain.url} (chain id 31337)")
        w3 = connect(chain.url)
        compiled = project_contracts()
        token = deploy_contract(w3, owner, compiled["LocalStakeToken"], STAKE_TOKEN_SUPPLY).address
        erc20 = w3.eth.contract(address=Web3.to_checksum_address(token), abi=compiled["LocalStakeToken"].abi)
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
        intent_params = model_params("intent")
        intent_sizes = local_batch_sizes("intent")
        intent = publish(w3, owner, dep, intent_params, verifier_sol=current_verifier(intent_params),
                         batch_sizes=intent_sizes, directory=work)
        say(f"published the intent agent on the same DPrompt: model id {intent.model_id}, verifier "
            f"{intent.verifier.address} ({intent.verifier_size} bytes), labels {', '.join(intent_params.labels)}; "
            f"batch verifiers for {', '.join(map(str, intent_sizes)) or 'no'} requests per proof")
        consumer_record = deploy_contract(w3, owner, compiled["TickerConsumer"], dep.dprompt.address,
                                          record.model_id)
        consumer = w3.eth.contract(address=Web3.to_checksum_address(consumer_record.address),
                                   abi=compiled["TickerConsumer"].abi)
        say(f"on-chain agent TickerConsumer at {consumer.address} (asks DPrompt, gets the answer by callback)")
        agent_record = deploy_contract(w3, owner, compiled["CommandAgent"], dep.dprompt.address, intent.model_id,
                                       record.model_id)
        agent = CommandAgentClient(w3, agent_record.address, intent_labels=intent_params.labels,
                                   ticker_labels=params.labels)
        say(f"on-chain agent CommandAgent at {agent.address}: one ask requests the intent and the ticker answers, "
            f"emits Command(askId, intents, tickers) once both are in")
        log_path = work / "node.log"
        node = _start_node(chain.url, work, log_path)
        try:
            _wait_up(node, log_path)
            user = DPromptClient(w3, dep.dprompt.address, user_acct)
            position = user.provider(record.model_id, provider_acct.address)
            say(f"node up (pid {node.pid}): one node serves both models (zkrevox node --model ticker --model "
                f"intent, one job store): provider {provider_acct.address} staked {position.stake / 10**18:g} ZKRS "
                f"for each, declared capacity {position.capacity} pending requests, a prover worker per model")
            results_cb = _ask_consumer(w3, user, consumer, user_acct, PROMPTS[0], params, say)
            composed = [_ask_command(agent, user, user_acct, prompt, dep.dprompt.block, say) for prompt in commands]
            if composed:
                gas = [c["gas"]["total"] for c in composed]
                say(f"composed flow gas (ask + intent fulfil + ticker fulfil, callbacks included, from the receipts): "
                    f"{min(gas):,} to {max(gas):,} per command, {sum(gas) // len(gas):,} on average")
            results = _ask(user, record.model_id, list(prompts), params, dep.dprompt.block, say, prompt_text,
                           intent=(intent.model_id, intent_params))
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
            from zkrevox.chain import rex_demo

            rex = rex_demo.run(w3, dep, "ticker", say)  # stake-to-AI: points pay for a request
            optimistic = _optimistic(chain.url, work, user, record.model_id, params, list(prompts), node, say)
        finally:
            code = _stop_node(node)
        say(f"node stopped (SIGTERM, exit {code}); anvil stopped")
        return {"requests": results, "node_exit": code, "callback": results_cb, "optimistic": optimistic,
                "commands": composed, "rex": rex}


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


def _ask_command(agent: CommandAgentClient, user: DPromptClient, user_acct, prompt: str, from_block: int,
                 say: Callable[[str], None]) -> dict:
    """The user asks CommandAgent; the node proves both answers; the agent emits Command. Gas from the receipts:
    the ask, and each request's fulfilment (its share, if a batch proof carried it)."""
    from zkrevox.agents.ticker.tickers import ALIASES

    t0 = time.monotonic()
    ask_id, receipt = agent.ask(user_acct, prompt)
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while not all((state := agent.ask_state(ask_id))[k] for k in ("intents_in", "tickers_in")):
        if time.monotonic() > deadline:
            raise ChainError(f"CommandAgent got no command for ask {ask_id} within {ANSWER_TIMEOUT_S}s ({state})")
        time.sleep(0.05)
    seconds = time.monotonic() - t0
    gas = {"ask": int(receipt["gasUsed"])}
    command = None
    for side, rid in (("intent", ask_id), ("ticker", ask_id + 1)):
        tx = user.fulfil_tx(rid, from_block=from_block)
        fulfil = user.w3.eth.get_transaction_receipt(HexStr(tx)) if tx else None
        if fulfil is None:
            raise ChainError(f"no fulfilment found for request {rid}")
        members = len(user.contract.events.DPromptFulfilled().process_receipt(fulfil, errors=DISCARD))
        gas[f"{side}_fulfil"] = int(fulfil["gasUsed"]) // max(1, members)
        found = agent.commands(receipt=fulfil)
        command = next((c for c in found if c.ask_id == ask_id), command)
    gas["total"] = sum(gas.values())
    if command is None:
        raise ChainError(f"no Command event of ask {ask_id} in its fulfilments")
    line = command.render(prompt, ALIASES)
    say(f"CommandAgent.ask(\"{prompt}\") -> ask {ask_id}: proven intents {{{', '.join(command.intents)}}}, tickers "
        f"{{{', '.join(command.tickers)}}} -> Command {line}  ({seconds:.1f}s; gas ask {gas['ask']:,} + intent "
        f"fulfil {gas['intent_fulfil']:,} + ticker fulfil {gas['ticker_fulfil']:,} = {gas['total']:,})")
    return {"ask_id": ask_id, "prompt": prompt, "intents": list(command.intents), "tickers": list(command.tickers),
            "line": line, "gas": gas, "seconds": seconds}


def _start_node(rpc: str, work: Path, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(work), "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[1]}
    cmd = [*node_command(), "node", "--model", "ticker", "--model", "intent", "--rpc", rpc, "--db",
           str(work / "node.db"), "--stake", "1",
           "--poll-interval", "0.25", "--log-format", "json"]
    with open(log_path, "ab") as log:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL, env=env)


def _wait_up(node: subprocess.Popen[bytes], log_path: Path, up: str = "up") -> None:
    """Wait for the process's ``up`` event (a watcher's ``warm``: its provers past their first proof)."""
    deadline = time.monotonic() + NODE_UP_TIMEOUT_S
    while time.monotonic() < deadline:
        if node.poll() is not None:
            raise ChainError(f"the node exited ({node.returncode}):\n{log_path.read_text()[-2000:]}")
        if f'"event": "{up}"' in log_path.read_text(errors="replace"):
            return
        time.sleep(0.1)
    raise ChainError(f"the node did not come up in {NODE_UP_TIMEOUT_S}s:\n{log_path.read_text()[-2000:]}")


def _ask(user: DPromptClient, model_id: int, prompts: list, params, from_block: int,
         say: Callable[[str], None] | None, show: Callable[[bytes], str], *,
         intent: tuple[int, Any] | None = None) -> list[dict]:
    """Send every prompt at once (each mined in its own block), then wait for each proven answer.
    ``intent``: (model id, params) of the intent agent, also asked about every prompt (after the ticker
    requests; its proven intents are shown beside the tickers)."""
    sent = []
    for prompt in prompts:
        request_id, receipt = user.request(model_id, prompt)
        sent.append((request_id, prompt, time.monotonic(), int(receipt["gasUsed"])))
    asked = [(user.request(intent[0], prompt)[0], time.monotonic()) for prompt in prompts] if intent else []
    if say is not None:
        also = f" and {len(asked)} to the intent agent" if asked else ""
        say(f"user sent {len(sent)} requests to the ticker agent (request gas {sent[0][3]:,}){also}; waiting for "
            "proven answers")
    results = [_await_answer(user, rid, prompt if isinstance(prompt, str) else show(prompt), t0, params.labels,
                             params.num_outputs, from_block) for rid, prompt, t0, _ in sent]
    for r, (rid, t0) in zip(results, asked, strict=False):
        assert intent is not None
        answer = _await_answer(user, rid, r["prompt"], t0, intent[1].labels, intent[1].num_outputs, from_block)
        r["intents"], r["intent_request_id"] = answer["tickers"], rid
    members: dict[str, int] = {}
    for r in results:
        members[r["fulfil_tx"]] = members.get(r["fulfil_tx"], 0) + 1
    for r in results:
        r["batch_size"] = n = members[r["fulfil_tx"]]
        if say is not None:
            how = ("its fulfilment transaction was not found" if r["fulfil_gas"] is None else
                   f"fulfil gas {r['fulfil_gas']:,}" if n == 1 else
                   f"one fulfilBatch of {n}, gas {r['fulfil_gas']:,} ({r['fulfil_gas'] // n:,} per request)")
            shown = ", ".join(r["tickers"]) if r["tickers"] else "no ticker"
            if "intents" in r:
                shown = (f"intents {{{', '.join(r['intents'])}}} (request {r['intent_request_id']}), tickers "
                         f"{{{shown}}}")
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
        f"{'+'.join(map(str, sizes))}; average gas per request {total_gas / len(answered):,.0f}"
        f"{_single_fulfil_note()}; end-to-end p50 {e2e[len(e2e) // 2]:.1f}s, p95 {p95:.1f}s")


def _single_fulfil_note() -> str:
    """What one fulfil alone costs, read from the committed gas snapshot (never a figure typed here)."""
    from zkrevox.chain.paths import contracts_dir

    try:
        snapshot = json.loads((contracts_dir() / "snapshots" / "gas.json").read_text())
        return f" (a single fulfil is {snapshot['fulfil ticker N=1, per request: total'] / 1000:,.0f}k in the gas " \
               "snapshot)"
    except (OSError, ValueError, KeyError, TypeError):
        return ""


def _await_answer(user: DPromptClient, rid: int, prompt: str, t0: float, labels: tuple[str, ...], n: int,
                  from_block: int) -> dict:
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while (info := user.request_info(rid)).status == "pending":
        if time.monotonic() > deadline:
            raise ChainError(f"request {rid} was not answered within {ANSWER_TIMEOUT_S}s")
        time.sleep(0.05)
    e2e = time.monotonic() - t0
    tx = user.fulfil_tx(rid, from_block=from_block)
    # anvil may answer a call with a new block's state a moment before eth_getLogs serves its logs
    # (seen once in a demo run: a fulfilled request whose fulfilment was not found yet)
    settle = time.monotonic() + LOGS_SETTLE_S
    while tx is None and info.status == "fulfilled" and time.monotonic() < settle:
        time.sleep(0.1)
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


# ---------------------------------------------------------------- optimistic answers (issue 12)

WATCHER_ACCOUNT = 3  # anvil dev account of the watcher (needs no stake, only gas)
OPTIMISTIC_BLOCK_TIME_S = 1  # anvil mines a block every second for this part, as a real chain would
WRONG_CLAIM = ("BNB", "PEPE")
WRONG_PROMPT = "sell half my dogecoin for tether"


def _optimistic(rpc: str, work: Path, user: DPromptClient, model_id: int, params, prompts: list,
                node: subprocess.Popen[bytes], say: Callable[[str], None]) -> dict:
    """Optimistic requests answered by the node at once (no proof) and finalized after the challenge
    window; then, the node stopped, its provider key posts a wrong answer, and a watcher proves and
    disputes it before the window ends. Returns the measured figures."""
    from zkrevox.featurize import prompt_text

    w3, model = user.w3, user.model(model_id)
    log_path = work / "watch.log"
    watcher = _start_watcher(rpc, work, log_path)
    try:
        _wait_up(watcher, log_path, "warm")  # its provers busy with their first proofs would slow the node
        watcher_acct = Account.from_key(ANVIL_DEV_KEYS[WATCHER_ACCOUNT])
        say(f"optimistic mode: fee {model.optimistic_fee:,} wei (proven: {model.fee:,}), answer bond "
            f"{model.answer_bond / 10**18:g} ZKRS of the provider's stake, challenge window {model.challenge_window}s; "
            f"watcher {watcher_acct.address} (zkrevox watch, pid {watcher.pid}) checks every answer")
        answered = _ask_optimistic(user, model_id, prompts, params, say, prompt_text)
        _rpc(w3, "evm_increaseTime", [model.challenge_window + 1])
        _rpc(w3, "evm_mine", [])
        final = _await_final(user, [a["request_id"] for a in answered])
        say(f"challenge window over (anvil clock moved {model.challenge_window + 1}s): the node finalized "
            f"{len(final['ids'])} answers in {final['txs']} finalize transaction(s), {final['gas']:,} gas "
            f"({final['gas'] // len(final['ids']):,} per request); status fulfilled, provider paid")
        code = _stop_node(node)
        say(f"node stopped (exit {code}); now its provider key answers by hand, wrongly")
        dispute = _wrong_claim(user, model_id, params, watcher_acct.address, work, say)
    finally:
        _stop_node(watcher)
    return {"answered": answered, "finalize": final, "dispute": dispute}


def _rpc(w3, method: str, params: list) -> None:
    response = w3.provider.make_request(method, params)
    if "error" in response:
        raise ChainError(f"{method}: {response['error']}")


def _start_watcher(rpc: str, work: Path, log_path: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(work), "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[WATCHER_ACCOUNT]}
    cmd = [*node_command(), "watch", "--rpc", rpc, "--db", str(work / "watch.db"), "--poll-interval", "0.25",
           "--log-format", "json"]
    with open(log_path, "ab") as log:
        return subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL, env=env)


def _ask_optimistic(user: DPromptClient, model_id: int, prompts: list, params, say: Callable[[str], None],
                    show: Callable[[bytes], str]) -> list[dict]:
    """Send every prompt at once as an optimistic request while anvil mines a block a second; wait for
    each answer; measure blocks from the request's block to the answer's, and the answer's gas."""
    w3 = user.w3
    fee = user.model(model_id).optimistic_fee
    _rpc(w3, "evm_setIntervalMining", [OPTIMISTIC_BLOCK_TIME_S])
    try:
        sent = []
        for prompt in prompts:
            data = prompt.encode() if isinstance(prompt, str) else bytes(prompt)
            assert user.account is not None, "the user's client signs"
            fn: Any = user.contract.functions.requestOptimistic(model_id, data, 0)
            tx = fn.transact({"from": user.account.address, "value": fee})
            sent.append((tx, prompt, time.monotonic()))
        out: list[dict[str, Any]] = []
        for tx, prompt, t0 in sent:
            receipt = w3.eth.wait_for_transaction_receipt(tx, timeout=ANSWER_TIMEOUT_S)
            (ev,) = user.contract.events.DPromptRequested().process_receipt(receipt, errors=DISCARD)
            rid = int(ev.args.requestId)
            deadline = time.monotonic() + ANSWER_TIMEOUT_S
            while (info := user.request_info(rid)).status == "pending":
                if time.monotonic() > deadline:
                    raise ChainError(f"optimistic request {rid} was not answered within {ANSWER_TIMEOUT_S}s")
                time.sleep(0.05)
            tx_answer = user.answer_tx(rid, from_block=int(receipt["blockNumber"]))
            answer_receipt = w3.eth.get_transaction_receipt(HexStr(tx_answer)) if tx_answer else None
            out.append({"request_id": rid, "prompt": prompt if isinstance(prompt, str) else show(prompt),
                        "status": info.status, "tickers": [params.labels[i] for i in
                                                           bitmap_indices(info.answer, params.num_outputs)],
                        "request_block": int(receipt["blockNumber"]),
                        "answer_block": int(answer_receipt["blockNumber"]) if answer_receipt else None,
                        "answer_gas": int(answer_receipt["gasUsed"]) if answer_receipt else None,
                        "seconds": time.monotonic() - t0})
    finally:
        _rpc(w3, "evm_setIntervalMining", [0])
        _rpc(w3, "evm_setAutomine", [True])
    for r in out:
        blocks = r["answer_block"] - r["request_block"]
        say(f"request {r['request_id']} (optimistic): \"{r['prompt']}\" -> {', '.join(r['tickers']) or 'no ticker'}"
            f"  [answered by prediction, no proof] {blocks} block(s) after the request, answer gas "
            f"{r['answer_gas']:,}")
    worst = max(r["answer_block"] - r["request_block"] for r in out)
    say(f"{len(out)} optimistic requests sent at once in {OPTIMISTIC_BLOCK_TIME_S}s blocks: every answer mined "
        f"within {worst} block(s) of its request, answer gas {max(r['answer_gas'] for r in out):,} at most")
    return out


def _await_final(user: DPromptClient, ids: list[int]) -> dict:
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while any(user.request_info(r).status != "fulfilled" for r in ids):
        if time.monotonic() > deadline:
            raise ChainError(f"the node did not finalize requests {ids} within {ANSWER_TIMEOUT_S}s")
        time.sleep(0.1)
    txs = {user.fulfil_tx(r) for r in ids}
    gas = sum(int(user.w3.eth.get_transaction_receipt(HexStr(t))["gasUsed"]) for t in txs if t)
    return {"ids": ids, "txs": len(txs), "gas": gas}


def _wrong_claim(user: DPromptClient, model_id: int, params, watcher: str, work: Path,
                 say: Callable[[str], None]) -> dict:
    """The provider's key posts a wrong answer (`zkrevox fulfil ID --optimistic --claim BNB,PEPE`);
    the watcher proves the right one and disputes before the window ends; the bond goes as documented."""
    w3 = user.w3
    rid, _ = user.request(model_id, WRONG_PROMPT, optimistic=True)
    before = user.token_credits(watcher)  # the bond share is a token credit (pulled with withdrawTokens)
    provider: Any = user.w3.provider  # an HTTPProvider: the demo's anvil
    rpc = provider.endpoint_uri
    claim = ["fulfil", str(rid), "--optimistic", "--claim", ",".join(WRONG_CLAIM), "--skip-local-checks"]
    posted = _cli(work, [*claim, "--rpc", rpc], key=ANVIL_DEV_KEYS[1])
    if posted.returncode != 0:
        raise ChainError(f"zkrevox {' '.join(claim)} failed: {posted.stderr[-500:]}")
    window_end = user.request_info(rid).window_end
    say(f"request {rid} (optimistic): \"{WRONG_PROMPT}\"; the provider posts {{{', '.join(WRONG_CLAIM)}}}, "
        f"which is wrong (zkrevox {' '.join(claim)}); open to dispute until {window_end}")
    deadline = time.monotonic() + ANSWER_TIMEOUT_S
    while (info := user.request_info(rid)).status == "answered":
        if time.monotonic() > deadline:
            raise ChainError(f"the watcher did not dispute request {rid} within {ANSWER_TIMEOUT_S}s")
        time.sleep(0.1)
    tx = user.answer_tx(rid)
    receipt = w3.eth.get_transaction_receipt(HexStr(tx)) if tx else None
    if receipt is None:
        raise ChainError(f"request {rid} is {info.status}, but the transaction that overturned it was not found")
    proven = [params.labels[i] for i in bitmap_indices(info.answer, params.num_outputs)]
    slashed = user.contract.events.DPromptBondSlashed().process_receipt(receipt, errors=DISCARD)
    gained = user.token_credits(watcher) - before
    mined_at = int(w3.eth.get_block(receipt["blockNumber"])["timestamp"])
    say(f"request {rid}: {info.status} by the watcher's dispute (tx {tx}, gas {receipt['gasUsed']:,} with its proof, "
        f"mined at {mined_at}, before the window's end {window_end}); proven answer {{{', '.join(proven)}}}")
    if slashed:
        s = slashed[0].args
        say(f"bond {s.bond / 10**18:g} ZKRS slashed from the provider: {s.toDisputer / 10**18:g} to the watcher "
            f"(its ZKRS credit +{gained / 10**18:g}, `withdrawTokens`), {s.toRequester / 10**18:g} to the requester, "
            "who also gets its fee back")
    net = None
    if receipt and params.declared_gas_price_wei:  # the bond rule: 1 ZKRS valued at 1 ETH (the local declaration)
        net = gained * params.stake_price_wei // 10**18 - int(receipt["gasUsed"]) * params.declared_gas_price_wei
        say(f"the watcher's net at the declared gas price {params.declared_gas_price_wei / 1e9:g} gwei: "
            f"{gained / 10**18:g} ZKRS (1 ZKRS = 1 ETH declared) less {receipt['gasUsed']:,} gas = "
            f"{net / 10**18:+.6f} ETH; at {receipt['effectiveGasPrice'] / 1e9:g} gwei (anvil now): "
            f"{(gained - int(receipt['gasUsed']) * int(receipt['effectiveGasPrice'])) / 10**18:+.6f} ETH")
    shown = _cli(work, ["answer", str(rid), "--json", "--rpc", rpc])
    say(f"zkrevox answer {rid} --json: {shown.stdout.strip() or shown.stderr.strip()[-300:]}")
    return {"request_id": rid, "status": info.status, "posted": list(WRONG_CLAIM), "tickers": proven,
            "dispute_gas": int(receipt["gasUsed"]) if receipt else None, "watcher_gain": gained,
            "watcher_net_wei_at_declared_gas_price": net,
            "before_window_end": mined_at is not None and mined_at < window_end,
            "answer_cli": json.loads(shown.stdout) if shown.returncode == 0 else None}


def _cli(work: Path, args: list[str], *, key: str | None = None) -> subprocess.CompletedProcess[str]:
    """``zkrevox ARGS`` on the demo's deployment record (with ``key`` as $ZKREVOX_PRIVATE_KEY if given)."""
    env = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(work)}
    if key is not None:
        env["ZKREVOX_PRIVATE_KEY"] = key
    return subprocess.run([*node_command(), *args], capture_output=True, text=True, env=env, timeout=120)


if __name__ == "__main__":
    print(json.dumps(run(PROMPTS, lambda m: print(m, flush=True)), indent=1))
