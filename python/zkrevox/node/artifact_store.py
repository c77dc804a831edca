"""Circuit builds in PostgreSQL, content-addressed: the same keys on every prover machine with no
shared filesystem and no step by hand.

A node with remote provers ``publish``es the build each (model, batch size) registered on its
deployment uses (migration 3: ``artifact_builds`` names a build by its vk sha256 and lists its
files; ``artifact_blobs`` holds each file once, by its own sha256). A prover asked for a vk it lacks
``fetch``es that build into ``artifacts/<variant>/by-vk/<vk>/`` (where ``Prover.load(vk_sha256=…)``
looks), checking every file's sha256 as it writes it and the manifest's hashes after; a build the
store does not have either is refused by ``Prover.load``, naming the mismatch and the build command.
"""

from __future__ import annotations

import hashlib
import json
import logging
import shutil
from pathlib import Path

from zkrevox.errors import ArtifactError
from zkrevox.node.logs import event
from zkrevox.node.store_pg import PgConnection

log = logging.getLogger("zkrevox.node")


def _build_dir(model: str, size: int, vk: str) -> Path:
    """The local build of ``model`` batch ``size`` whose vk is ``vk`` (current, or kept under by-vk)."""
    from zkrevox.prover import Prover

    return Path(Prover.load(model, batch=size, vk_sha256=vk).artifacts.path)


def published(db: PgConnection, model: str, size: int, vk: str) -> bool:
    return bool(db.run(lambda c: c.execute(
        "SELECT 1 FROM artifact_builds WHERE model = %s AND size = %s AND vk_sha256 = %s", (model, size, vk)
    ).fetchone()))


def newest(db: PgConnection, model: str, size: int) -> str | None:
    """The vk of the build of ``model`` batch ``size`` published last (None: none)."""
    row = db.run(lambda c: c.execute(
        "SELECT vk_sha256 FROM artifact_builds WHERE model = %s AND size = %s ORDER BY created_at DESC LIMIT 1",
        (model, size)).fetchone())
    return str(row[0]) if row else None


def publish(db: PgConnection, model: str, size: int, vk: str) -> bool:
    """Put the local build of ``vk`` in the store (its files once each); False if it was there."""
    vk = vk.lower().removeprefix("0x")
    if published(db, model, size, vk):
        return False
    path = _build_dir(model, size, vk)
    manifest = json.loads((path / "manifest.json").read_text())
    names = ["manifest.json", *sorted(entry["file"] for entry in manifest["files"].values())]
    files: dict[str, str] = {}
    for name in names:
        data = (path / name).read_bytes()
        digest = hashlib.sha256(data).hexdigest()
        files[name] = digest
        _put_blob(db, digest, data)
    db.run(lambda c: c.execute(
        "INSERT INTO artifact_builds (model, size, vk_sha256, files) VALUES (%s, %s, %s, %s) ON CONFLICT DO NOTHING",
        (model, size, vk, json.dumps(files, sort_keys=True))))
    event(log, f"published the {model} batch-{size} build (vk {vk[:12]}…, {len(files)} files) to the store",
          event="artifacts-published", model=model, size=size, vk=vk)
    return True


def _put_blob(db: PgConnection, digest: str, data: bytes) -> None:
    db.run(lambda c: c.execute(
        "INSERT INTO artifact_blobs (sha256, data, size) VALUES (%s, %s, %s) ON CONFLICT DO NOTHING",
        (digest, data, len(data))))


def _get_blob(db: PgConnection, digest: str) -> bytes:
    row = db.run(lambda c: c.execute("SELECT data FROM artifact_blobs WHERE sha256 = %s", (digest,)).fetchone())
    return bytes(row[0]) if row else b""


def fetch(db: PgConnection, model: str, size: int, vk: str) -> Path | None:
    """Write the stored build of ``vk`` under ``artifacts/<variant>/by-vk/<vk>/``; None if the store lacks
    it. Raises ``ArtifactError`` if a blob does not match its hash."""
    from zkrevox.artifacts import artifacts_root
    from zkrevox.circuit import BY_VK, variant_name

    vk = vk.lower().removeprefix("0x")
    row = db.run(lambda c: c.execute(
        "SELECT files FROM artifact_builds WHERE model = %s AND size = %s AND vk_sha256 = %s", (model, size, vk)
    ).fetchone())
    if row is None:
        return None
    files: dict[str, str] = json.loads(row[0])
    dest = artifacts_root() / variant_name(model, size) / BY_VK / vk
    staging = dest.with_name(dest.name + ".fetching")
    shutil.rmtree(staging, ignore_errors=True)
    staging.mkdir(parents=True)
    for name, digest in files.items():
        if "/" in name or name.startswith("."):
            raise ArtifactError(f"the store's {model} build {vk[:12]}… names a bad file {name!r}")
        data = _get_blob(db, digest)
        if hashlib.sha256(data).hexdigest() != digest:
            shutil.rmtree(staging, ignore_errors=True)
            raise ArtifactError(f"the store's copy of {name} of the {model} batch-{size} build (vk {vk[:12]}…) does "
                                "not match its sha256; publish it again from the node (restart it)")
        (staging / name).write_bytes(data)
    shutil.rmtree(dest, ignore_errors=True)
    staging.rename(dest)
    event(log, f"fetched the {model} batch-{size} build (vk {vk[:12]}…) from the store into {dest}",
          event="artifacts-fetched", model=model, size=size, vk=vk)
    return dest
