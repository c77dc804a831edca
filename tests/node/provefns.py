"""Prove functions the node tests hand to ``ProviderNode(prove_fn=...)`` (``ProverPool``'s documented
parameter). Spawned prover workers import this module by name (``tests/node`` is on ``sys.path``).

* ``gated``: proves once the file named by ``$ZKREVOX_TEST_PROVE_GATE`` is gone, so a test can
  change the chain while a proof is in flight;
* ``hangs_on_hang``: never returns for a prompt containing ``hang`` (as ezkl's ``prove`` has been
  reported to do on some inputs of an otherwise fine circuit).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

GATE_ENV = "ZKREVOX_TEST_PROVE_GATE"


def prove(prover: Any, prompts: list[Any], out_dir: Path | None) -> Any:
    """What the pool does without a ``prove_fn``."""
    return prover.prove(prompts[0], out_dir) if len(prompts) == 1 else prover.prove_batch(prompts, out_dir)


def gated(prover: Any, prompts: list[Any], out_dir: Path | None) -> Any:
    gate = os.environ.get(GATE_ENV)
    while gate and os.path.exists(gate):
        time.sleep(0.05)
    return prove(prover, prompts, out_dir)


def hangs_on_hang(prover: Any, prompts: list[Any], out_dir: Path | None) -> Any:
    if any(b"hang" in (p if isinstance(p, bytes) else p.encode()) for p in prompts):
        time.sleep(3600)
    return prove(prover, prompts, out_dir)


def fails_on_poison(prover: Any, prompts: list[Any], out_dir: Path | None) -> Any:
    """Fails every proof of a prompt containing ``poison`` (a job that can never be proved)."""
    from zkrevox.errors import ProofError

    if any(b"poison" in (p if isinstance(p, bytes) else p.encode()) for p in prompts):
        raise ProofError("this prompt's proof fails every time (test poison)")
    return prove(prover, prompts, out_dir)
