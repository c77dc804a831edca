"""The ``zkrevox`` command: a thin shell over the Python API."""

from __future__ import annotations

import logging
import os

import typer

from zkrevox.cli import bench, chain, model, node, publish

app = typer.Typer(
    name="zkrevox",
    help="zkML proving pipeline: train, build circuits, prove answers, and settle them on-chain.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
app.command()(model.train)
app.command()(model.build)
app.command()(model.evaluate)
app.command()(model.predict)
app.command()(model.prove)
app.command()(model.verify)
app.command()(bench.bench)
chain.register(app)  # deploy, request, fulfil, answer, reclaim, withdraw, provider …, chain …
node.register(app)  # node, node-jobs
publish.register(app)  # publish, models, check-model


def main() -> None:
    logging.basicConfig(
        level=os.environ.get("ZKREVOX_LOG", "WARNING").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    app()
