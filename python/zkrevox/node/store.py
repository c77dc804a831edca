"""Where the node keeps its jobs and its place in the chain: the ``JobStore`` interface and the
embedded SQLite implementation.

A store is *scoped* to one deployment (chain, genesis, DPrompt address, provider): a chain
restarted under the node, or another provider on the same file, gets a fresh scope and never
mixes request ids with the old one. Every state change is one transaction that checks the
current state (compare-and-set) and appends to ``transitions``, so the history of a request can
be read back and two claimers can never take the same job. That is also the contract a shared
queue must keep: a fleet of provers on several machines would implement ``JobStore`` over an
existing engine (PostgreSQL ``UPDATE … WHERE state = … RETURNING`` with ``SKIP LOCKED``, or a
broker with acknowledgements), not a home-made one.
"""

from __future__ import annotations

import abc
import json
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

from zkrevox.errors import InputError
from zkrevox.node.jobs import LIVE, Filler, Job, SeenRequest, State, Transition, allowed

SCHEMA_VERSION = 4


class StaleJobError(RuntimeError):
    """The job is not in the state the caller expected (another actor moved it first)."""


class JobStore(abc.ABC):
    """The node's persistence. Implementations must make ``transition`` and ``claim`` atomic."""

    @abc.abstractmethod
    def insert(self, seen: SeenRequest) -> bool:
        """Record a newly seen request in state ``seen``; False (and no change) if it is known."""

    @abc.abstractmethod
    def get(self, request_id: int) -> Job | None: ...

    @abc.abstractmethod
    def jobs(self, states: Iterable[State] | None = None) -> list[Job]:
        """Jobs in ``states`` (all if None), earliest deadline first."""

    @abc.abstractmethod
    def transition(self, request_id: int, dst: State, *, expect: State | None = None, detail: str = "",
                   **fields: Any) -> Job:
        """Move a job to ``dst`` (and set ``fields``) if the move is allowed and, with ``expect``, the job
        is in that state; raises ``StaleJobError`` otherwise."""

    @abc.abstractmethod
    def transition_many(self, request_ids: list[int], dst: State, *, expect: State, detail: str = "",
                        each: dict[int, dict[str, Any]] | None = None, **fields: Any) -> list[Job]:
        """Move every job of ``request_ids`` (the members of one batch) to ``dst`` in one transaction, or
        none: raises ``StaleJobError`` if any is not in ``expect``. ``each``: fields of single jobs."""

    @abc.abstractmethod
    def update(self, request_id: int, **fields: Any) -> Job:
        """Set fields without changing the state (errors, backoff)."""

    @abc.abstractmethod
    def claim(self, src: State, dst: State, limit: int, now: float | None = None) -> list[Job]:
        """Atomically move up to ``limit`` due jobs (``next_attempt_at`` passed) from ``src`` to ``dst``."""

    @abc.abstractmethod
    def claim_ids(self, request_ids: list[int], src: State, dst: State) -> list[Job]:
        """Atomically move those of ``request_ids`` that are in ``src`` to ``dst``; returns them."""

    @abc.abstractmethod
    def history(self, request_id: int) -> list[Transition]: ...

    @abc.abstractmethod
    def record_filler(self, filler: Filler) -> None:
        """Record (before it is broadcast) a transaction that fills a nonce gap, or its replacement."""

    @abc.abstractmethod
    def fillers(self, *, live: bool = True) -> list[Filler]:
        """Gap fillers not yet settled (all if ``live`` is False), lowest nonce first."""

    @abc.abstractmethod
    def settle_filler(self, nonce: int, outcome: str) -> None:
        """Mark the filler of ``nonce`` settled: ``mined`` or ``superseded`` (the nonce was used otherwise)."""

    @abc.abstractmethod
    def counts(self) -> dict[str, int]: ...

    @abc.abstractmethod
    def cursor(self) -> tuple[int, list[tuple[int, str]]] | None:
        """The last processed block and recent ``(number, hash)`` pairs (for reorg detection)."""

    @abc.abstractmethod
    def set_cursor(self, block: int, recent: list[tuple[int, str]]) -> None: ...

    @abc.abstractmethod
    def close(self) -> None: ...

    def fail_live(self, reason: str, detail: str) -> int:
        """Mark every live job failed (the chain they belong to is gone); returns how many."""
        live = self.jobs(LIVE)
        for job in live:
            self.transition(job.request_id, State.FAILED, detail=detail, reason=reason, last_error=detail)
        return len(live)


