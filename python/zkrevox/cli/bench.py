"""``zkrevox bench``: the side-by-side benchmark against the plain ezkl flow (code in benchmarks/)."""

from __future__ import annotations

import sys
from typing import Annotated

import typer

from zkrevox.cli._output import emit, handle_errors, step
from zkrevox.errors import ArtifactError
from zkrevox.model_files import REPO_ROOT


@handle_errors
def bench(
    quick: Annotated[bool, typer.Option("--quick", help="Fewer repeats and a shorter stream (< 10 min).")] = False,
    as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout.")] = False,
) -> None:
    """Latency, throughput, gas, featurizer speed and circuit figures, each beside its baseline."""
    if not (REPO_ROOT / "benchmarks" / "harness.py").is_file():
        raise ArtifactError(f"benchmarks/ not found under {REPO_ROOT}; run from a checkout of the repository")
    if str(REPO_ROOT) not in sys.path:
        sys.path.insert(0, str(REPO_ROOT))
    from benchmarks.harness import run

    emit(run(quick=quick, log=step), as_json)
