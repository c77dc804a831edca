"""Proofs of repeated prompts reused: the node keeps each single proof it made and answers a later
request whose prompt has the same features at once, with that proof, instead of proving again.

A proof attests to the *features* and the outputs, not to a request: its public instances are the
features (scaled counts or packed words) and the outputs, and DPrompt's ``fulfil`` rebuilds the
features from the prompt it stored at request time and compares them with the proof's instances.
Nothing request-specific (id, requester, fee, deadline) is in a proof, so the proof of "buy eth"
made for request 7 fulfils request 93 asking the same thing (or anything with the same counts),
as long as it is the same model and verifying key. The key is ``(model, vk sha256, batch size,
features)``; only single proofs (batch size 1) are kept, the size ``fulfil`` takes.

The entries live in the node's job store file (table ``proofs``, schema 4, created by
``store.SqliteJobStore``), each pointing at a copy of the proof under ``<proofs dir>/reusable/``;
a copy that went missing drops its entry. They outlive a chain restart (a proof does not depend on
the chain) and a node restart. A reused proof the chain refuses (its instances are not the
request's features, or the proof file is damaged) is forgotten, so it is never tried twice.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zkrevox.errors import ProofError
from zkrevox.featurize import FeatureSpec, prompt_text
from zkrevox.node.jobs import Job, State
from zkrevox.node.store import JobStore, StaleJobError
from zkrevox.proof import ANSWER_FILE, PROOF_FILE

REUSABLE_DIR = "reusable"


@dataclass(frozen=True)
class CachedProof:
    model: str
    vk_sha256: str
    features: tuple[int, ...]
    path: Path  # the kept copy's proof.json
    request_id: int  # the request it was made for
    made_at: float  # wall time it was kept
    uses: int  # later requests answered with it


def features_key(features: list[int] | tuple[int, ...]) -> str:
    """The features as the table's key: the counts joined by commas (exact, and readable in the DB)."""
    return ",".join(str(int(v)) for v in features)


class ProofCache:
    """Single proofs by ``(model, vk sha256, features)``, in the job store file ``db``; copies of the
    proof files under ``root``. Safe to share between threads (one connection, one lock)."""

    def __init__(self, db: Path, root: Path) -> None:
        self.root = Path(root)
        self._lock = threading.Lock()
        self._db = sqlite3.connect(db, timeout=30, isolation_level=None, check_same_thread=False)
        self._db.execute("PRAGMA journal_mode=WAL")
        have = self._db.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'proofs'").fetchone()
        if have is None:
            self._db.close()
            raise ProofError(f"job store {db} has no proofs table; open it with SqliteJobStore first (schema 4)")

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def put(self, model: str, vk_sha256: str, features: list[int], proof_path: Path, request_id: int) -> bool:
        """Keep the proof at ``proof_path`` (a ``proof.json`` with its ``answer.json`` beside it) for
        ``features``; False if one is kept already for that key (the first one stays)."""
        key = features_key(features)
        if self.get(model, vk_sha256, features) is not None:
            return False
        digest = hashlib.sha256(f"{model}|{vk_sha256}|1|{key}".encode()).hexdigest()[:24]
        dest = self.root / REUSABLE_DIR / digest
        dest.mkdir(parents=True, exist_ok=True)
        src = Path(proof_path)
        for name in (PROOF_FILE, ANSWER_FILE):
            shutil.copyfile(src.with_name(name), dest / f".{name}.tmp")
            (dest / f".{name}.tmp").replace(dest / name)  # whole files only, even after a crash
        with self._lock:
            cur = self._db.execute(
                "INSERT OR IGNORE INTO proofs (model, vk_sha256, batch, features, proof_path, request_id, made_at,"
                " uses) VALUES (?, ?, 1, ?, ?, ?, ?, 0)",
                (model, vk_sha256, key, str(dest / PROOF_FILE), request_id, time.time()))
        return bool(cur.rowcount)

    def get(self, model: str, vk_sha256: str, features: list[int] | tuple[int, ...]) -> CachedProof | None:
        """The kept proof of ``features``, or None (also when its file went missing: the entry is dropped)."""
        key = features_key(features)
        with self._lock:
            row = self._db.execute(
                "SELECT proof_path, request_id, made_at, uses FROM proofs WHERE model = ? AND vk_sha256 = ?"
                " AND batch = 1 AND features = ?", (model, vk_sha256, key)).fetchone()
        if row is None:
            return None
        path = Path(row[0])
        if not (path.is_file() and path.with_name(ANSWER_FILE).is_file()):
            self.forget(model, vk_sha256, features)
            return None
        return CachedProof(model, vk_sha256, tuple(int(v) for v in features), path, int(row[1]), float(row[2]),
                           int(row[3]))

    def used(self, entry: CachedProof) -> None:
        with self._lock:
            self._db.execute("UPDATE proofs SET uses = uses + 1 WHERE model = ? AND vk_sha256 = ? AND batch = 1"
                             " AND features = ?", (entry.model, entry.vk_sha256, features_key(entry.features)))

    def forget(self, model: str, vk_sha256: str, features: list[int] | tuple[int, ...]) -> bool:
        with self._lock:
            cur = self._db.execute(
                "DELETE FROM proofs WHERE model = ? AND vk_sha256 = ? AND batch = 1 AND features = ?",
                (model, vk_sha256, features_key(features)))
        return bool(cur.rowcount)

    def stats(self) -> dict[str, int]:
        """``{"proofs": kept, "uses": requests answered with a kept proof}``."""
        with self._lock:
            n, uses = self._db.execute("SELECT COUNT(*), COALESCE(SUM(uses), 0) FROM proofs").fetchone()
        return {"proofs": int(n), "uses": int(uses)}


