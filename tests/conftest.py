"""Shared fixtures: one circuit build and one Prover per test session.

The build reuses artifacts/ticker when its manifest matches the committed
model (so `make test` after `make demo` proves immediately) and otherwise
builds it there, as `zkrevox build ticker` would.
"""

from __future__ import annotations

import pytest

from zkrevox import ArtifactError, Prover


@pytest.fixture(scope="session")
def prover() -> Prover:
    try:
        return Prover.load("ticker")
    except ArtifactError:
        from zkrevox.circuit import build

        build("ticker")
        return Prover.load("ticker")


@pytest.fixture(scope="session")
def bnb_cake_proof(prover, tmp_path_factory):
    return prover.prove("swap 2 bnb for cake", out_dir=tmp_path_factory.mktemp("proof"))
