"""Output conventions: results to stdout (``--json`` for machines), everything else to stderr.

Exit codes (README, Exit codes):

- 0: success;
- 1: the user's mistake, which the message on stderr names with its fix: any ``ZkrevoxError``, and
  a command line the parser refuses (a missing or unknown option, a bad value: click's usage
  errors, which click itself would end with 2);
- 2: our bug, an internal error (``internal error: … (please report it)``);
- 141 (128 + SIGPIPE): stdout was closed early (``zkrevox predict … | head -1``); nothing on stderr.
"""

from __future__ import annotations

import json
import logging
import os
import sys
from collections.abc import Callable
from functools import wraps
from typing import Any

import typer

from zkrevox.errors import ZkrevoxError

EXIT_OK, EXIT_USER, EXIT_INTERNAL = 0, 1, 2
EXIT_CLOSED_PIPE = 141  # what a shell reports for a process killed by SIGPIPE


def emit(result: dict[str, Any], as_json: bool, human: str | None = None) -> None:
    if as_json:
        sys.stdout.write(json.dumps(result, sort_keys=True) + "\n")
    else:
        sys.stdout.write((human if human is not None else json.dumps(result, indent=1)) + "\n")
    sys.stdout.flush()


def step(message: str) -> None:
    """A progress line on stderr."""
    print(f"· {message}", file=sys.stderr, flush=True)


def closed_pipe() -> typer.Exit:
    """stdout's reader went away: stop quietly. Later writes and the interpreter's last flush go to
    /dev/null instead of raising BrokenPipeError again."""
    try:
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        os.close(devnull)
    except (OSError, ValueError):
        pass
    return typer.Exit(EXIT_CLOSED_PIPE)


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
        except BrokenPipeError:
            raise closed_pipe() from None
        except Exception as exc:
            logging.getLogger("zkrevox").debug("internal error", exc_info=True)
            print(f"internal error: {type(exc).__name__}: {exc} (please report it)", file=sys.stderr)
            raise typer.Exit(EXIT_INTERNAL) from None

    return wrapper
