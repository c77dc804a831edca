"""Structured reference strings: a local insecure dev SRS, or a user's ceremony file.

``ezkl.get_srs`` downloads and fails offline. By default zkrevox makes a local
SRS with ``ezkl.gen_srs``: its toxic waste is known to this machine, so proofs
made with it are **forgeable by anyone who kept it**. It is for testing only and
announced as INSECURE every time it is used. For real deployments pass
``--srs PATH`` with a KZG ceremony file (e.g. ezkl's published ``kzg<k>.srs``
files from the perpetual powers-of-tau ceremony), optionally with its expected
sha256, and keep it: keys are bound to the SRS they were made with.
"""

from __future__ import annotations

import datetime as _dt
import json
import logging
import os
import shutil
import sys
from pathlib import Path

from zkrevox.errors import ArtifactError

log = logging.getLogger(__name__)

INSECURE_BANNER = (
    "WARNING: INSECURE DEV SRS — generated locally by ezkl.gen_srs; whoever holds its secret can forge "
    "proofs. Testing only: pass `--srs PATH` with a ceremony SRS for any real deployment."
)


LOG_FORMAT_ENV = "ZKREVOX_LOG_FORMAT"  # "json": stderr is a stream of JSON log records (``--log-format json``)


def _json_logs() -> bool:
    """Whether stderr carries JSON log records: a JSON formatter on the root logger, or a parent
    process that set ``ZKREVOX_LOG_FORMAT=json`` (the node's spawned prover workers)."""
    logs = sys.modules.get("zkrevox.node.logs")
    if logs is not None and any(isinstance(h.formatter, logs.JsonFormatter) for h in logging.getLogger().handlers):
        return True
    return os.environ.get(LOG_FORMAT_ENV, "").lower() == "json"


def announce_insecure() -> None:
    """Say on stderr that the dev SRS is insecure: a plain line, or a JSON log record (``event``
    ``insecure-srs``) where stderr is a JSON log stream."""
    if not _json_logs():
        print(INSECURE_BANNER, file=sys.stderr, flush=True)
        return
    if logging.getLogger().handlers:
        log.warning(INSECURE_BANNER, extra={"zkrevox_fields": {"event": "insecure-srs"}})
        return
    record = {  # a worker without a handler: the same shape as zkrevox.node.logs.JsonFormatter's
        "ts": _dt.datetime.now(_dt.timezone.utc).isoformat(timespec="milliseconds"),
        "level": "warning", "logger": log.name, "msg": INSECURE_BANNER, "event": "insecure-srs",
    }
    print(json.dumps(record), file=sys.stderr, flush=True)


def srs_logrows(path: Path) -> int:
    """The logrows ``k`` an SRS file holds (2^k powers): halo2's ``ParamsKZG`` files start with
    ``k`` as a little-endian u32. ArtifactError if the file is missing or too short."""
    try:
        with open(path, "rb") as f:
            head = f.read(4)
    except FileNotFoundError:
        raise ArtifactError(f"SRS file {path} not found") from None
    if len(head) != 4 or not 0 < int.from_bytes(head, "little") <= 28:
        raise ArtifactError(f"{path} is not a KZG SRS file (no logrows header); pass a ceremony file")
    return int.from_bytes(head, "little")


def check_srs_logrows(path: Path, logrows: int, fix: str) -> None:
    """ArtifactError unless the SRS at ``path`` is for exactly ``logrows``: a larger SRS makes every
    ``prove`` downsize it and rebuild its Lagrange basis (8.8–17 s instead of 0.6 s on 2^14), a
    smaller one cannot prove at all."""
    have = srs_logrows(path)
    if have != logrows:
        kind = "larger" if have > logrows else "smaller"
        raise ArtifactError(
            f"SRS {path} is for logrows {have}, the circuit needs exactly {logrows} (a {kind} SRS "
            + ("would be downsized at every prove, rebuilding its Lagrange basis" if have > logrows
               else "cannot prove it") + f"); {fix}"
        )


def provide_srs(dest: Path, logrows: int, user_srs: Path | None, expected_sha256: str | None) -> str:
    """Put the SRS at ``dest``; return its kind: ``"insecure-dev"`` or ``"user"``.

    A user SRS must be for exactly ``logrows`` (ArtifactError otherwise, naming the file to pass):
    never downsized at prove time."""
    import ezkl

    from zkrevox.artifacts import sha256_file

    if user_srs is None:
        announce_insecure()
        ezkl.gen_srs(str(dest), logrows)
        return "insecure-dev"
    if not user_srs.is_file():
        raise ArtifactError(f"SRS file {user_srs} not found; pass the path of a KZG ceremony file")
    if expected_sha256:
        have = sha256_file(user_srs)
        if have != expected_sha256.lower():
            raise ArtifactError(
                f"SRS file {user_srs} has sha256 {have}, expected {expected_sha256}; "
                "download it again from the ceremony's publisher"
            )
    check_srs_logrows(user_srs, logrows, f"pass the ceremony's SRS for logrows {logrows} (e.g. ezkl's "
                                         f"kzg{logrows}.srs) with --srs")
    shutil.copyfile(user_srs, dest)
    return "user"
