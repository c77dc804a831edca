"""The ``JobStore`` over PostgreSQL (``zkrevox node --store postgresql://…``): the same contract as the
SQLite store (scoped per deployment; every state change one transaction that checks the current
state, ``SELECT … FOR UPDATE``, and appends to ``transitions``), shared by the machines of one
provider: its nodes (one active, see ``leader``) and its remote provers (``queue``).

Migrations are the numbered files of ``migrations/`` (one per file), applied in order under an
advisory lock at open; the versions applied are kept in ``schema_migrations``. A database with a
migration this build does not know is refused (a newer zkrevox wrote it).

A lost connection (PostgreSQL restarted, network cut) raises ``StoreUnavailable`` (a
``ConnectionError``: the node's loop backs off and retries as for an RPC fault); the next call
connects again. A transaction cut short by it is rolled back by the server, so nothing is half done.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any, TypeVar

from zkrevox.errors import InputError
from zkrevox.node.jobs import Filler, Job, SeenRequest, State, Transition, allowed
from zkrevox.node.store import _COLUMNS, _MUTABLE, JobStore, StaleJobError, _encode, _job

MIGRATIONS = Path(__file__).with_name("migrations")
_MIGRATE_LOCK = 0x7A6B7265  # advisory lock key held while migrating ("zkre")
T = TypeVar("T")


class StoreUnavailable(ConnectionError):
    """The PostgreSQL server cannot be reached now (retried by the caller)."""


def migrations() -> list[tuple[int, str, str]]:
    """``(version, name, sql)`` of every migration file, in order."""
    out = []
    for path in sorted(MIGRATIONS.glob("*.sql")):
        version = int(path.name.split("_", 1)[0])
        out.append((version, path.stem, path.read_text()))
    return out


SCHEMA_VERSION = max(v for v, _n, _s in migrations())


def redact(url: str) -> str:
    """``url`` without its password (for messages)."""
    if "@" not in url or "://" not in url:
        return url
    head, tail = url.split("://", 1)
    cred, host = tail.rsplit("@", 1)
    user = cred.split(":", 1)[0]
    return f"{head}://{user}@{host}"


def connect(url: str, *, timeout: float = 5.0) -> Any:
    """A psycopg connection in autocommit mode (transactions are explicit); ``InputError`` naming the fix
    if the URL is malformed, the server unreachable, or the database missing."""
    from urllib.parse import urlsplit

    import psycopg

    try:
        parts = urlsplit(url)
        _ = parts.port  # raises ValueError for a port that is not a number
        if parts.scheme not in ("postgresql", "postgres") or not parts.hostname or not parts.path.strip("/"):
            raise ValueError("scheme, host and database name are required")
    except ValueError as exc:
        raise InputError(f"--store {redact(url)} is not a PostgreSQL URL ({exc}); use "
                         "postgresql://USER@HOST:PORT/DBNAME") from None
    try:
        return psycopg.connect(url, autocommit=True, connect_timeout=max(1, int(timeout)),
                               application_name="zkrevox")
    except psycopg.ProgrammingError as exc:
        raise InputError(f"--store {redact(url)} is not a PostgreSQL URL ({exc}); use "
                         "postgresql://USER@HOST:PORT/DBNAME") from None
    except psycopg.OperationalError as exc:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        if "does not exist" in text:
            fix = "create it (`createdb`), or start one with `zkrevox db up`"
        else:
            fix = "start it (`zkrevox db up`), or check the host, port and that pg_hba.conf lets this machine in"
        raise InputError(f"PostgreSQL at {redact(url)} cannot be reached ({text}); {fix}") from None


def migrate(conn: Any, url: str = "") -> int:
    """Apply the migrations this database lacks; returns its schema version. ``InputError`` if it has
    migrations this build does not know."""
    known = {v: (n, s) for v, n, s in migrations()}
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (_MIGRATE_LOCK,))
        conn.execute("CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL,"
                     " applied_at TIMESTAMPTZ NOT NULL DEFAULT now())")
        have = {int(r[0]) for r in conn.execute("SELECT version FROM schema_migrations")}
        unknown = sorted(have - set(known))
        if unknown:
            raise InputError(f"the database {redact(url)} has schema version {max(have)} (migrations {unknown} are "
                             f"unknown here); this zkrevox knows up to {SCHEMA_VERSION}: upgrade zkrevox, or "
                             "pass another database")
        for version in sorted(set(known) - have):
            name, sql = known[version]
            conn.execute(sql)
            conn.execute("INSERT INTO schema_migrations (version, name) VALUES (%s, %s)", (version, name))
    return SCHEMA_VERSION


class PgConnection:
    """One connection shared by a process's threads, serialised by a lock, reopened after a fault."""

    def __init__(self, url: str) -> None:
        self.url = url
        self._lock = threading.RLock()
        self._conn: Any = connect(url)
        try:
            migrate(self._conn, url)
        except BaseException:
            self._conn.close()
            raise

    @contextmanager
    def tx(self) -> Iterator[Any]:
        """A transaction (``BEGIN`` … ``COMMIT``, rolled back on error) on the shared connection."""
        import psycopg

        with self._lock:
            conn = self._open()
            try:
                with conn.transaction():
                    yield conn
            except psycopg.OperationalError as exc:
                self._broken()
                raise StoreUnavailable(f"PostgreSQL at {redact(self.url)}: {exc}".strip()) from None

    def run(self, fn: Callable[[Any], T]) -> T:
        with self.tx() as conn:
            return fn(conn)

    def _open(self) -> Any:
        if self._conn is None or self._conn.closed:
            try:
                self._conn = connect(self.url)
            except InputError as exc:
                raise StoreUnavailable(str(exc)) from None
        return self._conn

    def _broken(self) -> None:
        conn, self._conn = self._conn, None
        if conn is not None:
            with contextlib.suppress(Exception):  # already gone
                conn.close()

    def close(self) -> None:
        with self._lock:
            self._broken()


