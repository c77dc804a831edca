"""The ``zkrevox`` command: a thin shell over the Python API.

Exit codes: 0 success, 1 a user's mistake (a ``ZkrevoxError`` or a command line the parser
refuses), 2 an internal error, 141 stdout closed early (``cli/_output.py``).
"""

from __future__ import annotations

import logging
import os
import sys

import typer

from zkrevox.cli import bench, chain, fleet, model, node, publish, rex, watch, web
from zkrevox.cli._output import EXIT_USER, closed_pipe

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
watch.register(app)  # watch
fleet.register(app)  # prover, db up|down
rex.register(app)  # rex balance|stake|unstake|points|enroll|claim
web.register(app)  # web


def _show_usage_error(exc: Exception) -> None:
    try:
        from typer import rich_utils

        rich_utils.rich_format_error(exc)  # type: ignore[arg-type]
    except ImportError:
        exc.show()  # type: ignore[attr-defined]


def main(args: list[str] | None = None) -> int:
    """Run the CLI; exits with 0, 1 (a user's mistake, usage errors included), 2 (our bug) or 141."""
    from typer._click.exceptions import ClickException, UsageError

    level = os.environ.get("ZKREVOX_LOG", "WARNING").upper()
    logging.basicConfig(level=level, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    if level == "WARNING":
        # ezkl's own warnings (its calibration's numerical fidelity tables, "low scale values", its
        # verifier notes) are its internals, printed on every fresh build; zkrevox states what matters
        # (the build's accuracy, the vk) itself. ZKREVOX_LOG=info or debug shows them again.
        logging.getLogger("ezkl").setLevel(logging.ERROR)
    command = typer.main.get_command(app)
    try:
        code = command.main(args=args, prog_name="zkrevox", standalone_mode=False)
    except UsageError as exc:  # missing/unknown option, bad value, no command: click would exit 2
        _show_usage_error(exc)
        code = EXIT_USER
    except ClickException as exc:
        _show_usage_error(exc)
        code = exc.exit_code
    except typer.Abort:
        print("Aborted!", file=sys.stderr)
        code = EXIT_USER
    except BrokenPipeError:
        code = closed_pipe().exit_code
    except SystemExit as exc:
        # rich (printing --help) exits 1 when stdout closes under it (Console.on_broken_pipe, raised while
        # handling the BrokenPipeError): that is a closed pipe (141), not a user's mistake
        if exc.code == 1 and isinstance(exc.__context__, BrokenPipeError):
            code = closed_pipe().exit_code
        else:
            raise
    sys.exit(code if isinstance(code, int) else 0)
