"""Measure a provider's proving fleet on PostgreSQL (issue 21). A benchmark, not a test.

(a) ``--real``: a burst of ``--requests`` real ticker requests on a real anvil, answered by a node with
    ``--workers 0`` and 1, then 2, ``zkrevox prover`` processes (real proofs): throughput side by side.
(b) ``--simulate``: the dispatch beyond this machine. 1, 2, 4, … ``--max-provers`` prover processes
    claim proof jobs from one queue exactly as ``zkrevox prover`` does (claim with SKIP LOCKED, lease
    renewed by a heartbeat, result under the lease, the node's collection), but their prove step
    *sleeps* for a time drawn from the prove times a ``--real`` run measured (``--prove-times-from``). A simulation:
    it measures the queue, not proving. Reports throughput, efficiency = throughput ÷ (N ÷ mean prove
    time), dispatch overhead p50/p99 (a prover free → its next job claimed, and a result written →
    collected by the node) and the PostgreSQL connections open.
(c) ``--faults``: a burst with two provers and two nodes (same key) as real processes; SIGKILL a
    prover mid-proof, SIGSTOP the other past its lease then SIGCONT it, SIGKILL the active node,
    restart PostgreSQL. Counted from the chain's DPromptFulfilled events: lost, answered twice,
    duplicate proofs, takeover time.

    python tests/node/measure_fleet.py --real --requests 64 --keep /tmp/fleet
    python tests/node/measure_fleet.py --simulate --max-provers 32 --prove-times-from /tmp/fleet/real*-p*.log
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

def prove_times_from(logs: list[Path]) -> list[float]:
    """Prove times (s) of the ``proved`` lines of ``zkrevox prover --log-format json`` logs (a ``--real`` run)."""
    out = []
    for path in logs:
        for line in path.read_text(errors="replace").splitlines():
            if '"event": "proved"' in line:
                out.append(float(json.loads(line)["msg"].rsplit(" in ", 1)[1].rstrip("s")))
    return out


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

    wait_for(lambda: queue.live_slots("sim") >= provers, 900, "simulated provers registered", interval=0.5)
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


# ---------------------------------------------------------------- (a) real proofs and (c) faults


class Fleet:
    """One anvil deployment (single proofs only), a fresh database, a node and provers as real processes."""

    def __init__(self, chain_url: str, cluster, work: Path, tag: str, requests: int) -> None:
        import psycopg
        from eth_account import Account

        from zkrevox.chain.client import DPromptClient
        from zkrevox.chain.deploy import current_verifier, deploy, model_params
        from zkrevox.chain.keys import ANVIL_DEV_KEYS
        from zkrevox.chain.networks import connect

        self.work, self.tag, self.cluster = work, tag, cluster
        self.w3 = connect(chain_url)
        owner, user = Account.from_key(ANVIL_DEV_KEYS[0]), Account.from_key(ANVIL_DEV_KEYS[2])
        self.deployments = work / f"deployments-{tag}"
        params = model_params("ticker")
        self.dep = deploy(self.w3, owner, params, verifier_sol=current_verifier(params), directory=self.deployments)
        self.model_id = self.dep.models["ticker"].model_id
        self.user = DPromptClient(self.w3, self.dep.dprompt.address, user)
        self.chain_url = chain_url
        db = f"fleet_{tag}"
        with psycopg.connect(cluster.url.rsplit("/", 1)[0] + "/postgres", autocommit=True) as c:
            c.execute(f'DROP DATABASE IF EXISTS "{db}" WITH (FORCE)')
            c.execute(f'CREATE DATABASE "{db}"')
        self.url = cluster.url.rsplit("/", 1)[0] + "/" + db
        self.key = ANVIL_DEV_KEYS[1]
        self.procs: dict[str, object] = {}
        self.requests = requests
        self.start_block = self.w3.eth.block_number + 1

    def _spawn(self, name: str, *args: str, env: dict[str, str] | None = None):
        import subprocess

        log = open(self.work / f"{self.tag}-{name}.log", "ab")  # noqa: SIM115 (kept open for the process)
        cmd = [sys.executable, "-c", "from zkrevox.cli import main; main()", *args, "--log-format", "json"]
        proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL,
                                env={**os.environ, **(env or {})}, start_new_session=True)
        self.procs[name] = proc
        return proc

    def log(self, name: str) -> str:
        path = self.work / f"{self.tag}-{name}.log"
        return path.read_text(errors="replace") if path.exists() else ""

    def node(self, name: str = "node"):
        return self._spawn(name, "node", "--rpc", self.chain_url, "--store", self.url, "--workers", "0", "--stake", "1",
                           "--batch-sizes", "1", "--capacity", "256", "--poll-interval", "0.1",
                           "--db", str(self.work / f"{self.tag}-{name}.db"),
                           env={"ZKREVOX_DEPLOYMENTS": str(self.deployments), "ZKREVOX_PRIVATE_KEY": self.key})

    def prover(self, name: str, lease: float = 30.0):
        return self._spawn(name, "prover", "--store", self.url, "--name", name, "--lease", str(lease),
                           "--proofs-dir", str(self.work / f"{self.tag}-{name}-proofs"))

    def wait_log(self, name: str, text: str, timeout: float = 600) -> None:
        from nodeenv import wait_for

        wait_for(lambda: text in self.log(name), timeout, f"{text} in {name}'s log", interval=0.2)

    def fulfilled(self):
        from nodeenv import NodeEnv, fulfilled_events

        env = NodeEnv(self.w3, self.chain_url, self.dep, self.deployments, self.model_id, *([None] * 5))
        return fulfilled_events(env, self.start_block)

    def burst(self, prompts: list[str]) -> list[int]:
        return [self.user.request(self.model_id, p)[0] for p in prompts]

    def close(self) -> None:
        import signal

        for proc in self.procs.values():
            if proc.poll() is None:
                try:
                    os.killpg(proc.pid, signal.SIGCONT)
                    os.killpg(proc.pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass
            proc.wait(timeout=30)


def real(chain_url: str, cluster, work: Path, requests: int, provers: int) -> dict:
    from zkrevox.chain.gasbench import eval_prompts

    fleet = Fleet(chain_url, cluster, work, f"real{provers}", requests)
    try:
        for i in range(provers):
            fleet.prover(f"p{i}")
        for i in range(provers):
            fleet.wait_log(f"p{i}", '"event": "prover-up"')
        fleet.node()
        fleet.wait_log("node", '"event": "up"')
        prompts = eval_prompts("ticker", requests)
        t0 = time.time()
        ids = fleet.burst(prompts)
        sent = time.time() - t0
        last, last_change = -1, time.time()
        while True:  # until every request is answered, or none more for 120 s (past their deadlines)
            got = fleet.fulfilled()
            answered = sum(1 for i in ids if got.get(i))
            if answered != last:
                last, last_change, wall = answered, time.time(), time.time() - t0
            if answered == len(ids) or time.time() - last_change > 120:
                break
            time.sleep(0.5)
        twice = sum(1 for i in ids if got.get(i, 0) > 1)
        prove = prove_times_from([work / f"{fleet.tag}-p{i}.log" for i in range(provers)])
        return {"provers": provers, "requests": requests, "answered": last, "send_s": round(sent, 1),
                "wall_s": round(wall, 1), "throughput_per_min": round(60 * last / wall, 1), "answered_twice": twice,
                "prove_s_mean": round(statistics.mean(prove), 2) if prove else None,
                "prove_s": [round(p, 2) for p in prove]}
    finally:
        fleet.close()


def faults(chain_url: str, cluster, work: Path, requests: int) -> dict:
    """Two provers (lease 5 s), two nodes (same key). During one burst: SIGKILL prover p0 while it holds a
    job; SIGSTOP p1 past its lease, SIGCONT it; SIGKILL the active node (the standby takes over);
    restart PostgreSQL. Then count the chain's DPromptFulfilled events."""
    import signal

    import psycopg
    from nodeenv import wait_for

    from zkrevox.chain.gasbench import eval_prompts

    lease = 5.0
    fleet = Fleet(chain_url, cluster, work, "faults", requests)
    out: dict = {}

    def holding(name: str) -> bool:
        with psycopg.connect(fleet.url) as c:
            return bool(c.execute("SELECT 1 FROM proof_jobs WHERE state = 'claimed' AND prover = %s",
                                  (name,)).fetchone())

    try:
        for name in ("p0", "p1", "p2"):
            fleet.prover(name, lease)
        for name in ("p0", "p1", "p2"):
            fleet.wait_log(name, '"event": "prover-up"')
        fleet.node("a")
        fleet.wait_log("a", '"event": "up"')
        fleet.node("b")
        fleet.wait_log("b", '"event": "standby"')
        prompts = eval_prompts("ticker", requests)
        ids = fleet.burst(prompts[: requests // 2])
        wait_for(lambda: holding("p0"), 120, "p0 holding a job")
        os.killpg(fleet.procs["p0"].pid, signal.SIGKILL)
        wait_for(lambda: holding("p1"), 120, "p1 holding a job")
        os.killpg(fleet.procs["p1"].pid, signal.SIGSTOP)
        time.sleep(lease * 2.5)
        os.killpg(fleet.procs["p1"].pid, signal.SIGCONT)
        killed = time.time()
        os.killpg(fleet.procs["a"].pid, signal.SIGKILL)
        fleet.wait_log("b", '"event": "takeover"', timeout=60)
        for line in fleet.log("b").splitlines():
            if '"event": "takeover"' in line:
                import datetime

                at = datetime.datetime.fromisoformat(json.loads(line)["ts"]).timestamp()
                out["takeover_s"] = round(at - killed, 2)
        ids += fleet.burst(prompts[requests // 2:])
        time.sleep(3)
        cluster.restart()
        out["postgres_restarted"] = True
        end = time.time() + 900
        while time.time() < end:
            got = fleet.fulfilled()
            if all(got.get(i) for i in ids):
                break
            time.sleep(0.5)
        time.sleep(5)  # a second fulfilment of anything would be mined by now
        got = fleet.fulfilled()
        with psycopg.connect(fleet.url) as c:
            proofs = c.execute("SELECT COUNT(*) FROM proof_jobs WHERE state = 'collected'").fetchone()[0]
            tries = c.execute("SELECT COALESCE(SUM(tries), 0) FROM proof_jobs").fetchone()[0]
            stuck = c.execute("SELECT COUNT(*) FROM proof_jobs WHERE state IN ('queued', 'claimed')").fetchone()[0]
            states = dict(c.execute("SELECT state, COUNT(*) FROM jobs GROUP BY state").fetchall())
            retried = c.execute("SELECT id, tries, prover, error FROM proof_jobs WHERE tries > 1").fetchall()
        late = sum(fleet.log(n).count('result dropped') + fleet.log(n).count('"event": "late-result"')
                   for n in ("p1",))
        out.update({"requests": len(ids), "answered": sum(1 for i in ids if got.get(i)),
                    "lost": sum(1 for i in ids if not got.get(i)), "answered_twice": sum(1 for i in ids
                                                                                         if got.get(i, 0) > 1),
                    "proof_job_tries": int(tries), "proof_jobs_collected": int(proofs),
                    "duplicate_proof_rate": round((int(tries) - len(ids)) / len(ids), 3),
                    "stalled_prover_results_dropped": late, "proof_jobs_stuck": int(stuck), "job_states": states,
                    "retried_jobs": [{"id": i, "tries": t, "proved_by": p, "why": e} for i, t, p, e in retried]})
        return out
    finally:
        fleet.close()


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--simulate", action="store_true")
    ap.add_argument("--max-provers", type=int, default=32)
    ap.add_argument("--min-provers", type=int, default=1)
    ap.add_argument("--jobs-per-prover", type=int, default=6)
    ap.add_argument("--prove-times", type=str, help="comma-separated seconds to draw the simulated prove step from")
    ap.add_argument("--prove-times-from", type=Path, nargs="*", default=[],
                    help="prover logs of a --real run (--keep DIR): their measured prove times")
    ap.add_argument("--store", help="an existing postgresql:// database (default: a throwaway cluster)")
    ap.add_argument("--real", action="store_true", help="(a) real proofs: 1 prover process, then 2")
    ap.add_argument("--faults", action="store_true", help="(c) faults during a burst")
    ap.add_argument("--requests", type=int, default=64)
    ap.add_argument("--keep", type=Path, help="keep logs here")
    args = ap.parse_args()
    if args.real or args.faults:
        from zkrevox.chain.anvil import Anvil

        cluster = _cluster()
        work = args.keep or Path(tempfile.mkdtemp(prefix="zkrevox-fleet-"))
        work.mkdir(parents=True, exist_ok=True)
        try:
            with Anvil() as chain:
                if args.real:
                    rows = [real(chain.url, cluster, work, args.requests, n) for n in (1, 2)]
                    for r in rows:
                        print(json.dumps(r), flush=True)
                    print("\n| prover processes | requests | answered | wall (s) | throughput (req/min) | "
                          "prove mean (s) | answered twice |\n|---|---|---|---|---|---|---|")
                    for r in rows:
                        print(f"| {r['provers']} | {r['requests']} | {r['answered']} | {r['wall_s']} | "
                              f"{r['throughput_per_min']} | {r['prove_s_mean']} | {r['answered_twice']} |")
                    print(f"speed-up 2 vs 1: {rows[1]['throughput_per_min'] / rows[0]['throughput_per_min']:.2f}x")
                if args.faults:
                    print(json.dumps(faults(chain.url, cluster, work, args.requests)), flush=True)
        finally:
            cluster.destroy()
        os._exit(0)
    cluster = None
    url = args.store
    if url is None:
        cluster = _cluster()
        url = cluster.url
    from zkrevox.node.store_pg import PgConnection

    PgConnection(url).close()  # migrate
    try:
        if args.simulate:
            times = ([float(t) for t in args.prove_times.split(",")] if args.prove_times
                     else prove_times_from(args.prove_times_from))
            if not times:
                raise SystemExit("give --prove-times or --prove-times-from (the measured distribution)")
            print(json.dumps({"prove_times": {"n": len(times), "mean": round(statistics.mean(times), 2),
                                              "min": min(times), "max": max(times)}}), flush=True)
            n = args.min_provers
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
