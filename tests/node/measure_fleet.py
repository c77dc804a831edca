"""Measure a provider's proving fleet on PostgreSQL (issue 21). A benchmark, not a test.

(a) ``--real``: a burst of ``--requests`` real ticker requests on a real anvil, answered by a node with
    ``--workers 0`` and 1, then 2, ``zkrevox prover`` processes (real proofs): throughput side by side.
(b) ``--simulate``: the dispatch beyond this machine. 1, 2, 4, … ``--max-provers`` prover processes
    claim proof jobs from one queue exactly as ``zkrevox prover`` does (claim with SKIP LOCKED, lease
    renewed by a heartbeat, result under the lease, the node's collection), but their prove step
    *sleeps* for a time drawn from ``--prove-times`` (the measured distribution). A simulation:
    it measures the queue, not proving. Reports throughput, efficiency = throughput ÷ (N ÷ mean prove
    time), dispatch overhead p50/p99 (a prover free → its next job claimed, and a result written →
    collected by the node) and the PostgreSQL connections open.
(c) ``--faults``: a burst with two provers and two nodes (same key) as real processes; SIGKILL a
    prover mid-proof, SIGSTOP the other past its lease then SIGCONT it, SIGKILL the active node,
    restart PostgreSQL. Counted from the chain's DPromptFulfilled events: lost, answered twice,
    duplicate proofs, takeover time.

    python tests/node/measure_fleet.py --simulate --max-provers 32
    python tests/node/measure_fleet.py --real --requests 64
    python tests/node/measure_fleet.py --faults --requests 24
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

# ticker single proofs on this 2-core machine (seconds), from `--real` runs' prover logs
DEFAULT_PROVE_TIMES = (2.1, 2.3, 2.2, 2.6, 2.4, 2.9, 2.2, 3.1, 2.5, 2.3)


def _cluster():
    from zkrevox.node.pgcluster import Cluster, free_port

    root = Path(tempfile.mkdtemp(prefix="zkrevox-measure-pg-"))
    cluster = Cluster(root, free_port())
    cluster.init()
    return cluster.start()


def percentile(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    s = sorted(values)
    return s[min(len(s) - 1, round(q / 100 * (len(s) - 1)))]


# ---------------------------------------------------------------- (b) simulation


def _sim_prover(url: str, name: str, times: list[float], seed: int, lease: float, out: multiprocessing.Queue,
                go: multiprocessing.Event) -> None:
    from zkrevox.node.queue import ProofQueue
    from zkrevox.node.store_pg import PgConnection

    rng = random.Random(seed)
    db = PgConnection(url)
    queue = ProofQueue(db)
    queue.hello(name, ["sim"], 1)
    held: list[tuple[int, int]] = []
    lock = threading.Lock()
    stop = threading.Event()

    def heartbeat() -> None:  # as the real prover: its own connection, renewing what it holds
        beat = ProofQueue(PgConnection(url))
        while not stop.wait(lease / 3):
            with lock:
                now = list(held)
            beat.renew(now)
            beat.hello(name, ["sim"], 1)
        beat.db.close()

    threading.Thread(target=heartbeat, daemon=True).start()
    go.wait()
    claims: list[float] = []
    scratch = Path(tempfile.mkdtemp(prefix="sim-proof-"))
    (scratch / "proof.json").write_text("{}")
    done = 0
    idle_since = time.perf_counter()
    while True:
        t0 = time.perf_counter()
        job = queue.claim(["sim"], name)
        t1 = time.perf_counter()
        if job is None:
            if time.perf_counter() - idle_since > 3.0:
                break
            time.sleep(0.005)
            continue
        claims.append(t1 - t0)
        with lock:
            held.append((job.id, job.lease))
        time.sleep(rng.choice(times))  # the prove step, simulated
        queue.complete(job.id, job.lease, scratch, 0.0)
        with lock:
            held.remove((job.id, job.lease))
        done += 1
        idle_since = time.perf_counter()
    stop.set()
    queue.goodbye(name)
    db.close()
    shutil.rmtree(scratch, ignore_errors=True)
    out.put({"name": name, "done": done, "claims": claims})


def simulate(url: str, provers: int, jobs_per_prover: int, times: list[float]) -> dict:
    from zkrevox.node.queue import ProofQueue
    from zkrevox.node.store_pg import PgConnection

    db = PgConnection(url)
    queue = ProofQueue(db)
    db.run(lambda c: c.execute("DELETE FROM proof_jobs; DELETE FROM provers"))
    ctx = multiprocessing.get_context("spawn")
    out, go = ctx.Queue(), ctx.Event()
    procs = [ctx.Process(target=_sim_prover, args=(url, f"sim{i}", times, i, 30.0, out, go)) for i in range(provers)]
    for p in procs:
        p.start()
    from nodeenv import wait_for

    wait_for(lambda: queue.live_slots("sim") >= provers, 120, "simulated provers registered")
    total = provers * jobs_per_prover
    # the node: keeps 2 jobs per live slot queued (as RemoteProving does) and collects results
    ids: list[int] = []
    collect_lag: list[float] = []
    started = time.perf_counter()
    go.set()
    finished = 0
    enqueued = 0
    connections = 0
    while finished < total:
        want = min(total - enqueued, 2 * provers - (enqueued - finished))
        for _ in range(max(0, want)):
            ids.append(queue.enqueue("sim", "sim", [enqueued], [b"p"], deadline=enqueued, vk_sha256=None))
            enqueued += 1
        got = queue.finished(ids)
        if got:
            now_db = db.run(lambda c: c.execute("SELECT clock_timestamp()").fetchone()[0])
            done_now = [f.id for f in got]
            fins = db.run(lambda c, d=done_now: c.execute("SELECT finished_at FROM proof_jobs WHERE id = ANY(%s)",
                                                          (d,)).fetchall())
            collect_lag += [(now_db - f).total_seconds() for (f,) in fins]
            done_ids = {f.id for f in got}
            ids = [i for i in ids if i not in done_ids]
            finished += len(got)
        connections = max(connections, db.run(lambda c: c.execute(
            "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()").fetchone()[0]))
        time.sleep(0.01)  # the node's tick when busy
    makespan = time.perf_counter() - started
    results = [out.get(timeout=60) for _ in procs]
    for p in procs:
        p.join(timeout=30)
    db.close()
    claims = [c for r in results for c in r["claims"]]
    mean = statistics.mean(times)
    throughput = total / makespan
    return {"provers": provers, "jobs": total, "seconds": round(makespan, 2),
            "throughput_per_s": round(throughput, 3), "efficiency": round(throughput / (provers / mean), 3),
            "claim_p50_ms": round(percentile(claims, 50) * 1000, 1),
            "claim_p99_ms": round(percentile(claims, 99) * 1000, 1),
            "collect_p50_ms": round(percentile(collect_lag, 50) * 1000, 1),
            "collect_p99_ms": round(percentile(collect_lag, 99) * 1000, 1),
            "connections": int(connections)}


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--simulate", action="store_true")
    ap.add_argument("--max-provers", type=int, default=32)
    ap.add_argument("--jobs-per-prover", type=int, default=6)
    ap.add_argument("--prove-times", type=str, default=",".join(map(str, DEFAULT_PROVE_TIMES)))
    ap.add_argument("--store", help="an existing postgresql:// database (default: a throwaway cluster)")
    args = ap.parse_args()
    cluster = None
    url = args.store
    if url is None:
        cluster = _cluster()
        url = cluster.url
    from zkrevox.node.store_pg import PgConnection

    PgConnection(url).close()  # migrate
    try:
        if args.simulate:
            times = [float(t) for t in args.prove_times.split(",")]
            n = 1
            rows = []
            while n <= args.max_provers:
                row = simulate(url, n, args.jobs_per_prover, times)
                rows.append(row)
                print(json.dumps(row), flush=True)
                n *= 2
            print("\n| provers | jobs | throughput (proofs/s) | efficiency | claim p50 / p99 | collect p50 / p99 "
                  "| connections |")
            print("|---|---|---|---|---|---|---|")
            for r in rows:
                print(f"| {r['provers']} | {r['jobs']} | {r['throughput_per_s']} | {r['efficiency']} | "
                      f"{r['claim_p50_ms']} / {r['claim_p99_ms']} ms | {r['collect_p50_ms']} / {r['collect_p99_ms']} ms"
                      f" | {r['connections']} |")
    finally:
        if cluster is not None:
            cluster.destroy()
    os._exit(0)


if __name__ == "__main__":
    main()
