"""What a page needs from Python about a deployment: its models with their labels and answer keys,
the local build of each (vk and spec hashes, for the "verifiable build" status), and the files an
in-browser verifier takes (verifying key, settings, SRS) with their sha256.

The web server (``zkrevox.web``) serves these as JSON; answers read with the rules the CLI uses
(``zkrevox.chain.rules``). Nothing here holds or needs a key.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zkrevox.chain.deploy import Deployment, ModelRecord
from zkrevox.chain.rules import answer_key, answer_labels
from zkrevox.errors import ArtifactError, InputError, ZkrevoxError

__all__ = ["answer_key", "answer_labels", "build_status", "build_statuses", "local_build", "site_models",
           "verifier_files"]

# The reproducing command a "verifiable build" status shows next to its state.
CHECK_COMMAND = "zkrevox check-model {model_id}"


def source_model(name: str, record: ModelRecord) -> str:
    """The ``models/<name>/`` a deployment record's model was built from."""
    return record.source_model or name


@dataclass(frozen=True)
class LocalBuild:
    """The local build of a model: ``vk_sha256`` and ``spec_sha256`` (hex), or why there is none."""

    model: str
    vk_sha256: str | None
    spec_sha256: str | None
    problem: str | None = None

    def to_json(self) -> dict[str, Any]:
        return {"model": self.model, "vk_sha256": self.vk_sha256, "spec_sha256": self.spec_sha256,
                "problem": self.problem}


def local_build(model: str) -> LocalBuild:
    """The vk and spec hashes of ``artifacts/<model>/`` and ``models/<model>/`` (checked against the
    manifest); with no or a broken local build, ``problem`` says so and the hashes are None."""
    from zkrevox.chain.deploy import model_params
    from zkrevox.chain.vocab_table import spec_hash

    try:
        params = model_params(model)
        return LocalBuild(model, params.vk_sha256, spec_hash(params.spec).hex())
    except (ZkrevoxError, OSError, ValueError, KeyError) as exc:
        return LocalBuild(model, None, None, str(exc))


def build_status(onchain_vk: str, onchain_spec: str, local: LocalBuild) -> dict[str, str]:
    """``{"state", "detail"}``: ``verified`` (both hashes equal the local build's), ``mismatch`` (which
    differs) or ``no local build`` (why). Hashes are hex, with or without ``0x``."""
    vk, spec = onchain_vk.lower().removeprefix("0x"), onchain_spec.lower().removeprefix("0x")
    if local.vk_sha256 is None:
        return {"state": "no local build", "detail": local.problem or f"no artifacts/{local.model}/"}
    bad = [f"{what}: on-chain {chain[:12]}…, local {mine[:12]}…"
           for what, chain, mine in (("vk sha256", vk, local.vk_sha256), ("spec hash", spec, local.spec_sha256 or ""))
           if chain != mine]
    if bad:
        return {"state": "mismatch", "detail": "; ".join(bad)}
    return {"state": "verified", "detail": f"vk {vk[:12]}… and spec {spec[:12]}… equal the local build's"}


def site_models(dep: Deployment) -> list[dict[str, Any]]:
    """Each recorded model as the page shows it: name, id, labels, answer key, outputs, registered vk
    sha256 and batch sizes, and the local build it was checked against."""
    out = []
    for name, record in sorted(dep.models.items(), key=lambda kv: kv[1].model_id):
        out.append({
            "name": name, "model_id": record.model_id, "labels": list(record.labels),
            "answer_key": answer_key(name, record), "num_outputs": record.num_outputs,
            "vk_sha256": record.vk_sha256, "batch_sizes": sorted(int(k) for k in record.batch_verifiers),
            "source_model": source_model(name, record),
            "check_command": CHECK_COMMAND.format(model_id=record.model_id),
            "local_build": local_build(source_model(name, record)).to_json(),
        })
    return out


@dataclass(frozen=True)
class VerifierFile:
    """One file of the in-browser verifier: its bytes (``srs``: only the part a verifier reads), their
    sha256, and the built file they come from."""

    name: str  # vk | settings | srs
    path: Path
    data: bytes
    sha256: str
    source_sha256: str  # of the whole file at ``path`` (the SRS: the full one the prover uses)


