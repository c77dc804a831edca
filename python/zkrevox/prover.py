"""The Python API provider nodes use: ``Prover.load("ticker")`` once, then predict/prove/verify.

``predict`` runs the circuit's own forward pass (ezkl ``gen_witness``), so it
returns exactly what a proof would attest. ``prove`` holds the GIL inside
ezkl and reloads the proving key from disk on every call (measured: see
README); a host that must stay responsive uses :class:`zkrevox.pool.ProverPool`,
which runs provers in worker processes.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import weakref
import time
from dataclasses import dataclass
from pathlib import Path

from zkrevox.artifacts import Artifacts
from zkrevox.circuit import _await
from zkrevox.encoding import instances_to_ints
from zkrevox.errors import ProofError, WitnessError
from zkrevox.featurize import FeatureSpec, prompt_bytes
from zkrevox.featurizer import featurize
from zkrevox.model_files import ModelFiles, model_dir
from zkrevox.proof import Proof
from zkrevox.srs import announce_insecure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    prompt: str
    tickers: list[str]
    outputs: list[int]
    features: list[int]


class Prover:
    def __init__(self, name: str, artifacts: Artifacts, manifest: dict) -> None:
        self.name = name
        self.artifacts = artifacts
        self.manifest = manifest
        self.spec: FeatureSpec = artifacts.model.spec()
        self.labels: list[str] = artifacts.model.labels()
        self.settings = json.loads(artifacts.file("settings").read_text())
        # Scratch space for witnesses and default proof dirs; removed with the Prover.
        self._scratch = Path(tempfile.mkdtemp(prefix=f"zkrevox-{name}-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._scratch, True)
        self._announced = False

    @classmethod
    def load(cls, name: str = "ticker", root: Path | None = None) -> Prover:
        """Load a model's artifacts, refusing any that do not match their manifest."""
        model = ModelFiles(model_dir(name))
        artifacts = Artifacts.for_model(name, model, root)
        manifest = artifacts.check()
        return cls(name, artifacts, manifest)

    def close(self) -> None:
        """Remove scratch files (proofs written without ``out_dir`` go with them)."""
        self._cleanup()

    def __enter__(self) -> Prover:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    @property
    def settings_path(self) -> Path:
        return self.artifacts.file("settings")

    @property
    def vk_path(self) -> Path:
        return self.artifacts.file("vk")

    @property
    def srs_path(self) -> Path:
        return self.artifacts.file("srs")

    def _warn_srs(self) -> None:
        if self.manifest.get("srs_kind") == "insecure-dev" and not self._announced:
            announce_insecure()
            self._announced = True

    def _text(self, prompt: str | bytes) -> str:
        return prompt_bytes(prompt, self.spec).decode("utf-8")

    def _witness(self, prompt: str, work: Path) -> tuple[list[int], dict]:
        import ezkl

        features = featurize(prompt, self.spec)
        data = work / "input.json"
        data.write_text(json.dumps({"input_data": [[float(v) for v in features]]}))
        try:
            witness = _await(
                ezkl.gen_witness(str(data), str(self.artifacts.file("compiled")), str(work / "witness.json"))
            )
        except Exception as exc:  # ezkl raises bare RuntimeError/Exception
            raise WitnessError(f"ezkl could not build the witness for {prompt!r}: {exc}") from exc
        return features, witness

    def _decode(self, witness: dict) -> list[int]:
        outs = witness["outputs"][0]
        if len(outs) != len(self.labels):
            raise WitnessError(f"circuit gave {len(outs)} outputs for {len(self.labels)} labels; rebuild")
        return instances_to_ints(outs)

    def tickers(self, outputs: list[int]) -> list[str]:
        return [label for label, v in zip(self.labels, outputs, strict=True) if v > 0]

    def predict(self, prompt: str | bytes) -> Prediction:
        text = self._text(prompt)
        with tempfile.TemporaryDirectory(dir=self._scratch) as work:
            features, witness = self._witness(text, Path(work))
        outputs = self._decode(witness)
        return Prediction(text, self.tickers(outputs), outputs, features)

    def prove(self, prompt: str | bytes, out_dir: Path | None = None) -> Proof:
        import ezkl

        self._warn_srs()
        text = self._text(prompt)
        with tempfile.TemporaryDirectory(dir=self._scratch) as work_s:
            work = Path(work_s)
            features, witness = self._witness(text, work)
            outputs = self._decode(witness)
            t0 = time.monotonic()
            try:
                ezkl.prove(
                    str(work / "witness.json"), str(self.artifacts.file("compiled")),
                    str(self.artifacts.file("pk")), str(work / "proof.json"), str(self.srs_path),
                )
            except Exception as exc:
                raise ProofError(f"ezkl failed to prove {text!r}: {exc}") from exc
            seconds = round(time.monotonic() - t0, 3)
            raw = json.loads((work / "proof.json").read_text())
        proof = Proof(
            model=self.name,
            prompt=text,
            tickers=self.tickers(outputs),
            features=features,
            outputs=outputs,
            instances=list(raw["instances"][0]),
            proof_bytes=bytes(raw["proof"]),
            vk_sha256=self.manifest["files"]["vk"]["sha256"],
            prove_seconds=seconds,
        )
        proof.to_dir(Path(out_dir) if out_dir else self._scratch / f"proof-{time.monotonic_ns()}", raw)
        log.info("proved %r -> %s in %.2fs", text, proof.tickers, seconds)
        return proof

    def verify(self, proof: Proof) -> bool:
        """Check the proof cryptographically and that it attests this prompt and answer.

        Returns True; raises ProofError naming the problem otherwise.
        """
        import ezkl

        if proof.path is None or not Path(proof.path).is_file():
            raise ProofError("proof has no file on disk; write it with Proof.to_dir first")
        if proof.vk_sha256 != self.manifest["files"]["vk"]["sha256"]:
            raise ProofError(
                f"proof was made with verifying key {proof.vk_sha256[:12]}…, this circuit's is "
                f"{self.manifest['files']['vk']['sha256'][:12]}…; verify it against the artifacts it came from"
            )
        n_out = len(self.labels)
        scale = self.manifest["input_scale"]
        want_features = featurize(proof.prompt, self.spec)
        got_features = instances_to_ints(proof.instances[:-n_out])
        if got_features != [v << scale for v in want_features]:
            raise ProofError(f"proof's public inputs are not the features of {proof.prompt!r}: tampered")
        if self.tickers(proof.outputs) != proof.tickers:
            raise ProofError("proof's outputs do not decode to the tickers it claims: tampered")
        try:
            ok = ezkl.verify(str(proof.path), str(self.settings_path), str(self.vk_path), str(self.srs_path))
        except Exception as exc:
            raise ProofError(f"proof {proof.path} does not verify: {exc}") from None
        if not ok:
            raise ProofError(f"proof {proof.path} does not verify")
        return True