_COLUMNS = (
    "request_id", "state", "model_id", "requester", "prompt", "deadline", "fee_wei", "block_number", "block_hash",
    "request_tx", "requested_at", "attempts", "proof_path", "prove_seconds", "nonce", "tx_hashes", "raw_tx",
    "tx_fees", "sent_at", "fulfil_tx", "gas_used", "reason", "last_error", "next_attempt_at", "seen_at",
    "updated_at", "confirmed_at", "batch", "timeouts", "optimistic", "answer", "window_end", "finalize_tx",
)
_MUTABLE = frozenset(_COLUMNS) - {"request_id", "state"}

_SCHEMA = """
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
CREATE TABLE IF NOT EXISTS scopes (scope TEXT PRIMARY KEY, info TEXT NOT NULL, created_at REAL NOT NULL);
CREATE TABLE IF NOT EXISTS jobs (
    scope TEXT NOT NULL, request_id INTEGER NOT NULL, state TEXT NOT NULL,
    model_id INTEGER NOT NULL, requester TEXT NOT NULL, prompt BLOB NOT NULL, deadline INTEGER NOT NULL,
    fee_wei TEXT NOT NULL, block_number INTEGER NOT NULL, block_hash TEXT NOT NULL, request_tx TEXT NOT NULL,
    requested_at INTEGER NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, proof_path TEXT, prove_seconds REAL,
    nonce INTEGER, tx_hashes TEXT NOT NULL DEFAULT '[]', raw_tx TEXT, tx_fees TEXT NOT NULL DEFAULT '{}',
    sent_at REAL, fulfil_tx TEXT, gas_used INTEGER, reason TEXT, last_error TEXT,
    next_attempt_at REAL NOT NULL DEFAULT 0, seen_at REAL NOT NULL, updated_at REAL NOT NULL, confirmed_at REAL,
    PRIMARY KEY (scope, request_id)
);
CREATE INDEX IF NOT EXISTS jobs_by_state ON jobs (scope, state, deadline);
CREATE TABLE IF NOT EXISTS transitions (
    id INTEGER PRIMARY KEY AUTOINCREMENT, scope TEXT NOT NULL, request_id INTEGER NOT NULL,
    src TEXT, dst TEXT NOT NULL, at REAL NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS transitions_by_request ON transitions (scope, request_id);
CREATE TABLE IF NOT EXISTS cursors (scope TEXT PRIMARY KEY, block INTEGER NOT NULL, recent TEXT NOT NULL);
"""

# Schema 2: batches (a job's ``batch`` is the ordered member list of the proof it is in) and prove
# time-outs per job; nonce-gap fillers. A schema-1 store is migrated in place.
_SCHEMA_2 = """
CREATE TABLE IF NOT EXISTS fillers (
    scope TEXT NOT NULL, nonce INTEGER NOT NULL, tx_hashes TEXT NOT NULL, raw_tx TEXT NOT NULL, fees TEXT NOT NULL,
    sent_at REAL NOT NULL, outcome TEXT, PRIMARY KEY (scope, nonce)
);
"""
_JOB_COLUMNS_2 = (("batch", "TEXT"), ("timeouts", "INTEGER NOT NULL DEFAULT 0"))
# Schema 3: optimistic requests (mode, bitmap answered, challenge window end, finalize transaction).
_JOB_COLUMNS_3 = (("optimistic", "INTEGER"), ("answer", "TEXT"), ("window_end", "INTEGER"), ("finalize_tx", "TEXT"))
# Schema 4: the single proofs this node made, kept for later requests with the same features
# (``node.proofcache``). Not scoped: a proof attests to features under a vk, on any chain.
_SCHEMA_4 = """
CREATE TABLE IF NOT EXISTS proofs (
    model TEXT NOT NULL, vk_sha256 TEXT NOT NULL, batch INTEGER NOT NULL, features TEXT NOT NULL,
    proof_path TEXT NOT NULL, request_id INTEGER NOT NULL, made_at REAL NOT NULL, uses INTEGER NOT NULL DEFAULT 0,
    PRIMARY KEY (model, vk_sha256, batch, features)
);
"""


