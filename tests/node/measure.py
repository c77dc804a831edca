"""Measure a provider node: prove latency, end-to-end latency, throughput (not collected by pytest).

    .venv/bin/python tests/node/measure.py --workers 1 --requests 8
    .venv/bin/python tests/node/measure.py --workers 2 --requests 8
    .venv/bin/python tests/node/measure.py --workers 1 --requests 8 --sequential

A fresh anvil and deployment, a real ``zkrevox node`` process (poll interval 0.25 s), real
proofs. Burst mode sends every request at once (queueing included: throughput); sequential mode
sends the next request once the previous one is answered (latency without queueing).
End-to-end is measured on the user's side: request receipt returned (mined) -> the node's store
records the fulfilment confirmed (same host, wall clock).
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
from zkrevox.chain.networks import connect
from zkrevox.node.store import read_jobs

PROMPTS = ["swap 2 bnb for cake", "sell half my dogecoin for tether", "price of eth", "buy some pepe",
           "bridge my usdc to arbitrum", "what a lovely morning", "swap 2 etherium for usdc", "stake some matic"]


def _pct(values: list[float], q: float) -> float:
    values = sorted(values)
    return values[min(len(values) - 1, round(q * (len(values) - 1)))]


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--requests", type=int, default=8)
    ap.add_argument("--sequential", action="store_true")
    args = ap.parse_args()
    params = model_params("ticker")
    owner, user_acct = Account.from_key(ANVIL_DEV_KEYS[0]), Account.from_key(ANVIL_DEV_KEYS[2])
    with tempfile.TemporaryDirectory() as work_s, Anvil() as chain:
        work = Path(work_s)
        w3 = connect(chain.url)
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=work)
        db, log = work / "node.db", work / "node.log"
        env = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(work), "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[1]}
        cmd = [sys.executable, "-c", "from zkrevox.cli import main; main()", "node", "--rpc", chain.url, "--db",
               str(db), "--stake", "1", "--workers", str(args.workers), "--poll-interval", "0.25",
               "--log-format", "json"]
        with open(log, "ab") as fh:
            node = subprocess.Popen(cmd, stderr=fh, stdout=subprocess.DEVNULL, env=env)
        try:
            deadline = time.time() + 120
            while '"event": "up"' not in log.read_text(errors="replace"):
                assert node.poll() is None and time.time() < deadline, log.read_text()[-2000:]
                time.sleep(0.1)
            user = DPromptClient(w3, dep.dprompt.address, user_acct)
            mined: dict[int, float] = {}

            def confirmed(ids: list[int]) -> dict[int, dict]:
                end = time.time() + 300
                while True:
                    jobs = {j["request_id"]: j for j in read_jobs(db)} if db.is_file() else {}
                    if all(jobs.get(i, {}).get("state") in ("confirmed", "failed", "skipped") for i in ids):
                        return jobs
                    assert time.time() < end, "timed out"
                    time.sleep(0.05)

            t_start = time.time()
            prompts = [PROMPTS[i % len(PROMPTS)] for i in range(args.requests)]
            if args.sequential:
                for p in prompts:
                    rid, _ = user.request(dep.models["ticker"].model_id, p)
                    mined[rid] = time.time()
                    jobs = confirmed([rid])
            else:
                for p in prompts:
                    rid, _ = user.request(dep.models["ticker"].model_id, p)
                    mined[rid] = time.time()
                jobs = confirmed(list(mined))
            t_end = max(jobs[i]["confirmed_at"] for i in mined)
        finally:
            node.send_signal(signal.SIGTERM)
            node.wait(timeout=60)
    states = [jobs[i]["state"] for i in mined]
    prove = [jobs[i]["prove_seconds"] for i in mined]
    e2e = [jobs[i]["confirmed_at"] - mined[i] for i in mined]
    out = {
        "workers": args.workers, "requests": args.requests, "mode": "sequential" if args.sequential else "burst",
        "cpus": os.cpu_count(), "states": {s: states.count(s) for s in set(states)},
        "prove_s": {"mean": statistics.mean(prove), "p50": _pct(prove, 0.5), "max": max(prove)},
        "e2e_s": {"mean": statistics.mean(e2e), "p50": _pct(e2e, 0.5), "max": max(e2e), "min": min(e2e)},
        "wall_s": t_end - t_start, "throughput_per_min": 60 * len(mined) / (t_end - t_start),
        "gas": statistics.mean(jobs[i]["gas_used"] for i in mined),
    }
    print(json.dumps(out, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main())
