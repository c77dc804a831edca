"""Shared fixtures: one circuit build and one Prover per test session.

The build reuses artifacts/<agent> when its manifest matches the committed
model (so `make test` after `make demo` proves immediately) and otherwise
builds it there, as `zkrevox build <agent>` would. ``prover`` is the ticker's
(most tests use its answers), ``intent_prover`` the intent agent's, and
``agent_provers`` every agent's.
"""

from __future__ import annotations

import pytest

from zkrevox import Prover


def load_or_build(batch: int = 1) -> Prover:
    return Prover.load_or_build("ticker", batch=batch)


@pytest.fixture(scope="session")
def prover() -> Prover:
    return load_or_build(1)


@pytest.fixture(scope="session")
def intent_prover() -> Prover:
    """The intent agent's single-request circuit (2^14 rows), built once if missing (~10 s)."""
    return Prover.load_or_build("intent")


@pytest.fixture(scope="session")
def agent_provers(prover, intent_prover) -> dict[str, Prover]:
    """Every agent's single-request prover, by agent name."""
    from zkrevox.agents import agents

    provers = {"ticker": prover, "intent": intent_prover}
    return {name: provers.get(name) or Prover.load_or_build(name) for name in agents()}


@pytest.fixture(scope="session")
def batch_provers(prover) -> dict[int, Prover]:
    """The batch-4 and batch-8 ticker circuits, built once if missing (~35 s)."""
    return {n: load_or_build(n) for n in (4, 8)}


@pytest.fixture(scope="session")
def packed_prover(prover) -> Prover:
    """The packed-features batch-16 circuit (circuit.json ``feature_packing``), built once if missing."""
    return load_or_build(16)


@pytest.fixture(scope="session")
def bnb_cake_proof(prover, tmp_path_factory):
    return prover.prove("swap 2 bnb for cake", out_dir=tmp_path_factory.mktemp("proof"))
