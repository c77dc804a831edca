"""Measure the watcher against a flood of wrong optimistic answers (issue 19), ticker circuit, real
proofs (not collected by pytest):

    .venv/bin/python tests/node/measure_flood.py --answers 45 --workers 1 2

One anvil, one deployment (the ticker model, native stake, the local preset's declared gas price),
the provider staked with capacity for the flood. For each ``--workers`` setting a fresh set of
``--answers`` optimistic requests is made (the 5 prompts in turn, or ``--distinct`` ones), a
real ``zkrevox watch --workers W`` process (defaults otherwise) is started, and the provider key
posts a wrong answer to every request at once. Reported, from receipts and the watcher's job store:
answers overturned, time from the last answer to the last dispute mined, the latest dispute against
its window end (seconds of slack), prove times and dispute gas; side by side for each worker count.
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

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.node.store import read_jobs

PROMPTS = ("swap 2 bnb for cake", "sell half my dogecoin for tether", "is it a good time to stake some matic",
           "bridge 100 usdc from arbitrum to base", "what is the price of eth today")


def _wait(predicate, timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError(what)
        time.sleep(0.1)


def flood(chain_url: str, work: Path, user: DPromptClient, provider: DPromptClient, model_id: int, n: int,
          workers: int, distinct: bool) -> dict:
    from zkrevox import Prover
    from zkrevox.node.optimistic import answer_bitmap

    prover = Prover.load("ticker")
    prompts = [PROMPTS[i % len(PROMPTS)] + (f" #{i}" if distinct else "") for i in range(n)]
    wrong = {p: answer_bitmap(prover.predict(p).outputs) ^ 1 for p in set(prompts)}
    fee = user.model(model_id).optimistic_fee
    rids = [user.request(model_id, p, optimistic=True, value=fee)[0] for p in prompts]
    db, log_path = work / f"watch-{workers}.db", work / f"watch-{workers}.log"
    env = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(work), "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[4]}
    cmd = [sys.executable, "-c", "from zkrevox.cli import main; main()", "watch", "--rpc", chain_url, "--db", str(db),
           "--workers", str(workers), "--log-format", "json"]
    with open(log_path, "ab") as log:
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, env=env)
    try:
        _wait(lambda: b'"event": "up"' in log_path.read_bytes(), 180, "watcher up")
        w3 = user.w3
        t0 = time.time()
        hashes = [provider.contract.functions.answer(rid, wrong[p]).transact(
            {"from": provider.account.address}) for rid, p in zip(rids, prompts, strict=True)]
        posted_s = time.time() - t0
        receipts = [w3.eth.wait_for_transaction_receipt(h) for h in hashes]
        last_answer_ts = max(w3.eth.get_block(r["blockNumber"])["timestamp"] for r in receipts)

        def settled() -> bool:
            jobs = {j["request_id"]: j for j in read_jobs(db)} if db.is_file() else {}
            return all(jobs.get(r, {}).get("state") in ("confirmed", "failed", "skipped") for r in rids)

        _wait(settled, 300, "every answer settled")
    finally:
        proc.send_signal(signal.SIGTERM)
        proc.wait(timeout=60)
    jobs = {j["request_id"]: j for j in read_jobs(db)}
    overturned = [r for r in rids if user.request_info(r).status == "overturned"]
    mined = []
    for r in overturned:
        tx = jobs[r]["fulfil_tx"]
        if tx:
            receipt = w3.eth.get_transaction_receipt(tx)
            mined.append((w3.eth.get_block(receipt["blockNumber"])["timestamp"], user.request_info(r).window_end,
                          int(receipt["gasUsed"])))
    proves = [j["prove_seconds"] for j in jobs.values() if j.get("prove_seconds")]
    return {
        "workers": workers, "answers": n, "distinct_prompts": len(set(prompts)),
        "answers_posted_in_s": round(posted_s, 2),
        "overturned": len(overturned), "states": _count(jobs),
        "last_dispute_after_last_answer_s": (max(m[0] for m in mined) - last_answer_ts) if mined else None,
        "least_slack_s": min(m[1] - m[0] for m in mined) if mined else None,
        "prove_s_median": round(statistics.median(proves), 2) if proves else None,
        "prove_s_max": round(max(proves), 2) if proves else None,
        "dispute_gas_min": min(m[2] for m in mined) if mined else None,
        "dispute_gas_max": max(m[2] for m in mined) if mined else None,
    }


def _count(jobs: dict) -> dict:
    out: dict[str, int] = {}
    for j in jobs.values():
        key = f"{j['state']}/{j['reason']}"
        out[key] = out.get(key, 0) + 1
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--answers", type=int, default=45)
    ap.add_argument("--workers", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--distinct", action="store_true",
                    help="A distinct prompt per answer (default: the 5 prompts in turn; answers of the same prompt "
                         "share one proof)")
    args = ap.parse_args()
    owner, provider_acct, user_acct = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:3])
    params = model_params("ticker", declared_gas_price_wei=2 * 10**9)
    with tempfile.TemporaryDirectory(prefix="zkrevox-measure-flood-") as work_s, Anvil() as chain:
        work = Path(work_s)
        from zkrevox.chain.networks import connect

        w3 = connect(chain.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=work)
        record = dep.models["ticker"]
        user = DPromptClient(w3, dep.dprompt.address, user_acct)
        provider = DPromptClient(w3, dep.dprompt.address, provider_acct)
        provider.stake(record.model_id, 5 * 10**18)
        provider.set_capacity(record.model_id, max(args.answers, 16))
        out = [flood(chain.url, work, user, provider, record.model_id, args.answers, w, args.distinct)
               for w in args.workers]
        model = user.model(record.model_id)
    print(json.dumps({"challenge_window_s": model.challenge_window, "answer_bond_wei": model.answer_bond,
                      "dispute_gas_recorded": record.dispute_gas, "runs": out}, indent=1))


if __name__ == "__main__":
    main()
