"""Output conventions: results to stdout (``--json`` for machines), everything else to stderr.

Exit codes: 0 success, 1 user error (any ``ZkrevoxError``), 2 internal error.
"""

from __future__ import annotations

import json
import logging
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import typer

from zkrevox.errors import ZkrevoxError

EXIT_OK, EXIT_USER, EXIT_INTERNAL = 0, 1, 2


def emit(result: dict[str, Any], as_json: bool, human: str | None = None) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    else:
        sys.stdout.write((human if human is not None else json.dumps(result, indent=1)) + "\n")
    sys.stdout.flush()


def step(message: str) -> None:
    """A progress line on stderr."""
    print(f"· {message}", file=sys.stderr, flush=True)


def handle_errors(fn: Callable[..., Any]) -> Callable[..., Any]:
    @wraps(fn)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return fn(*args, **kwargs)
        except ZkrevoxError as exc:
            print(f"error: {exc}", file=sys.stderr)
            raise typer.Exit(EXIT_USER) from None
        except (typer.Exit, typer.Abort, KeyboardInterrupt):
            raise
        except Exception as exc:
            logging.getLogger("zkrevox").debug("internal error", exc_info=True)
            print(f"internal error: {type(exc).__name__}: {exc} (please report it)", file=sys.stderr)
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper
