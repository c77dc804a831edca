"""Structured logs: one line per state change, naming the request id; text or JSON.

``event(log, "request 7: seen → proving", request_id=7, state="proving")`` logs the message and
attaches the fields; the JSON formatter writes them as keys of one object per line, the text
formatter as the message alone (the message already names what the fields hold).
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import sys
from typing import Any, TextIO

FIELDS_ATTR = "zkrevox_fields"


def event(log: logging.Logger, message: str, *, level: int = logging.INFO, **fields: Any) -> None:
    log.log(level, message, extra={FIELDS_ATTR: fields})


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        out: dict[str, Any] = {
            "ts": _dt.datetime.fromtimestamp(record.created, tz=_dt.timezone.utc).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
        }
        for key, value in (getattr(record, FIELDS_ATTR, None) or {}).items():
            out[key] = value if isinstance(value, (str, int, float, bool, type(None), list, dict)) else str(value)
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, sort_keys=False, default=str)


class TextFormatter(logging.Formatter):
    def __init__(self) -> None:
        super().__init__("%(asctime)s %(levelname)-7s %(message)s", datefmt="%H:%M:%S")


class StatusLineHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """A stream handler that keeps one status line (progress) at the bottom of a terminal."""

    def __init__(self, stream: TextIO) -> None:
        super().__init__(stream)
        self.status = ""

    def emit(self, record: logging.LogRecord) -> None:
        try:
            msg = self.format(record)
            self.stream.write(("\r\x1b[K" if self.status else "") + msg + "\n")
            if self.status:
                self.stream.write(self.status)
            self.flush()
        except Exception:
            self.handleError(record)

    def set_status(self, text: str) -> None:
        if text == self.status:
            return
        self.status = text
        self.stream.write("\r\x1b[K" + text)
        self.flush()


def configure(fmt: str = "text", level: int = logging.INFO, stream: TextIO | None = None) -> logging.Handler:
    """Send zkrevox's logs to ``stream`` (stderr) in ``fmt`` (text | json); returns the handler.

    The node's own loggers log at ``level``; everything else keeps the root's level.
    """
    if fmt not in ("text", "json"):
        from zkrevox.errors import InputError

        raise InputError(f"--log-format must be text or json, got {fmt!r}")
    stream = stream or sys.stderr
    os.environ["ZKREVOX_LOG_FORMAT"] = fmt  # spawned prover workers log in the same format (zkrevox.srs)
    handler: logging.Handler
    if fmt == "json":
        handler = logging.StreamHandler(stream)
        handler.setFormatter(JsonFormatter())
    else:
        handler = StatusLineHandler(stream) if stream.isatty() else logging.StreamHandler(stream)
        handler.setFormatter(TextFormatter())
    root = logging.getLogger()
    for old in list(root.handlers):  # the CLI's plain stderr handler: replaced, so lines are not doubled
        if type(old) is logging.StreamHandler and old.stream in (sys.stderr, stream):
            root.removeHandler(old)
    root.addHandler(handler)
    logging.getLogger("zkrevox.node").setLevel(level)
    return handler