def verifier_srs(srs: bytes) -> bytes:
    """The few bytes of a KZG SRS (halo2's raw ``ParamsKZG`` file: ``k`` as u32 LE, ``2^k`` G1 points
    ``g``, ``2^k`` G1 points ``g_lagrange``, then ``g2`` and ``s·g2``) that a verifier reads: the same
    layout with ``k = 1``, i.e. ``g[0..2]`` (the verifier uses ``g[0]``), two ``g_lagrange`` points it
    never uses, ``g2`` and ``s·g2`` (516 bytes instead of ~2 MB for ``k = 14``). ezkl's verifiers load
    such a reduced SRS (its Python ``verify(..., reduced_srs=True)`` reads it the same way).
    ArtifactError when the file does not have that layout."""
    g1, g2 = 64, 128
    if len(srs) < 4:
        raise ArtifactError("the SRS file is too short to hold its size")
    k = int.from_bytes(srs[:4], "little")
    n = 1 << k if k < 32 else 0
    if k < 1 or len(srs) != 4 + 2 * n * g1 + 2 * g2:
        raise ArtifactError(f"the SRS file ({len(srs)} bytes, k {k}) is not a raw KZG parameter file of 2^k points; "
                            "rebuild it with `zkrevox build MODEL`")
    lagrange = 4 + n * g1
    return ((1).to_bytes(4, "little") + srs[4:4 + 2 * g1] + srs[lagrange:lagrange + 2 * g1]
            + srs[lagrange + n * g1:])


def verifier_files(dep: Deployment, model: str) -> dict[str, VerifierFile]:
    """The files an in-browser verifier of ``model``'s single-request circuit takes (``vk``, ``settings``,
    and the verifier's part of the SRS, :func:`verifier_srs`) from the local build whose vk the
    deployment registered. InputError for a model the
    record does not hold; ArtifactError when no local build has the registered vk."""
    from zkrevox.artifacts import Artifacts
    from zkrevox.model_files import ModelFiles, model_dir

    if model not in dep.models:
        raise InputError(f"no model {model!r} in the deployment record {dep.path} "
                         f"(models: {', '.join(sorted(dep.models)) or 'none'})")
    record = dep.models[model]
    name = source_model(model, record)
    artifacts = Artifacts.for_model(name, ModelFiles(model_dir(name)))
    files = {}
    for key in ("vk", "settings", "srs"):
        path = artifacts.file(key)
        if not path.is_file():
            raise ArtifactError(f"{path} is missing: build it with `zkrevox build {name}`")
        whole = path.read_bytes()
        data = verifier_srs(whole) if key == "srs" else whole
        files[key] = VerifierFile(key, path, data, hashlib.sha256(data).hexdigest(),
                                  hashlib.sha256(whole).hexdigest())
    if files["vk"].sha256 != record.vk_sha256:
        raise ArtifactError(f"the local vk of {name} ({files['vk'].sha256[:12]}…) is not the registered one "
                            f"({record.vk_sha256[:12]}…): rebuild the registered circuit, or check it with "
                            f"`{CHECK_COMMAND.format(model_id=record.model_id)}`")
    return files


def build_statuses(client: Any, dep: Deployment) -> list[dict[str, Any]]:
    """The verifiable-build status of every model on ``client``'s DPrompt (id 1 upwards): ``{"model_id",
    "name", "local_model", "state", "detail", "command"}``; a model the record does not name is compared
    with nothing (``no local build``)."""
    from zkrevox.chain.models import record_names

    names = record_names(dep)
    out = []
    for model_id in range(1, client.model_count() + 1):
        info = client.model(model_id)
        name = names.get(model_id)
        local = (local_build(source_model(name, dep.models[name])) if name is not None
                 else LocalBuild("", None, None, "not in the deployment record: no local model to compare with"))
        status = build_status(info.vk_hash.hex(), info.spec_hash.hex(), local)
        out.append({"model_id": model_id, "name": name, "local_model": local.model or None, **status,
                    "command": CHECK_COMMAND.format(model_id=model_id)})
    return out