_SELECT = f"SELECT {', '.join(_COLUMNS)} FROM jobs"


class PostgresJobStore(JobStore):
    """``JobStore`` in a PostgreSQL database; several processes (nodes, tools) may open one scope."""

    def __init__(self, url: str, scope: str, info: dict[str, Any] | None = None) -> None:
        self.url = url
        self.scope = scope
        self.db = PgConnection(url)
        self.db.run(lambda c: c.execute("INSERT INTO scopes VALUES (%s, %s, %s) ON CONFLICT (scope) DO NOTHING",
                                        (scope, json.dumps(info or {}, sort_keys=True), time.time())))

    @property
    def path(self) -> str:  # what messages name the store by
        return redact(self.url)

    # ------------------------------------------------------------ jobs

    def insert(self, seen: SeenRequest) -> bool:
        now = time.time()
        with self.db.tx() as c:
            cur = c.execute(
                "INSERT INTO jobs (scope, request_id, state, model_id, requester, prompt, deadline, fee_wei,"
                " block_number, block_hash, request_tx, requested_at, seen_at, updated_at)"
                " VALUES (%s, %s, 'seen', %s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) ON CONFLICT DO NOTHING",
                (self.scope, seen.request_id, seen.model_id, seen.requester, seen.prompt, seen.deadline,
                 str(seen.fee_wei), seen.block_number, seen.block_hash, seen.request_tx, seen.requested_at, now, now))
            if cur.rowcount:
                self._log(c, seen.request_id, None, State.SEEN, now, f"block {seen.block_number}")
            return bool(cur.rowcount)

    def get(self, request_id: int) -> Job | None:
        row = self.db.run(lambda c: c.execute(_SELECT + " WHERE scope = %s AND request_id = %s",
                                               (self.scope, request_id)).fetchone())
        return _job(row) if row else None

    def jobs(self, states: Iterable[State] | None = None) -> list[Job]:
        sql = _SELECT + " WHERE scope = %s"
        args: list[Any] = [self.scope]
        if states is not None:
            sql += " AND state = ANY(%s)"
            args.append([State(s).value for s in states])
        rows = self.db.run(lambda c: c.execute(sql + " ORDER BY deadline, request_id", args).fetchall())
        return [_job(r) for r in rows]

    def _gets(self, c: Any, ids: list[int]) -> list[Job]:
        rows = c.execute(_SELECT + " WHERE scope = %s AND request_id = ANY(%s)", (self.scope, ids)).fetchall()
        by_id = {j.request_id: j for j in map(_job, rows)}
        return [by_id[i] for i in ids if i in by_id]

    def transition(self, request_id: int, dst: State, *, expect: State | None = None, detail: str = "",
                   **fields: Any) -> Job:
        now = time.time()
        with self.db.tx() as c:
            row = c.execute("SELECT state FROM jobs WHERE scope = %s AND request_id = %s FOR UPDATE",
                            (self.scope, request_id)).fetchone()
            if row is None:
                raise StaleJobError(f"request {request_id} is not in the store")
            src = State(row[0])
            if (expect is not None and src != expect) or not allowed(src, dst):
                raise StaleJobError(f"request {request_id} is {src}, cannot move to {dst} (expected {expect})")
            self._set(c, request_id, {**fields, "state": dst.value, "updated_at": now})
            self._log(c, request_id, src, dst, now, detail)
            return self._gets(c, [request_id])[0]

    def transition_many(self, request_ids: list[int], dst: State, *, expect: State, detail: str = "",
                        each: dict[int, dict[str, Any]] | None = None, **fields: Any) -> list[Job]:
        now = time.time()
        with self.db.tx() as c:
            rows = dict(c.execute("SELECT request_id, state FROM jobs WHERE scope = %s AND request_id = ANY(%s)"
                                  " ORDER BY request_id FOR UPDATE", (self.scope, list(request_ids))).fetchall())
            for rid in request_ids:
                src = State(rows[rid]) if rid in rows else None
                if src != expect or src is None or not allowed(src, dst):
                    raise StaleJobError(f"request {rid} is {src}, cannot move to {dst} with its batch "
                                        f"(expected {expect})")
                own = (each or {}).get(rid, {})
                self._set(c, rid, {**fields, **own, "state": dst.value, "updated_at": now})
                self._log(c, rid, src, dst, now, detail)
            return self._gets(c, list(request_ids))

    def claim_ids(self, request_ids: list[int], src: State, dst: State) -> list[Job]:
        now = time.time()
        with self.db.tx() as c:
            taken = [int(r[0]) for r in c.execute(
                "SELECT request_id FROM jobs WHERE scope = %s AND request_id = ANY(%s) AND state = %s"
                " ORDER BY request_id FOR UPDATE SKIP LOCKED", (self.scope, list(request_ids), src.value))]
            keep = [rid for rid in request_ids if rid in set(taken)]
            for rid in keep:
                self._set(c, rid, {"state": dst.value, "updated_at": now})
                self._log(c, rid, src, dst, now, "claimed")
            return self._gets(c, keep)

    def claim(self, src: State, dst: State, limit: int, now: float | None = None) -> list[Job]:
        if limit <= 0:
            return []
        now = time.time() if now is None else now
        with self.db.tx() as c:
            ids = [int(r[0]) for r in c.execute(
                "SELECT request_id FROM jobs WHERE scope = %s AND state = %s AND next_attempt_at <= %s"
                " ORDER BY deadline, request_id LIMIT %s FOR UPDATE SKIP LOCKED",
                (self.scope, src.value, now, limit))]
            for rid in ids:
                self._set(c, rid, {"state": dst.value, "updated_at": now})
                self._log(c, rid, src, dst, now, "claimed")
            return self._gets(c, ids)

    def update(self, request_id: int, **fields: Any) -> Job:
        with self.db.tx() as c:
            self._set(c, request_id, {**fields, "updated_at": time.time()})
            return self._gets(c, [request_id])[0]

    def history(self, request_id: int) -> list[Transition]:
        rows = self.db.run(lambda c: c.execute(
            "SELECT src, dst, at, detail FROM transitions WHERE scope = %s AND request_id = %s ORDER BY id",
            (self.scope, request_id)).fetchall())
        return [Transition(request_id, State(s) if s else None, State(d), at, detail) for s, d, at, detail in rows]

    def counts(self) -> dict[str, int]:
        rows = self.db.run(lambda c: c.execute("SELECT state, COUNT(*) FROM jobs WHERE scope = %s GROUP BY state",
                                               (self.scope,)).fetchall())
        out = {s.value: 0 for s in State}
        out.update({state: int(n) for state, n in rows})
        return out

    # ------------------------------------------------------------ fillers

    def record_filler(self, filler: Filler) -> None:
        self.db.run(lambda c: c.execute(
            "INSERT INTO fillers VALUES (%s, %s, %s, %s, %s, %s, NULL) ON CONFLICT (scope, nonce) DO UPDATE SET"
            " tx_hashes = excluded.tx_hashes, raw_tx = excluded.raw_tx, fees = excluded.fees,"
            " sent_at = excluded.sent_at, outcome = NULL",
            (self.scope, filler.nonce, json.dumps(filler.tx_hashes), filler.raw_tx,
             json.dumps(filler.fees, sort_keys=True), filler.sent_at)))

    def fillers(self, *, live: bool = True) -> list[Filler]:
        sql = "SELECT nonce, tx_hashes, raw_tx, fees, sent_at, outcome FROM fillers WHERE scope = %s"
        if live:
            sql += " AND outcome IS NULL"
        rows = self.db.run(lambda c: c.execute(sql + " ORDER BY nonce", (self.scope,)).fetchall())
        return [Filler(int(n), json.loads(h), raw, {k: int(v) for k, v in json.loads(f).items()}, float(at), out)
                for n, h, raw, f, at, out in rows]

    def settle_filler(self, nonce: int, outcome: str) -> None:
        self.db.run(lambda c: c.execute("UPDATE fillers SET outcome = %s WHERE scope = %s AND nonce = %s",
                                        (outcome, self.scope, nonce)))

    # ------------------------------------------------------------ cursor

    def cursor(self) -> tuple[int, list[tuple[int, str]]] | None:
        row = self.db.run(lambda c: c.execute("SELECT block, recent FROM cursors WHERE scope = %s",
                                               (self.scope,)).fetchone())
        if row is None:
            return None
        return int(row[0]), [(int(n), str(h)) for n, h in json.loads(row[1])]

    def set_cursor(self, block: int, recent: list[tuple[int, str]]) -> None:
        self.db.run(lambda c: c.execute(
            "INSERT INTO cursors VALUES (%s, %s, %s) ON CONFLICT (scope) DO UPDATE SET block = excluded.block,"
            " recent = excluded.recent", (self.scope, block, json.dumps(recent))))

    def close(self) -> None:
        self.db.close()

    # ------------------------------------------------------------ plumbing

    def _set(self, c: Any, request_id: int, fields: dict[str, Any]) -> None:
        unknown = set(fields) - _MUTABLE - {"state"}
        if unknown:
            raise TypeError(f"unknown job fields {sorted(unknown)}")
        values = {k: _encode(k, v) for k, v in fields.items()}
        sql = ", ".join(f"{k} = %s" for k in values)
        c.execute(f"UPDATE jobs SET {sql} WHERE scope = %s AND request_id = %s",
                  [*values.values(), self.scope, request_id])

    def _log(self, c: Any, rid: int, src: State | None, dst: State, at: float, detail: str) -> None:
        c.execute("INSERT INTO transitions (scope, request_id, src, dst, at, detail) VALUES (%s, %s, %s, %s, %s, %s)",
                  (self.scope, rid, src.value if src else None, dst.value, at, detail))


def is_url(spec: str | Path | None) -> bool:
    return isinstance(spec, str) and spec.startswith(("postgresql://", "postgres://"))


def open_store(spec: str | Path, scope: str, info: dict[str, Any] | None = None) -> JobStore:
    """The store ``spec`` names: a ``postgresql://`` URL, or the path of a SQLite file."""
    if is_url(spec):
        return PostgresJobStore(str(spec), scope, info)
    from zkrevox.node.store import SqliteJobStore

    return SqliteJobStore(Path(spec), scope, info)