class SqliteJobStore(JobStore):
    """The default store: one SQLite file (WAL, synchronous=FULL: a committed transition survives a
    crash of the process or of the machine). Safe to share between the node's threads."""

    def __init__(self, path: Path, scope: str, info: dict[str, Any] | None = None) -> None:
        self.path = Path(path)
        self.scope = scope
        self.path.parent.mkdir(parents=True, exist_ok=True)
        try:
            self._db = sqlite3.connect(self.path, timeout=30, isolation_level=None, check_same_thread=False)
            self._db.execute("PRAGMA journal_mode=WAL")
            self._db.execute("PRAGMA synchronous=FULL")
            self._db.executescript(_SCHEMA)
            self._db.executescript(_SCHEMA_2)
            self._db.executescript(_SCHEMA_4)
            have = {row[1] for row in self._db.execute("PRAGMA table_info(jobs)")}
            for name, decl in (*_JOB_COLUMNS_2, *_JOB_COLUMNS_3):
                if name not in have:
                    self._db.execute(f"ALTER TABLE jobs ADD COLUMN {name} {decl}")
        except sqlite3.DatabaseError as exc:
            raise InputError(f"job store {self.path} cannot be opened ({exc}); pass another --db") from None
        self._lock = threading.RLock()
        version = self._db.execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
        if version is None:
            self._db.execute("INSERT INTO meta VALUES ('schema', ?)", (str(SCHEMA_VERSION),))
        elif int(version[0]) in (1, 2, 3):  # migrated above: the new columns and tables are added
            self._db.execute("UPDATE meta SET value = ? WHERE key = 'schema'", (str(SCHEMA_VERSION),))
        elif int(version[0]) != SCHEMA_VERSION:
            raise InputError(f"job store {self.path} has schema {version[0]}, this node needs {SCHEMA_VERSION}")
        self._db.execute("INSERT OR IGNORE INTO scopes VALUES (?, ?, ?)",
                         (scope, json.dumps(info or {}, sort_keys=True), time.time()))

    # ------------------------------------------------------------ jobs

    def insert(self, seen: SeenRequest) -> bool:
        now = time.time()
        with self._tx() as db:
            cur = db.execute(
                "INSERT OR IGNORE INTO jobs (scope, request_id, state, model_id, requester, prompt, deadline, fee_wei,"
                " block_number, block_hash, request_tx, requested_at, seen_at, updated_at)"
                " VALUES (?, ?, 'seen', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
                (self.scope, seen.request_id, seen.model_id, seen.requester, seen.prompt, seen.deadline,
                 str(seen.fee_wei), seen.block_number, seen.block_hash, seen.request_tx, seen.requested_at, now, now),
            )
            if cur.rowcount:
                self._log(db, seen.request_id, None, State.SEEN, now, f"block {seen.block_number}")
            return bool(cur.rowcount)

    def get(self, request_id: int) -> Job | None:
        with self._lock:
            row = self._db.execute(f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE scope = ? AND request_id = ?",
                                   (self.scope, request_id)).fetchone()
        return _job(row) if row else None

    def jobs(self, states: Iterable[State] | None = None) -> list[Job]:
        sql = f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE scope = ?"
        args: list[Any] = [self.scope]
        if states is not None:
            wanted = [State(s).value for s in states]
            sql += f" AND state IN ({', '.join('?' * len(wanted))})"
            args += wanted
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY deadline, request_id", args).fetchall()
        return [_job(r) for r in rows]

    def transition(self, request_id: int, dst: State, *, expect: State | None = None, detail: str = "",
                   **fields: Any) -> Job:
        now = time.time()
        with self._tx() as db:
            row = db.execute("SELECT state FROM jobs WHERE scope = ? AND request_id = ?",
                             (self.scope, request_id)).fetchone()
            if row is None:
                raise StaleJobError(f"request {request_id} is not in the store")
            src = State(row[0])
            if (expect is not None and src != expect) or not allowed(src, dst):
                raise StaleJobError(f"request {request_id} is {src}, cannot move to {dst} (expected {expect})")
            self._set(db, request_id, {**fields, "state": dst.value, "updated_at": now})
            self._log(db, request_id, src, dst, now, detail)
        job = self.get(request_id)
        assert job is not None
        return job

    def transition_many(self, request_ids: list[int], dst: State, *, expect: State, detail: str = "",
                        each: dict[int, dict[str, Any]] | None = None, **fields: Any) -> list[Job]:
        now = time.time()
        with self._tx() as db:
            for rid in request_ids:
                row = db.execute("SELECT state FROM jobs WHERE scope = ? AND request_id = ?",
                                 (self.scope, rid)).fetchone()
                src = State(row[0]) if row else None
                if src != expect or not allowed(src, dst):
                    raise StaleJobError(f"request {rid} is {src}, cannot move to {dst} with its batch "
                                        f"(expected {expect})")
                own = (each or {}).get(rid, {})
                self._set(db, rid, {**fields, **own, "state": dst.value, "updated_at": now})
                self._log(db, rid, src, dst, now, detail)
        return [j for j in (self.get(rid) for rid in request_ids) if j is not None]

    def claim_ids(self, request_ids: list[int], src: State, dst: State) -> list[Job]:
        now = time.time()
        taken = []
        with self._tx() as db:
            for rid in request_ids:
                row = db.execute("SELECT state FROM jobs WHERE scope = ? AND request_id = ?",
                                 (self.scope, rid)).fetchone()
                if row is None or row[0] != src.value:
                    continue
                self._set(db, rid, {"state": dst.value, "updated_at": now})
                self._log(db, rid, src, dst, now, "claimed")
                taken.append(rid)
        return [j for j in (self.get(rid) for rid in taken) if j is not None]

    def record_filler(self, filler: Filler) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO fillers VALUES (?, ?, ?, ?, ?, ?, NULL) ON CONFLICT (scope, nonce) DO UPDATE SET"
                       " tx_hashes = excluded.tx_hashes, raw_tx = excluded.raw_tx, fees = excluded.fees,"
                       " sent_at = excluded.sent_at, outcome = NULL",
                       (self.scope, filler.nonce, json.dumps(filler.tx_hashes), filler.raw_tx,
                        json.dumps(filler.fees, sort_keys=True), filler.sent_at))

    def fillers(self, *, live: bool = True) -> list[Filler]:
        sql = "SELECT nonce, tx_hashes, raw_tx, fees, sent_at, outcome FROM fillers WHERE scope = ?"
        if live:
            sql += " AND outcome IS NULL"
        with self._lock:
            rows = self._db.execute(sql + " ORDER BY nonce", (self.scope,)).fetchall()
        return [Filler(int(n), json.loads(h), raw, {k: int(v) for k, v in json.loads(f).items()}, float(at), out)
                for n, h, raw, f, at, out in rows]

    def settle_filler(self, nonce: int, outcome: str) -> None:
        with self._tx() as db:
            db.execute("UPDATE fillers SET outcome = ? WHERE scope = ? AND nonce = ?", (outcome, self.scope, nonce))

    def update(self, request_id: int, **fields: Any) -> Job:
        with self._tx() as db:
            self._set(db, request_id, {**fields, "updated_at": time.time()})
        job = self.get(request_id)
        assert job is not None
        return job

    def claim(self, src: State, dst: State, limit: int, now: float | None = None) -> list[Job]:
        if limit <= 0:
            return []
        now = time.time() if now is None else now
        with self._tx() as db:
            ids = [r[0] for r in db.execute(
                "SELECT request_id FROM jobs WHERE scope = ? AND state = ? AND next_attempt_at <= ?"
                " ORDER BY deadline, request_id LIMIT ?", (self.scope, src.value, now, limit))]
            for rid in ids:
                self._set(db, rid, {"state": dst.value, "updated_at": now})
                self._log(db, rid, src, dst, now, "claimed")
        return [j for j in (self.get(rid) for rid in ids) if j is not None]

    def history(self, request_id: int) -> list[Transition]:
        with self._lock:
            rows = self._db.execute(
                "SELECT src, dst, at, detail FROM transitions WHERE scope = ? AND request_id = ? ORDER BY id",
                (self.scope, request_id)).fetchall()
        return [Transition(request_id, State(s) if s else None, State(d), at, detail) for s, d, at, detail in rows]

    def counts(self) -> dict[str, int]:
        with self._lock:
            rows = self._db.execute("SELECT state, COUNT(*) FROM jobs WHERE scope = ? GROUP BY state",
                                    (self.scope,)).fetchall()
        out = {s.value: 0 for s in State}
        out.update({state: n for state, n in rows})
        return out

    # ------------------------------------------------------------ cursor

    def cursor(self) -> tuple[int, list[tuple[int, str]]] | None:
        with self._lock:
            row = self._db.execute("SELECT block, recent FROM cursors WHERE scope = ?", (self.scope,)).fetchone()
        if row is None:
            return None
        return int(row[0]), [(int(n), str(h)) for n, h in json.loads(row[1])]

    def set_cursor(self, block: int, recent: list[tuple[int, str]]) -> None:
        with self._tx() as db:
            db.execute("INSERT INTO cursors VALUES (?, ?, ?) ON CONFLICT (scope) DO UPDATE SET block = excluded.block,"
                       " recent = excluded.recent", (self.scope, block, json.dumps(recent)))

    def close(self) -> None:
        with self._lock:
            self._db.close()

    # ------------------------------------------------------------ plumbing

    def _tx(self) -> _Transaction:
        return _Transaction(self._db, self._lock)

    def _set(self, db: sqlite3.Connection, request_id: int, fields: dict[str, Any]) -> None:
        unknown = set(fields) - _MUTABLE - {"state"}
        if unknown:
            raise TypeError(f"unknown job fields {sorted(unknown)}")
        values = {k: _encode(k, v) for k, v in fields.items()}
        sql = ", ".join(f"{k} = ?" for k in values)
        db.execute(f"UPDATE jobs SET {sql} WHERE scope = ? AND request_id = ?",
                   [*values.values(), self.scope, request_id])

    def _log(self, db: sqlite3.Connection, rid: int, src: State | None, dst: State, at: float, detail: str) -> None:
        db.execute("INSERT INTO transitions (scope, request_id, src, dst, at, detail) VALUES (?, ?, ?, ?, ?, ?)",
                   (self.scope, rid, src.value if src else None, dst.value, at, detail))


