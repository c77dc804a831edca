"""The node's off-chain view of a request, read from its job store (``zkrevox node --db PATH``) for
the request page's timeline: seen, proving, proved, submitted, with times. Read-only: the file is
opened with SQLite's ``mode=ro`` and never written."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from zkrevox.errors import InputError


def job_state(store: str, dep: Any, request_id: int) -> dict[str, Any] | None:
    """``{"state", "scope_provider", "history": [{"from", "to", "at", "detail"}]}`` of ``request_id``
    in the scopes of ``store`` that belong to ``dep``'s DPrompt; None when no node recorded it.
    InputError when the file is not a job store."""
    path = _sqlite_store(store)
    try:
        db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    except sqlite3.Error as exc:
        raise InputError(f"job store {path} cannot be opened read-only: {exc}") from None
    try:
        scopes = [scope for scope, info in db.execute("SELECT scope, info FROM scopes")
                  if str(json.loads(info).get("dprompt", "")).lower() == dep.dprompt.address.lower()]
        for scope in scopes:
            row = db.execute("SELECT state FROM jobs WHERE scope = ? AND request_id = ?",
                             (scope, request_id)).fetchone()
            if row is None:
                continue
            history = [{"from": src, "to": dst, "at": at, "detail": detail} for src, dst, at, detail in db.execute(
                "SELECT src, dst, at, detail FROM transitions WHERE scope = ? AND request_id = ? ORDER BY id",
                (scope, request_id))]
            return {"request_id": request_id, "state": row[0], "history": history}
    except sqlite3.Error as exc:
        raise InputError(f"{path} is not a zkrevox job store ({exc})") from None
    finally:
        db.close()
    return None


def provider_queue(store: str, dep: Any, provider: str) -> dict[str, Any] | None:
    """The queue of ``provider``'s node for ``dep``'s DPrompt from its job store: ``{"counts": {state: n},
    "prove_seconds": {"n", "median", "max"}}`` over every job it recorded; None when no scope of the
    store is that provider's on that DPrompt."""
    path = _sqlite_store(store)
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=5)
    try:
        scopes = [scope for scope, info in db.execute("SELECT scope, info FROM scopes")
                  if str(json.loads(info).get("dprompt", "")).lower() == dep.dprompt.address.lower()
                  and str(json.loads(info).get("provider", "")).lower() == provider.lower()]
        if not scopes:
            return None
        marks = ", ".join("?" * len(scopes))
        counts = dict(db.execute(f"SELECT state, COUNT(*) FROM jobs WHERE scope IN ({marks}) GROUP BY state", scopes))
        times = sorted(t for (t,) in db.execute(
            f"SELECT prove_seconds FROM jobs WHERE scope IN ({marks}) AND prove_seconds IS NOT NULL", scopes))
    except sqlite3.Error as exc:
        raise InputError(f"{path} is not a zkrevox job store ({exc})") from None
    finally:
        db.close()
    prove = {"n": len(times), "median": times[len(times) // 2] if times else None, "max": times[-1] if times else None}
    return {"counts": counts, "prove_seconds": prove}


def _sqlite_store(store: str) -> Path:
    """The node's SQLite job store file; InputError for a PostgreSQL URL (not read here yet) or a missing file."""
    if store.startswith(("postgresql://", "postgres://")):
        raise InputError("zkrevox web reads the node's SQLite job store (its --db file); a PostgreSQL store "
                         f"({store.split('@')[-1]}) is not read by the pages yet: start zkrevox web without --store")
    path = Path(store)
    if not path.is_file():
        raise InputError(f"job store {path} does not exist (pass the node's --db file as --store)")
    return path
