"""Measure a provider node: gas per request, end-to-end latency, throughput (not collected by pytest).

    .venv/bin/python tests/node/measure.py --compare --requests 32 --max-batch-wait 20
    .venv/bin/python tests/node/measure.py --mode batch --requests 32 --max-batch-wait 20
    .venv/bin/python tests/node/measure.py --mode single --requests 8 --sequential
    .venv/bin/python tests/node/measure.py --compare-reuse --requests 40 --zipf 1.1 --pool 16 --interval 1.5

One anvil; for each mode a fresh deployment (the ticker model with its batch-4, -8 and -16
verifiers registered) and a real ``zkrevox node`` process with its default options, except:
``--stake 1`` (to be assigned requests at all), ``--batch-sizes 1`` in single mode, and
``--max-batch-wait`` in batch mode. Real proofs. Burst mode sends every request at once
(queueing included: throughput); sequential mode sends the next request once the previous one is
answered (latency without queueing).

Figures: gas per fulfilled request = the gas of every fulfil/fulfilBatch transaction of the run
(from their receipts) over the requests they fulfilled; end-to-end = the request's transaction
mined (its receipt back at the user) to the node's store recording the fulfilment confirmed
(same host, wall clock); throughput = requests over the time from the first request sent to the
last one confirmed.

Proof reuse (``--compare-reuse``): a stream of ``--requests`` prompts drawn by a Zipf law (exponent
``--zipf``, seeded) over the first ``--pool`` realistic eval prompts, one sent every ``--interval``
seconds, answered by a node with ``--batch-sizes 1``, once with proof reuse (the default) and once
with ``--no-reuse-proofs``, on the same stream in one run. "reused" counts the requests answered
with a proof already made (their job history says "reused proof").
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
from typing import Any

from eth_account import Account

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import current_verifier, deploy, model_params
from zkrevox.chain.gasbench import eval_prompts
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.node.store import read_jobs

BATCH_SIZES = [4, 8, 16]
DONE = ("confirmed", "failed", "skipped")


def _pct(values: list[float], q: float) -> float:
    """Nearest-rank percentile."""
    values = sorted(values)
    rank = max(1, -(-len(values) * q // 1))
    return values[int(rank) - 1]


def run_mode(chain_url: str, work: Path, mode: str, args: argparse.Namespace, prompts: list[str]) -> dict[str, Any]:
    w3 = connect(chain_url)
    params = model_params("ticker")
    owner, user_acct = Account.from_key(ANVIL_DEV_KEYS[0]), Account.from_key(ANVIL_DEV_KEYS[2])
    deployments = work / f"deployments-{mode}"
    dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=deployments,
                 batch_sizes=BATCH_SIZES)
    model_id = dep.models["ticker"].model_id
    db, log = work / f"node-{mode}.db", work / f"node-{mode}.log"
    env = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(deployments), "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[1]}
    extra = ["--batch-sizes", "1"] if mode != "batch" else ["--max-batch-wait", str(args.max_batch_wait)]
    if mode == "no-reuse":
        extra.append("--no-reuse-proofs")
    if args.workers != 1:
        extra += ["--workers", str(args.workers)]
    cmd = [sys.executable, "-c", "from zkrevox.cli import main; main()", "node", "--rpc", chain_url, "--db",
           str(db), "--stake", "1", "--log-format", "json", *extra]
    with open(log, "ab") as fh:
        node = subprocess.Popen(cmd, stderr=fh, stdout=subprocess.DEVNULL, env=env)
    try:
        deadline = time.time() + 180
        while '"event": "up"' not in log.read_text(errors="replace"):
            assert node.poll() is None and time.time() < deadline, log.read_text()[-2000:]
            time.sleep(0.1)
        user = DPromptClient(w3, dep.dprompt.address, user_acct)
        first_block = w3.eth.block_number + 1
        mined: dict[int, float] = {}

        def finished(ids: list[int]) -> dict[int, dict]:
            end = time.time() + args.timeout
            while True:
                jobs = {j["request_id"]: j for j in read_jobs(db)} if db.is_file() else {}
                if all(jobs.get(i, {}).get("state") in DONE for i in ids):
                    return jobs
                assert time.time() < end, f"timed out; states {[jobs.get(i, {}).get('state') for i in ids]}"
                time.sleep(0.05)

        t_start = time.time()
        if args.interval:
            for p in prompts:
                rid, _ = user.request(model_id, p)
                mined[rid] = time.time()
                time.sleep(max(0.0, args.interval - (time.time() - mined[rid])))
            jobs = finished(list(mined))
        elif args.sequential:
            for p in prompts:
                rid, _ = user.request(model_id, p)
                mined[rid] = time.time()
                jobs = finished([rid])
        else:
            for p in prompts:
                rid, _ = user.request(model_id, p)
                mined[rid] = time.time()
            jobs = finished(list(mined))
        t_sent = max(mined.values())
    finally:
        node.send_signal(signal.SIGTERM)
        node.wait(timeout=60)
    return _report(mode, w3, dep, jobs, mined, t_start, t_sent, first_block, args)


def _report(mode: str, w3: Any, dep: Any, jobs: dict[int, dict], mined: dict[int, float], t_start: float,
            t_sent: float, first_block: int, args: argparse.Namespace) -> dict[str, Any]:
    contract = DPromptClient(w3, dep.dprompt.address).contract
    txs = []
    for n in range(first_block, w3.eth.block_number + 1):
        for tx in w3.eth.get_block(n, full_transactions=True)["transactions"]:
            if tx["to"] is None or tx["to"].lower() != dep.dprompt.address.lower():
                continue
            fn, fargs = contract.decode_function_input(tx["input"])
            if fn.fn_name in ("fulfil", "fulfilBatch"):
                receipt = w3.eth.get_transaction_receipt(tx["hash"])
                size = len(fargs["requestIds"]) if fn.fn_name == "fulfilBatch" else 1
                fulfilled = len(contract.events.DPromptFulfilled().process_receipt(receipt))
                txs.append({"size": size, "gas": int(receipt["gasUsed"]), "fulfilled": fulfilled,
                            "status": int(receipt["status"])})
    ids = list(mined)
    states = [jobs[i]["state"] for i in ids]
    confirmed = [i for i in ids if jobs[i]["state"] == "confirmed"]
    e2e = [jobs[i]["confirmed_at"] - mined[i] for i in confirmed]
    t_end = max(jobs[i]["confirmed_at"] for i in confirmed)
    total_gas = sum(t["gas"] for t in txs)
    fulfilled = sum(t["fulfilled"] for t in txs)
    sizes: dict[str, int] = {}
    for t in txs:
        sizes[str(t["size"])] = sizes.get(str(t["size"]), 0) + 1
    prove = [jobs[i]["prove_seconds"] for i in confirmed if jobs[i]["prove_seconds"]]
    reused = [i for i in confirmed if any("reused proof" in h["detail"] for h in jobs[i]["history"])]
    send = f"every {args.interval:g}s" if args.interval else "sequential" if args.sequential else "burst"
    return {
        "mode": mode, "requests": len(ids), "send": send, "distinct_prompts": len(set(args.sent)),
        "reused": len(reused), "reused_share": round(len(reused) / len(confirmed), 3) if confirmed else None,
        "workers": args.workers, "max_batch_wait": args.max_batch_wait if mode == "batch" else None,
        "cpus": os.cpu_count(), "states": {s: states.count(s) for s in sorted(set(states))},
        "transactions": len(txs), "proofs_by_size": sizes, "reverted_txs": sum(1 for t in txs if not t["status"]),
        "gas_total": total_gas, "gas_per_request": round(total_gas / fulfilled) if fulfilled else None,
        "e2e_s": {"p50": round(_pct(e2e, 0.5), 2), "p95": round(_pct(e2e, 0.95), 2), "max": round(max(e2e), 2),
                  "mean": round(statistics.mean(e2e), 2)},
        "prove_s_mean": round(statistics.mean(prove), 2) if prove else None,
        "send_s": round(t_sent - t_start, 2), "wall_s": round(t_end - t_start, 2),
        "throughput_per_min": round(60 * len(confirmed) / (t_end - t_start), 1),
    }


def markdown(rows: list[dict[str, Any]]) -> str:
    head = ("| mode | requests | reused | proofs (size: count) | gas / request | e2e p50 (s) | e2e p95 (s) | "
            "e2e max (s) | throughput (req/min) | states |\n|---|---|---|---|---|---|---|---|---|---|")
    lines = [head]
    for r in rows:
        mode = r["mode"] + (f", --max-batch-wait {r['max_batch_wait']:g}" if r["max_batch_wait"] is not None else "")
        sizes = ", ".join(f"{k}: {v}" for k, v in sorted(r["proofs_by_size"].items(), key=lambda kv: -int(kv[0])))
        reused = f"{r['reused']} ({r['reused_share']:.0%})"
        lines.append(f"| {mode} | {r['requests']} | {reused} | {sizes} | {r['gas_per_request']:,} | "
                     f"{r['e2e_s']['p50']} | {r['e2e_s']['p95']} | {r['e2e_s']['max']} | {r['throughput_per_min']} | "
                     f"{r['states']} |")
    return "\n".join(lines)


def main() -> int:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mode", choices=["single", "batch", "reuse", "no-reuse"], default="batch")
    ap.add_argument("--compare", action="store_true", help="single mode, then batch mode, in one run")
    ap.add_argument("--compare-reuse", action="store_true",
                    help="single proofs with proof reuse, then without, on one Zipf stream, in one run")
    ap.add_argument("--zipf", type=float, default=0.0, help="draw the prompts by a Zipf law of this exponent")
    ap.add_argument("--pool", type=int, default=16, help="distinct prompts the Zipf law draws from")
    ap.add_argument("--interval", type=float, default=0.0, help="send one request every this many seconds")
    ap.add_argument("--seed", type=int, default=20)
    ap.add_argument("--workers", type=int, default=1)
    ap.add_argument("--requests", type=int, default=32)
    ap.add_argument("--max-batch-wait", type=float, default=20.0)
    ap.add_argument("--sequential", action="store_true")
    ap.add_argument("--timeout", type=float, default=600.0)
    ap.add_argument("--keep", type=Path, help="keep the node logs and job stores in this directory")
    args = ap.parse_args()
    if args.zipf:
        import numpy as np

        pool = eval_prompts("ticker", args.pool)
        weights = np.array([1 / (r + 1) ** args.zipf for r in range(len(pool))])
        picks = np.random.default_rng(args.seed).choice(len(pool), size=args.requests, p=weights / weights.sum())
        prompts = [pool[i] for i in picks]
    else:
        prompts = eval_prompts("ticker", args.requests)
    args.sent = prompts
    modes = ["reuse", "no-reuse"] if args.compare_reuse else ["single", "batch"] if args.compare else [args.mode]
    rows = []
    with tempfile.TemporaryDirectory() as work_s, Anvil() as chain:
        work = args.keep or Path(work_s)
        work.mkdir(parents=True, exist_ok=True)
        for mode in modes:
            rows.append(run_mode(chain.url, work, mode, args, prompts))
            print(json.dumps(rows[-1]), file=sys.stderr, flush=True)
    print(json.dumps(rows, indent=1))
    print(markdown(rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
