"""Circuit artifacts and their manifest.

``artifacts/<model>/`` (git-ignored; ``ZKREVOX_ARTIFACTS`` moves it) holds what
``zkrevox build`` produces: ezkl settings, compiled circuit, SRS, proving and
verifying keys, and ``manifest.json`` with the sha256 of each file and of the
model files they were built from. Every consumer calls
:meth:`Artifacts.check` first, so a prover can never use keys that do not
match its circuit or a circuit that does not match its model.
"""

from __future__ import annotations

import hashlib
import json
import os
from dataclasses import dataclass
from pathlib import Path

from zkrevox.errors import ArtifactError
from zkrevox.model_files import REPO_ROOT, ModelFiles

MANIFEST_VERSION = 1
# name in the manifest -> file name in the artifacts dir
BUILT_FILES = {
    "settings": "settings.json",
    "compiled": "model.compiled",
    "srs": "kzg.srs",
    "vk": "vk.key",
    "pk": "pk.key",
}
MODEL_FILES = ("model.onnx", "input_spec.json", "labels.json")


def artifacts_root() -> Path:
    return Path(os.environ.get("ZKREVOX_ARTIFACTS", REPO_ROOT / "artifacts"))


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


@dataclass
class Artifacts:
    """``name`` is the circuit variant (``<model>``, ``<model>-b8``), ``model`` the files it was built from."""

    name: str
    path: Path
    model: ModelFiles

    @classmethod
    def for_model(cls, name: str, model: ModelFiles, root: Path | None = None) -> Artifacts:
        return cls(name=name, path=(root or artifacts_root()) / name, model=model)

    @property
    def build_command(self) -> str:
        base, _, batch = self.name.partition("-b")
        return f"zkrevox build {base}" + (f" --batch {batch}" if batch else "")

    def file(self, key: str) -> Path:
        return self.path / BUILT_FILES[key]

    @property
    def manifest_path(self) -> Path:
        return self.path / "manifest.json"

    def manifest(self) -> dict:
        if not self.manifest_path.is_file():
            raise ArtifactError(
                f"no circuit artifacts for {self.name!r} at {self.path} (manifest.json missing); "
                f"run `{self.build_command}`"
            )
        try:
            return json.loads(self.manifest_path.read_text())
        except json.JSONDecodeError as exc:
            raise ArtifactError(
                f"{self.manifest_path} is corrupted ({exc}); run `{self.build_command}`"
            ) from None

    def write_manifest(self, extra: dict) -> dict:
        import ezkl

        manifest = {
            "manifest_version": MANIFEST_VERSION,
            "model": self.name,
            "ezkl_version": ezkl.__version__,
            "model_files": {f: sha256_file(self.model.path / f) for f in MODEL_FILES},
            "files": {key: {"file": fname, "sha256": sha256_file(self.path / fname)}
                      for key, fname in BUILT_FILES.items()},
            **extra,
        }
        self.manifest_path.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n")
        return manifest

    def check(self, keys: tuple[str, ...] = tuple(BUILT_FILES)) -> dict:
        """Verify that the model files and built files match the manifest; return it."""
        import ezkl

        manifest = self.manifest()
        fix = f"run `{self.build_command}`"
        if manifest.get("manifest_version") != MANIFEST_VERSION:
            raise ArtifactError(f"{self.manifest_path} has an unknown manifest version; {fix}")
        if manifest.get("ezkl_version") != ezkl.__version__:
            raise ArtifactError(
                f"artifacts were built with ezkl {manifest.get('ezkl_version')}, this is ezkl "
                f"{ezkl.__version__}; {fix}"
            )
        for fname in MODEL_FILES:
            want = manifest["model_files"].get(fname)
            have = sha256_file(self.model.path / fname)
            if want != have:
                raise ArtifactError(
                    f"{self.model.path / fname} does not match the circuit (sha256 {have[:12]}… ≠ "
                    f"{str(want)[:12]}… in manifest): the model changed since the build; {fix}"
                )
        for key in keys:
            entry = manifest["files"][key]
            path = self.path / entry["file"]
            if not path.is_file():
                raise ArtifactError(f"{path} is missing; {fix}")
            have = sha256_file(path)
            if have != entry["sha256"]:
                raise ArtifactError(
                    f"{path} does not match manifest.json (sha256 {have[:12]}… ≠ {entry['sha256'][:12]}…): "
                    f"keys and circuit are out of step; {fix}"
                )
        if "srs" in keys:
            self._check_srs(manifest, fix)
        return manifest

    def _check_srs(self, manifest: dict, fix: str) -> None:
        """The SRS must be for exactly the circuit's logrows (a larger one is downsized at every prove,
        rebuilding its Lagrange basis); ``srs_logrows`` in the manifest records it."""
        from zkrevox.srs import srs_logrows

        have = srs_logrows(self.file("srs"))
        for what, want in (("the circuit's logrows", manifest.get("logrows")),
                           ("srs_logrows in the manifest", manifest.get("srs_logrows", have))):
            if want is not None and have != int(want):
                raise ArtifactError(
                    f"{self.file('srs')} is for logrows {have}, {what} is {want}: every prove would "
                    f"{'downsize it and rebuild its Lagrange basis' if have > int(want) else 'fail'}; {fix}"
                )

    def vk_sha256(self) -> str:
        return self.manifest()["files"]["vk"]["sha256"]
