"""The Python API provider nodes use: ``Prover.load(name)`` once, then predict/prove/verify.

``predict`` runs the circuit's own forward pass (ezkl ``gen_witness``), so it
returns exactly what a proof would attest. A prompt is ``bytes`` of any value
(what DPrompt's ``request`` accepts: 1 to ``max_bytes`` bytes, UTF-8 or not) or
``str``, encoded as UTF-8. ``prove`` holds the GIL inside
ezkl and reloads the proving key from disk on every call (measured: see
README); a host that must stay responsive uses :class:`zkrevox.pool.ProverPool`,
which runs provers in worker processes.
"""

from __future__ import annotations

import json
import logging
import shutil
import tempfile
import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from zkrevox.agents import answer_key
from zkrevox.artifacts import Artifacts
from zkrevox.circuit import _await, build
from zkrevox.encoding import instances_to_ints, pack_features
from zkrevox.errors import ArtifactError, InputError, ProofError, WitnessError
from zkrevox.featurize import FeatureSpec, prompt_bytes, prompt_text
from zkrevox.featurizer import featurize_batch
from zkrevox.model_files import ModelFiles, model_dir
from zkrevox.proof import BatchProof, Proof
from zkrevox.srs import announce_insecure

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Prediction:
    prompt: str  # text form of ``raw_prompt`` (``prompt_text``: other bytes as \xNN)
    labels: list[str]  # the answer: every label whose output is > 0, in the model's label order
    outputs: list[int]
    features: list[int]
    raw_prompt: bytes  # the prompt's bytes, what was featurized
    answer_key: str = "labels"  # the answer's JSON key: its agent's Agent.answer_key


