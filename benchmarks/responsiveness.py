"""How responsive a host process stays while a proof runs: in-process vs worker processes.

A thread ticks every 10 ms; we report the longest gap between ticks while one
proof runs (a) in the host process and (b) in a ProverPool worker.

    .venv/bin/python benchmarks/responsiveness.py
"""

from __future__ import annotations

import json
import threading
import time

from zkrevox import Prover
from zkrevox.pool import ProverPool

PROMPT = "swap 2 bnb for cake"


def longest_gap(work) -> tuple[float, float]:
    gaps: list[float] = []
    stop = threading.Event()

    def tick() -> None:
        last = time.perf_counter()
        while not stop.is_set():
            time.sleep(0.01)
            now = time.perf_counter()
            gaps.append(now - last)
            last = now

    t = threading.Thread(target=tick)
    t.start()
    t0 = time.perf_counter()
    work()
    elapsed = time.perf_counter() - t0
    stop.set()
    t.join()
    return max(gaps), elapsed


def main() -> None:
    prover = Prover.load("ticker")
    prover.prove(PROMPT)  # warm caches
    gap_inproc, t_inproc = longest_gap(lambda: prover.prove(PROMPT))
    with ProverPool("ticker", workers=1) as pool:
        pool.warm_up()
        pool.submit(PROMPT).result()
        gap_pool, t_pool = longest_gap(lambda: pool.submit(PROMPT).result())
    print(json.dumps({
        "in_process": {"longest_tick_gap_s": round(gap_inproc, 3), "prove_s": round(t_inproc, 3)},
        "worker_process": {"longest_tick_gap_s": round(gap_pool, 3), "prove_s": round(t_pool, 3)},
    }, indent=1))


if __name__ == "__main__":
    main()
