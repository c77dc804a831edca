"""One active node per provider: a PostgreSQL session advisory lock named by the node's scope
(chain, DPrompt, provider). Nodes started with the same key and ``--store`` wait on standby until
they hold it; the active one's death (SIGKILL, machine gone) closes its session and the server
drops the lock at once, so a standby polling every ``poll`` seconds takes over within about that.

The active node checks each tick that its lock session is alive (``held``); a node that lost it
(the database restarted, the network cut) stops acting at once and waits for the lock again, so
two nodes never send for one provider at the same time. What the old active left in flight is in
the store: the new one resumes it (write-ahead transactions, compare-and-set states).
"""

from __future__ import annotations

import contextlib
import hashlib
import threading
from collections.abc import Callable
from typing import Any

from zkrevox.errors import ChainError, InputError
from zkrevox.node.store_pg import StoreUnavailable, connect


class LeaderLost(ChainError):
    """This node's active lock is gone (its database session ended): it must stop acting."""


def lock_key(scope: str) -> int:
    """A signed 64-bit advisory lock key for ``scope``."""
    return int.from_bytes(hashlib.sha256(("zkrevox-node:" + scope).encode()).digest()[:8], "big", signed=True)


class Leader:
    def __init__(self, url: str, scope: str, poll: float = 0.5) -> None:
        self.url = url
        self.key = lock_key(scope)
        self.poll = poll
        self._conn: Any = None

    def acquire(self, stop: threading.Event, on_wait: Callable[[str], None] | None = None) -> bool:
        """Block until this node holds the lock (True) or ``stop`` is set (False)."""
        told = False
        while not stop.is_set():
            try:
                if self._conn is None or self._conn.closed:
                    self._conn = connect(self.url)
                (got,) = self._conn.execute("SELECT pg_try_advisory_lock(%s)", (self.key,)).fetchone()
                if got:
                    return True
                why = "standby: another node holds this provider's active lock"
            except (InputError, StoreUnavailable, OSError) as exc:
                self.release()
                why = f"standby: the store cannot be reached ({exc})"
            except Exception as exc:  # psycopg.OperationalError: the session died while asking
                self.release()
                why = f"standby: the store cannot be reached ({type(exc).__name__}: {exc})"
            if on_wait is not None and not told:
                on_wait(why)
                told = True
            stop.wait(self.poll)
        return False

    def held(self) -> bool:
        """True while the lock's session is alive (the lock lives as long as it)."""
        if self._conn is None or self._conn.closed:
            return False
        try:
            self._conn.execute("SELECT 1").fetchone()  # a session lock is never released but with the session
            return True
        except Exception:
            self.release()
            return False

    def release(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):
                conn.close()  # ends the session: the lock goes with it