def copy_for(entry: CachedProof, out_dir: Path, prompt: bytes) -> Path:
    """Copy the kept proof into a request's own proof directory ``out_dir``, its ``answer.json``
    naming this request's ``prompt`` (the proof itself is the same bytes); returns the proof.json."""
    out_dir.mkdir(parents=True, exist_ok=True)
    meta = json.loads(entry.path.with_name(ANSWER_FILE).read_text())
    meta.update(prompt=prompt_text(prompt), prompt_hex=prompt.hex(), reused_from_request=entry.request_id)
    shutil.copyfile(entry.path, out_dir / PROOF_FILE)
    (out_dir / ANSWER_FILE).write_text(json.dumps(meta, indent=1) + "\n")
    return out_dir / PROOF_FILE


class Reuse:
    """The pipeline's side of the cache for one model: ``answer`` a waiting request with a kept
    proof (``seen → proved``, detail "reused proof of request N"), ``keep`` a single proof just
    made, ``refused`` when the chain would not take a reused one."""

    def __init__(self, cache: ProofCache, model: str, vk_sha256: str, spec: FeatureSpec) -> None:
        self.cache = cache
        self.model = model
        self.vk_sha256 = vk_sha256.lower().removeprefix("0x")
        self.spec = spec

    def features(self, prompt: bytes) -> list[int]:
        from zkrevox.featurizer import featurize_batch

        (row,) = featurize_batch([prompt], self.spec)
        return list(row)

    def lookup(self, job: Job) -> CachedProof | None:
        return self.cache.get(self.model, self.vk_sha256, self.features(job.prompt))

    def answer(self, job: Job, store: JobStore, out_dir: Path) -> CachedProof | None:
        """Answer the ``seen`` ``job`` with a kept proof if there is one: copy it into ``out_dir`` and
        move the job to ``proved``; None (job untouched) if none is kept or the job moved meanwhile."""
        entry = self.lookup(job)
        if entry is None:
            return None
        path = copy_for(entry, out_dir, job.prompt)
        try:
            store.transition(job.request_id, State.PROVED, expect=State.SEEN, proof_path=str(path), prove_seconds=0.0,
                             last_error=None, batch=None,
                             detail=f"reused proof of request {entry.request_id} (same features; no new proof)")
        except StaleJobError:
            return None
        self.cache.used(entry)
        return entry

    def keep(self, request_id: int, proof: Any) -> bool:
        """Keep the single proof a worker just made (a ``zkrevox.Proof`` written to disk)."""
        if proof.path is None or proof.vk_sha256.lower() != self.vk_sha256:
            return False
        return self.cache.put(self.model, self.vk_sha256, list(proof.features), Path(proof.path), request_id)

    def refused(self, job: Job) -> bool:
        """Forget the kept proof of ``job``'s features (the chain refused the proof sent for it)."""
        return self.cache.forget(self.model, self.vk_sha256, self.features(job.prompt))
