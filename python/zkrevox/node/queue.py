"""Proof jobs in PostgreSQL: the queue between a node and its remote provers (``zkrevox prover``).

A row of ``proof_jobs`` (migration 2) is one proof: one request, or one batch proof. Its life::

    queued ──claim──► claimed ──result (same lease)──► done ──────┐
      ▲                  │  └──error, tries left──► queued        ├─ the node collects ─► collected
      └──lease expired───┘  └──tries spent / bad prompt─► failed ─┘
    (the node cancels what it no longer wants: cancelled)

- **Claim**: ``UPDATE … WHERE id = (SELECT id … FOR UPDATE SKIP LOCKED LIMIT 1) RETURNING …``: no two
  provers take one row, and a claim never waits for another's. It counts a try and a new lease
  number; ``lease_until`` is in the database's clock (``now()``), so provers' clocks do not matter.
- **Heartbeat**: the prover renews ``lease_until`` of what it proves; a row it no longer holds
  (expired and claimed by another) is not renewed, and the prover learns it lost it.
- **Sweep** (run by provers and the node): a claimed row past its lease is queued again, or failed
  (``lease-expired``) once its tries are spent.
- **Result**: accepted only for the lease it was claimed under and only while still claimed; a late
  result of an expired lease changes nothing (its proof is discarded). Two proofs of one job may
  be made; the node collects one row once, and the fulfilment is guarded by the job store's
  compare-and-set transitions.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zkrevox.node.store_pg import PgConnection

MAX_TRIES = 3  # claims of one proof job before it is failed (a poison prompt, or provers dying on it)
LEASE_S = 30.0  # a claim's lease; renewed every LEASE_S / 3 by the prover's heartbeat
PROVER_ALIVE_S = 15.0  # a prover not heard from for this long counts for no slots


@dataclass(frozen=True)
class Claimed:
    id: int
    scope: str
    model: str
    size: int
    vk_sha256: str | None
    request_ids: tuple[int, ...]
    prompts: list[bytes]
    lease: int
    tries: int
    max_tries: int


@dataclass(frozen=True)
class Finished:
    id: int
    request_ids: tuple[int, ...]
    state: str  # done | failed
    files: dict[str, str] | None  # the proof directory's files (done)
    prove_seconds: float | None
    error: str | None
    error_kind: str | None  # input | witness | proof | lease-expired (failed)


class ProofQueue:
    """SQL on ``proof_jobs`` and ``provers``; one per process side (node or prover)."""

    def __init__(self, db: PgConnection) -> None:
        self.db = db

    # ------------------------------------------------------------ node side

    def enqueue(self, scope: str, model: str, request_ids: list[int], prompts: list[bytes], deadline: int,
                vk_sha256: str | None, *, lease_s: float = LEASE_S, max_tries: int = MAX_TRIES) -> int:
        row = self.db.run(lambda c: c.execute(
            "INSERT INTO proof_jobs (scope, model, size, vk_sha256, request_ids, prompts, deadline, max_tries,"
            " lease_seconds) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
            (scope, model, len(request_ids), vk_sha256, list(request_ids), [bytes(p) for p in prompts],
             int(deadline), max_tries, lease_s)).fetchone())
        return int(row[0])

    def finished(self, ids: list[int]) -> list[Finished]:
        """Rows of ``ids`` that are done or failed, each moved to ``collected`` (returned once only)."""
        if not ids:
            return []
        rows = self.db.run(lambda c: c.execute(
            "WITH f AS (SELECT id, state FROM proof_jobs WHERE id = ANY(%s) AND state IN ('done', 'failed')"
            " FOR UPDATE) UPDATE proof_jobs p SET state = 'collected' FROM f WHERE p.id = f.id"
            " RETURNING p.id, p.request_ids, f.state, p.proof, p.prove_seconds, p.error, p.error_kind",
            (ids,)).fetchall())
        out = []
        for rid, reqs, state, proof, seconds, error, kind in rows:
            files = json.loads(bytes(proof)) if proof is not None else None
            out.append(Finished(int(rid), tuple(int(r) for r in reqs), state, files, seconds, error, kind))
        return out

    def cancel(self, ids: list[int] | None = None, *, scope: str | None = None) -> int:
        """Cancel ``ids`` (or every unfinished row of ``scope``); a prover's result for them is dropped."""
        args: list[Any] = [ids] if ids is not None else [scope]
        sql = "id = ANY(%s)" if ids is not None else "scope = %s"
        return self.db.run(lambda c: c.execute(
            f"UPDATE proof_jobs SET state = 'cancelled', finished_at = now() WHERE {sql} AND state IN"
            " ('queued', 'claimed', 'done', 'failed')", args).rowcount)

    def open_jobs(self, scope: str) -> list[tuple[int, tuple[int, ...]]]:
        """``(id, request_ids)`` of ``scope``'s rows not yet collected nor cancelled (a new active node adopts them)."""
        rows = self.db.run(lambda c: c.execute(
            "SELECT id, request_ids FROM proof_jobs WHERE scope = %s"
            " AND state IN ('queued', 'claimed', 'done', 'failed') ORDER BY id", (scope,)).fetchall())
        return [(int(i), tuple(int(r) for r in reqs)) for i, reqs in rows]

    def states(self, ids: list[int]) -> dict[int, tuple[str, float]]:
        """``id -> (state, seconds since enqueued)``."""
        if not ids:
            return {}
        rows = self.db.run(lambda c: c.execute(
            "SELECT id, state, EXTRACT(EPOCH FROM now() - created_at) FROM proof_jobs WHERE id = ANY(%s)",
            (ids,)).fetchall())
        return {int(i): (s, float(age)) for i, s, age in rows}

    def depth(self, scope: str | None = None) -> dict[str, Any]:
        """Queued and claimed rows, and the age in seconds of the oldest queued one (0 if none)."""
        where, args = ("WHERE scope = %s", [scope]) if scope else ("", [])
        row = self.db.run(lambda c: c.execute(
            "SELECT COUNT(*) FILTER (WHERE state = 'queued'), COUNT(*) FILTER (WHERE state = 'claimed'),"
            " COALESCE(EXTRACT(EPOCH FROM now() - MIN(created_at) FILTER (WHERE state = 'queued')), 0)"
            f" FROM proof_jobs {where}", args).fetchone())
        return {"queued": int(row[0]), "claimed": int(row[1]), "oldest_queued_s": float(row[2])}

    def live_slots(self, model: str) -> int:
        """Proofs the provers heard from lately can run at once for ``model``."""
        row = self.db.run(lambda c: c.execute(
            "SELECT COALESCE(SUM(workers), 0) FROM provers WHERE %s = ANY(models)"
            " AND seen_at > now() - make_interval(secs => %s)", (model, PROVER_ALIVE_S)).fetchone())
        return int(row[0])

    # ------------------------------------------------------------ prover side

    def claim(self, models: list[str], prover: str, lease_s: float | None = None) -> Claimed | None:
        """Take the queued row with the earliest deadline among ``models`` (none: None), for a lease of
        ``lease_s`` seconds (the prover's ``--lease``; None: the one the node enqueued it with)."""
        row = self.db.run(lambda c: c.execute(
            "UPDATE proof_jobs SET state = 'claimed', tries = tries + 1, lease = lease + 1, prover = %s,"
            " claimed_at = now(), lease_seconds = COALESCE(%s, lease_seconds),"
            " lease_until = now() + make_interval(secs => COALESCE(%s, lease_seconds))"
            " WHERE id = (SELECT id FROM proof_jobs WHERE state = 'queued' AND model = ANY(%s)"
            "             ORDER BY deadline, id FOR UPDATE SKIP LOCKED LIMIT 1)"
            " RETURNING id, scope, model, size, vk_sha256, request_ids, prompts, lease, tries, max_tries",
            (prover, lease_s, lease_s, list(models))).fetchone())
        if row is None:
            return None
        jid, scope, model, size, vk, reqs, prompts, lease, tries, max_tries = row
        return Claimed(int(jid), scope, model, int(size), vk, tuple(int(r) for r in reqs),
                       [bytes(p) for p in prompts], int(lease), int(tries), int(max_tries))

    def renew(self, held: list[tuple[int, int]]) -> list[int]:
        """Extend the leases ``(id, lease)`` still held; returns the ids no longer held (lost)."""
        def renew_one(jid: int, lease: int) -> int:
            return int(self.db.run(lambda c: c.execute(
                "UPDATE proof_jobs SET lease_until = now() + make_interval(secs => lease_seconds)"
                " WHERE id = %s AND lease = %s AND state = 'claimed'", (jid, lease)).rowcount))

        return [jid for jid, lease in held if not renew_one(jid, lease)]

    def complete(self, jid: int, lease: int, proof_dir: Path, prove_seconds: float) -> bool:
        """Write the proof of a held lease; False (and nothing written) if the lease was lost."""
        files = {p.name: p.read_text() for p in sorted(Path(proof_dir).iterdir()) if p.is_file()}
        blob = json.dumps(files).encode()
        return bool(self.db.run(lambda c: c.execute(
            "UPDATE proof_jobs SET state = 'done', proof = %s, prove_seconds = %s, finished_at = now(), error = NULL"
            " WHERE id = %s AND lease = %s AND state = 'claimed'", (blob, prove_seconds, jid, lease)).rowcount))

    def give_back(self, jid: int, lease: int, error: str, kind: str, *, final: bool = False,
                  untried: bool = False) -> str | None:
        """A held lease's proof failed: queue it again (``queued``), or fail it if ``final`` or its tries are
        spent (``failed``); ``untried`` returns the try (the prover could not take it: not the job's
        fault). Returns the new state, None if the lease was lost."""
        row = self.db.run(lambda c: c.execute(
            "UPDATE proof_jobs SET error = %s, error_kind = %s, tries = tries - %s,"
            " state = CASE WHEN %s OR tries - %s >= max_tries THEN 'failed' ELSE 'queued' END,"
            " finished_at = CASE WHEN %s OR tries - %s >= max_tries THEN now() END, lease_until = NULL"
            " WHERE id = %s AND lease = %s AND state = 'claimed' RETURNING state",
            (error[:2000], kind, int(untried), final, int(untried), final, int(untried), jid, lease)).fetchone())
        return row[0] if row else None

    def sweep(self) -> tuple[int, int]:
        """Requeue claimed rows past their lease (fail those whose tries are spent); ``(requeued, failed)``."""
        rows = self.db.run(lambda c: c.execute(
            "UPDATE proof_jobs SET state = CASE WHEN tries >= max_tries THEN 'failed' ELSE 'queued' END,"
            " error = 'lease expired (prover ' || COALESCE(prover, '?') || ' died or stalled)',"
            " error_kind = 'lease-expired', lease_until = NULL,"
            " finished_at = CASE WHEN tries >= max_tries THEN now() END"
            " WHERE id IN (SELECT id FROM proof_jobs WHERE state = 'claimed' AND lease_until < now()"
            "              FOR UPDATE SKIP LOCKED) RETURNING state").fetchall())
        requeued = sum(1 for (s,) in rows if s == "queued")
        return requeued, len(rows) - requeued

    def hello(self, name: str, models: list[str], workers: int) -> None:
        """Say this prover is alive (on start and with every heartbeat)."""
        self.db.run(lambda c: c.execute(
            "INSERT INTO provers (name, models, workers) VALUES (%s, %s, %s) ON CONFLICT (name) DO UPDATE SET"
            " models = excluded.models, workers = excluded.workers, seen_at = now()", (name, list(models), workers)))

    def goodbye(self, name: str) -> None:
        self.db.run(lambda c: c.execute("DELETE FROM provers WHERE name = %s", (name,)))

    def clock_skew(self) -> float:
        """Seconds this machine's clock is ahead of the database server's (negative: behind)."""
        import time

        before = time.time()
        (server,) = self.db.run(lambda c: c.execute("SELECT EXTRACT(EPOCH FROM clock_timestamp())").fetchone())
        after = time.time()
        return (before + after) / 2 - float(server)