class ModelJobs:
    """One model's share of a node's job store (``zkrevox node --model A --model B``): ``jobs`` and
    ``counts`` list only the jobs whose ``model_id`` passes ``keep``; every other call goes to the
    shared store (a request id is unique on a DPrompt, so the jobs of several models live in one
    store, one scope, under one cursor, and each knows its model). Each model's pipeline works its
    own jobs through one of these; the submitter, which holds the provider's nonces, sees them all."""

    def __init__(self, store: JobStore, keep: Callable[[int], bool]) -> None:
        self._store = store
        self._keep = keep

    def jobs(self, states: Iterable[State] | None = None) -> list[Job]:
        return [j for j in self._store.jobs(states) if self._keep(j.model_id)]

    def counts(self) -> dict[str, int]:
        out = {s.value: 0 for s in State}
        for job in self.jobs():
            out[job.state.value] += 1
        return out

    def __getattr__(self, name: str) -> Any:
        return getattr(self._store, name)


class _Transaction:
    """``BEGIN IMMEDIATE`` … ``COMMIT`` (rolled back on error) under the store's lock."""

    def __init__(self, db: sqlite3.Connection, lock: threading.RLock) -> None:
        self._db, self._lock = db, lock

    def __enter__(self) -> sqlite3.Connection:
        self._lock.acquire()
        try:
            self._db.execute("BEGIN IMMEDIATE")
        except BaseException:
            self._lock.release()
            raise
        return self._db

    def __exit__(self, exc_type: object, *_: object) -> None:
        try:
            self._db.execute("ROLLBACK" if exc_type else "COMMIT")
        finally:
            self._lock.release()


