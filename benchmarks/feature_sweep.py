"""Accuracy against the number of features (each feature is a public instance, ~850 gas to verify).

Trains the ticker MLP for each trigram-region size and hidden width, into a scratch
directory, and reports float exact-set accuracy on the realistic held-out set.

    .venv/bin/python benchmarks/feature_sweep.py            # ~30 s per row on 2 cores
"""

from __future__ import annotations

import json
import tempfile
from pathlib import Path

from zkrevox.agents import get_agent
from zkrevox.agents.ticker import TickerTrainConfig
from zkrevox.train import train

ROWS = [
    {"trigram_buckets": 16, "hidden": 64},
    {"trigram_buckets": 32, "hidden": 32},
    {"trigram_buckets": 32, "hidden": 64},
    {"trigram_buckets": 48, "hidden": 64},
    {"trigram_buckets": 64, "hidden": 64},
]


def main() -> None:
    with tempfile.TemporaryDirectory() as out:
        for row in ROWS:
            m = train(Path(out), get_agent("ticker"), TickerTrainConfig(**row), progress=False)
            print(json.dumps({
                **row,
                "features": m["features"],
                "realistic_accuracy": m["float"]["realistic_heldout_exact_set_accuracy"],
                "synthetic_accuracy": m["float"]["synthetic_heldout_exact_set_accuracy"],
            }), flush=True)


if __name__ == "__main__":
    main()