class Prover:
    def __init__(self, name: str, artifacts: Artifacts, manifest: dict) -> None:
        self.name = name
        self.artifacts = artifacts
        self.manifest = manifest
        self.spec: FeatureSpec = artifacts.model.spec()
        self.labels: list[str] = artifacts.model.labels()
        self.answer_key: str = answer_key(name)  # the JSON key of answers: the agent's Agent.answer_key
        self.settings = json.loads(artifacts.file("settings").read_text())
        # Scratch space for witnesses and default proof dirs; removed with the Prover.
        self._scratch = Path(tempfile.mkdtemp(prefix=f"zkrevox-{name}-"))
        self._cleanup = weakref.finalize(self, shutil.rmtree, self._scratch, True)
        self._announced = False

    @classmethod
    def load(cls, name: str, root: Path | None = None, batch: int = 1,
             vk_sha256: str | None = None) -> Prover:
        """Load a model's artifacts (the batch-``batch`` circuit), refusing any that do not match
        their manifest.

        ``vk_sha256`` asks for the build with that verifying key (what a deployment registered):
        the current ``artifacts/<variant>/`` if its vk matches, else an earlier build kept at
        ``artifacts/<variant>/by-vk/<vk_sha256>/``; ArtifactError if neither has it.
        """
        from zkrevox.circuit import BY_VK, variant_name

        model = ModelFiles(model_dir(name))
        artifacts = Artifacts.for_model(variant_name(name, batch), model, root)
        if vk_sha256 is None:
            return cls(name, artifacts, artifacts.check())
        want = vk_sha256.lower().removeprefix("0x")
        for candidate in (artifacts, Artifacts(artifacts.name, artifacts.path / BY_VK / want, model)):
            if candidate.manifest_path.is_file() and candidate.vk_sha256() == want:
                return cls(name, candidate, candidate.check())
        kept = sorted(p.name for p in (artifacts.path / BY_VK).glob("*") if p.is_dir())
        current = artifacts.vk_sha256() if artifacts.manifest_path.is_file() else None
        raise ArtifactError(
            f"no {artifacts.name} build has verifying key {want[:12]}… (current: "
            f"{current[:12] + '…' if current else 'none'}"
            + (f"; kept: {', '.join(k[:12] + '…' for k in kept)}" if kept else "")
            + f"); rebuild it with the SRS and model that deployment used (`{artifacts.build_command}`)"
        )

    @classmethod
    def load_or_build(
        cls, name: str, batch: int = 1, step: Callable[[str], None] = lambda _msg: None
    ) -> Prover:
        """``load``, after building the circuit (``zkrevox build name --batch batch``) when its
        artifacts are missing or do not match the model and circuit config."""
        try:
            return cls.load(name, batch=batch)
        except ArtifactError:
            step(f"building the {name} batch-{batch} circuit")
            build(name, batch=batch, step=lambda _msg: None)
            return cls.load(name, batch=batch)

    @property
    def batch(self) -> int:
        """Prompts one proof answers."""
        return int(self.manifest.get("batch", 1))

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

    def _data(self, prompt: str | bytes) -> bytes:
        return prompt_bytes(prompt, self.spec)

    def _witness(self, prompts: list[bytes], work: Path) -> tuple[list[list[int]], list[list[int]]]:
        """Features and signed outputs of each prompt, from the circuit's own forward pass."""
        import ezkl

        if len(prompts) != self.batch:
            raise InputError(
                f"this circuit answers {self.batch} prompt(s) per proof, got {len(prompts)}; "
                f"load the matching circuit with Prover.load(name, batch={len(prompts)})"
            )
        features = featurize_batch(prompts, self.spec)
        data = work / "input.json"
        data.write_text(json.dumps({"input_data": [[float(v) for row in features for v in row]]}))
        try:
            witness = _await(
                ezkl.gen_witness(str(data), str(self.artifacts.file("compiled")), str(work / "witness.json"))
            )
        except Exception as exc:  # ezkl raises bare RuntimeError/Exception
            shown = [prompt_text(p) for p in prompts]
            raise WitnessError(f"ezkl could not build the witness for {shown!r}: {exc}") from exc
        flat = witness["outputs"][-1]  # a packed-features circuit publishes the packed words first
        n = len(self.labels)
        if len(flat) != n * len(prompts):
            raise WitnessError(f"circuit gave {len(flat)} outputs for {len(prompts)}×{n} labels; rebuild it")
        values = instances_to_ints(flat)
        return features, [values[i * n : (i + 1) * n] for i in range(len(prompts))]

    def feature_instances(self, rows: list[list[int]]) -> list[int]:
        """The public instances the features of ``rows`` (one per prompt) take in this circuit:
        each count times 2^input_scale, or packed words (``feature_packing`` in the manifest)."""
        packing = self.manifest.get("feature_packing")
        if packing:
            return [w for row in rows for w in pack_features(row, **packing)]
        scale = self.manifest["input_scale"]
        return [v << scale for row in rows for v in row]

    def answer(self, outputs: list[int]) -> list[str]:
        """The labels whose signed output is > 0, in label order."""
        return [label for label, v in zip(self.labels, outputs, strict=True) if v > 0]

    def predict(self, prompt: str | bytes) -> Prediction:
        (result,) = self.predict_batch([prompt])
        return result

    def predict_batch(self, prompts: list[str] | list[bytes] | list[str | bytes]) -> list[Prediction]:
        data = [self._data(p) for p in prompts]
        with tempfile.TemporaryDirectory(dir=self._scratch) as work:
            features, outputs = self._witness(data, Path(work))
        return [Prediction(prompt_text(d), self.answer(o), o, f, d, self.answer_key)
                for d, o, f in zip(data, outputs, features, strict=True)]

    def _prove(self, data: list[bytes]) -> tuple[list[list[int]], list[list[int]], dict, dict]:
        """Witness and prove the prompts ``data``: features, outputs, ezkl's proof JSON, and the
        fields ``Proof`` and ``BatchProof`` share."""
        import ezkl

        self._warn_srs()
        with tempfile.TemporaryDirectory(dir=self._scratch) as work_s:
            work = Path(work_s)
            features, outputs = self._witness(data, work)
            t0 = time.monotonic()
            try:
                ezkl.prove(
                    str(work / "witness.json"), str(self.artifacts.file("compiled")),
                    str(self.artifacts.file("pk")), str(work / "proof.json"), str(self.srs_path),
                )
            except Exception as exc:
                raise ProofError(f"ezkl failed to prove {[prompt_text(d) for d in data]!r}: {exc}") from exc
            seconds = round(time.monotonic() - t0, 3)
            raw = json.loads((work / "proof.json").read_text())
        shared = {
            "model": self.name,
            "instances": list(raw["instances"][0]),
            "proof_bytes": bytes(raw["proof"]),
            "vk_sha256": self.manifest["files"]["vk"]["sha256"],
            "prove_seconds": seconds,
        }
        return features, outputs, raw, shared

    def _dest(self, out_dir: Path | None) -> Path:
        return Path(out_dir) if out_dir else self._scratch / f"proof-{time.monotonic_ns()}"

    def prove(self, prompt: str | bytes, out_dir: Path | None = None) -> Proof:
        """One proof of the answer to one prompt (the batch-1 circuit)."""
        data = self._data(prompt)
        (features,), (outputs,), raw, shared = self._prove([data])
        proof = Proof(prompt=prompt_text(data), labels=self.answer(outputs), features=features, outputs=outputs,
                      raw_prompt=data, answer_key=self.answer_key, **shared)
        proof.to_dir(self._dest(out_dir), raw)
        log.info("proved %r -> %s in %.2fs", proof.prompt, proof.labels, proof.prove_seconds)
        return proof

    def prove_batch(self, prompts: list[str] | list[bytes] | list[str | bytes],
                    out_dir: Path | None = None) -> BatchProof:
        """One proof answering ``self.batch`` prompts at once."""
        data = [self._data(p) for p in prompts]
        features, outputs, raw, shared = self._prove(data)
        proof = BatchProof(
            prompts=[prompt_text(d) for d in data], answers=[self.answer(o) for o in outputs], features=features,
            outputs=outputs, raw_prompts=data, answer_key=self.answer_key, **shared
        )
        proof.to_dir(self._dest(out_dir), raw)
        log.info("proved a batch of %d in %.2fs", len(data), proof.prove_seconds)
        return proof

    def verify(self, proof: Proof | BatchProof) -> bool:
        """Check the proof cryptographically and that it attests these prompts and answers.

        Returns True; raises ProofError naming the problem otherwise.
        """
        import ezkl

        from zkrevox.proof import read_ezkl_proof

        self._warn_srs()
        if proof.path is None or not Path(proof.path).is_file():
            raise ProofError("proof has no file on disk; write it with to_dir first")
        # ezkl verifies the file; what is sent on-chain is this object's bytes (ChainProof.from_proof):
        # they must be one and the same proof.
        _, file_instances, file_bytes = read_ezkl_proof(Path(proof.path))
        if file_bytes != proof.proof_bytes or file_instances != list(proof.instances):
            raise ProofError(f"{proof.path} holds another proof than this one (its proof bytes or instances "
                             "differ); verify the proof that will be sent")
        if proof.vk_sha256 != self.manifest["files"]["vk"]["sha256"]:
            raise ProofError(
                f"proof was made with verifying key {proof.vk_sha256[:12]}…, this circuit's is "
                f"{self.manifest['files']['vk']['sha256'][:12]}…; verify it against the artifacts it came from"
            )
        prompts = proof.raw_prompts  # the bytes, not the lossy text form
        want = self.feature_instances(featurize_batch(prompts, self.spec))
        n_in = len(want)
        if len(prompts) != self.batch or len(proof.instances) != n_in + len(prompts) * len(self.labels):
            raise ProofError(
                f"proof answers {len(prompts)} prompt(s) with {len(proof.instances)} instances; this "
                f"circuit answers {self.batch}: verify it with the circuit it was made for"
            )
        if instances_to_ints(proof.instances[:n_in]) != want:
            shown = proof.prompts[0] if len(prompts) == 1 else proof.prompts
            raise ProofError(f"proof's public inputs are not the features of {shown!r}: tampered")
        outputs = instances_to_ints(proof.instances[n_in:])
        n = len(self.labels)
        for i, answer in enumerate(proof.answers):
            if self.answer(outputs[i * n : (i + 1) * n]) != answer:
                raise ProofError(f"proof's outputs do not decode to the {self.answer_key} it claims: tampered")
        try:
            ok = ezkl.verify(str(proof.path), str(self.settings_path), str(self.vk_path), str(self.srs_path))
        except Exception as exc:
            raise ProofError(f"proof {proof.path} does not verify: {exc}") from None
        if not ok:
            raise ProofError(f"proof {proof.path} does not verify")
        return True