def _encode(key: str, value: Any) -> Any:
    if key == "batch":
        return None if value is None else json.dumps([int(v) for v in value])
    if key == "tx_hashes":
        return json.dumps(list(value))
    if key == "tx_fees":
        return json.dumps(dict(value), sort_keys=True)
    if key == "fee_wei":
        return str(int(value))
    if key == "answer":
        return None if value is None else str(int(value))
    if key == "optimistic":
        return None if value is None else int(bool(value))
    if isinstance(value, State):
        return value.value
    return value


def _job(row: tuple) -> Job:
    d = dict(zip(_COLUMNS, row, strict=True))
    d["state"] = State(d["state"])
    d["prompt"] = bytes(d["prompt"])
    d["fee_wei"] = int(d["fee_wei"])
    d["tx_hashes"] = json.loads(d["tx_hashes"])
    d["tx_fees"] = {k: int(v) for k, v in json.loads(d["tx_fees"]).items()}
    d["batch"] = json.loads(d["batch"]) if d["batch"] else None
    d["answer"] = None if d["answer"] is None else int(d["answer"])
    d["optimistic"] = None if d["optimistic"] is None else bool(d["optimistic"])
    return Job(**d)


def read_jobs(path: Path, state: str | None = None) -> list[dict[str, Any]]:
    """The jobs of the newest scope in the store at ``path``, with their transitions (for reports)."""
    if not Path(path).is_file():
        raise InputError(f"no job store at {path}; pass the --db a node ran with")
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        row = db.execute("SELECT scope FROM scopes ORDER BY created_at DESC LIMIT 1").fetchone()
        if row is None:
            return []
        scope = row[0]
        sql = f"SELECT {', '.join(_COLUMNS)} FROM jobs WHERE scope = ?"
        args: list[Any] = [scope]
        if state:
            sql += " AND state = ?"
            args.append(State(state).value)
        out = []
        for r in db.execute(sql + " ORDER BY request_id", args).fetchall():
            job = _job(r)
            hist = db.execute("SELECT src, dst, at, detail FROM transitions WHERE scope = ? AND request_id = ?"
                              " ORDER BY id", (scope, job.request_id)).fetchall()
            out.append({
                "scope": scope, "request_id": job.request_id, "state": job.state.value, "model_id": job.model_id,
                "prompt": job.prompt_text, "attempts": job.attempts, "prove_seconds": job.prove_seconds,
                "proof_path": job.proof_path, "nonce": job.nonce, "tx_hashes": job.tx_hashes,
                "fulfil_tx": job.fulfil_tx, "gas_used": job.gas_used, "reason": job.reason,
                "last_error": job.last_error, "requested_at": job.requested_at, "seen_at": job.seen_at,
                "confirmed_at": job.confirmed_at, "e2e_seconds": job.e2e_seconds, "batch": job.batch,
                "timeouts": job.timeouts, "optimistic": job.optimistic, "answer": job.answer,
                "window_end": job.window_end, "finalize_tx": job.finalize_tx,
                "prove_attempts": sum(1 for _s, d, _at, _d in hist if d == State.PROVING.value),
                "send_attempts": sum(1 for _s, d, _at, _d in hist if d == State.SUBMITTED.value),
                "failures": job.attempts,
                "history": [{"from": s, "to": d, "at": at, "detail": detail} for s, d, at, detail in hist],
            })
        return out
    except ValueError:
        raise InputError(f"unknown state {state!r}; one of {', '.join(s.value for s in State)}") from None
    finally:
        db.close()
