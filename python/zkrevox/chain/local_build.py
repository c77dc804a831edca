"""Which local model proves a published one: the one rule the CLI, the node and the watcher share.

A model is published under a name (``zkrevox publish ticker --as ticker-v2``): the deployment
record keys it by that name and keeps the folder it came from (``source_model``), and DPrompt
registers its verifying key. Its proofs are made by a local build (``models/<local>/`` with
``artifacts/<local>/``, or an earlier build kept under ``artifacts/<local>/by-vk/<vk>/``) whose
verifying key is the registered one. ``local_model`` finds that local name: the record's
``source_model``, then the published name itself, then any local model with a build of that key.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from zkrevox.errors import ArtifactError


def has_build(local: str, vk_sha256: str, batch: int = 1) -> bool:
    """Whether ``artifacts/<local>[-bN]/`` (its current build, or one kept under ``by-vk/``) has the
    build with verifying key ``vk_sha256``. Reads manifests only (``Prover.load`` checks the files)."""
    from zkrevox.artifacts import artifacts_root
    from zkrevox.circuit import BY_VK, variant_name

    want = vk_sha256.lower().removeprefix("0x")
    folder = artifacts_root() / variant_name(local, batch)
    for manifest in (folder / "manifest.json", folder / BY_VK / want / "manifest.json"):
        try:
            if json.loads(manifest.read_text())["files"]["vk"]["sha256"] == want:
                return True
        except (OSError, ValueError, KeyError, TypeError):
            continue
    return False


def _is_local(name: str) -> bool:
    from zkrevox.model_files import MODELS_DIR

    return bool(name) and (MODELS_DIR / name / "model.onnx").is_file()


def local_model(name: str, record: Any = None, vk_sha256: str | None = None, *, source_model: str = "") -> str:
    """The local model whose build proves the model published as ``name``.

    ``record``: its ``ModelRecord`` in the deployment record (its ``source_model`` is tried first),
    or None (``source_model`` names it without one); ``vk_sha256``: the verifying key registered
    on-chain (hex), or None (then the record's). Tried in order: the
    record's ``source_model``, ``name``, then every local model; with ``vk_sha256`` a candidate must
    have a build with that key (current or kept). Raises ``ArtifactError`` naming what to build."""
    from zkrevox.model_files import known_models, unknown_model_message

    vk = record.vk_sha256 if vk_sha256 is None and record is not None else vk_sha256
    source = source_model or getattr(record, "source_model", "") or ""
    ordered = [c for c in (source, name) if _is_local(c)]
    if vk is None:
        if ordered:
            return ordered[0]
        raise ArtifactError(unknown_model_message(name))
    for candidate in [*ordered, *(m for m in known_models() if m not in ordered)]:
        if has_build(candidate, vk):
            return candidate
    tried = f"{source or name}" if (source or _is_local(name)) else "no local model"
    raise ArtifactError(
        f"no local build has model {name!r}'s registered verifying key {vk.removeprefix('0x')[:12]}… (tried "
        f"{tried} and every model in models/); build the model it was published from with the SRS it was "
        f"published with (`zkrevox build {source or name}`)"
    )


def record_source(name: str, deployments: Path | None = None) -> str:
    """``source_model`` of ``name`` in the deployment records of ``deployments`` (every chain's, kept
    ones too) when they agree on one; "" otherwise. For a process that must pick its local build
    before it connects (the node loads its provers first); the connection then checks the vk."""
    from zkrevox.chain.paths import deployments_dir

    sources = set()
    for path in (deployments or deployments_dir()).glob("*.json"):
        try:
            models = json.loads(path.read_text()).get("models", {})
            sources.add(models[name].get("source_model") or "")
        except (OSError, ValueError, KeyError, TypeError, AttributeError):
            continue
    sources.discard("")
    return sources.pop() if len(sources) == 1 else ""


def registered_prover(name: str, record: Any = None, vk_sha256: str | None = None, batch: int = 1) -> Any:
    """The ``zkrevox.Prover`` of the batch-``batch`` circuit that proves model ``name`` as registered
    (vk ``vk_sha256``, default the record's): ``local_model``'s build with that key, the current one
    or one kept under ``by-vk/``. Raises ``ArtifactError`` naming what to build."""
    from zkrevox import Prover

    vk = record.vk_sha256 if vk_sha256 is None and record is not None else vk_sha256
    local = local_model(name, record, vk if batch == 1 else None)
    return Prover.load(local, batch=batch, vk_sha256=vk)
