"""A proven answer: ezkl's proof JSON plus what it attests, decoded."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

from zkrevox.encoding import instance_to_uint256, instances_to_ints, verify_calldata
from zkrevox.errors import ProofError

ANSWER_FILE = "answer.json"


@dataclass
class Proof:
    """``instances`` are ezkl's little-endian hex strings: features first, then outputs."""

    model: str
    prompt: str
    tickers: list[str]
    features: list[int]
    outputs: list[int]
    instances: list[str]
    proof_bytes: bytes
    vk_sha256: str
    path: Path | None = None
    prove_seconds: float | None = None
    extra: dict = field(default_factory=dict)

    # The batch view, shared with BatchProof: one entry per prompt the proof answers.
    @property
    def prompts(self) -> list[str]:
        return [self.prompt]

    @property
    def answers(self) -> list[list[str]]:
        return [self.tickers]

    @property
    def output_rows(self) -> list[list[int]]:
        return [self.outputs]

    @property
    def instance_uints(self) -> list[int]:
        """Instances as the EVM's uint256 field elements."""
        return [instance_to_uint256(x) for x in self.instances]

    @property
    def calldata(self) -> bytes:
        """Calldata of the generated verifier's ``verifyProof(bytes,uint256[])``."""
        return verify_calldata(self.proof_bytes, self.instances)

    def to_dir(self, out_dir: Path, ezkl_proof: dict) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        proof_path = out_dir / "proof.json"
        proof_path.write_text(json.dumps(ezkl_proof))
        meta = {
            "model": self.model,
            "prompt": self.prompt,
            "tickers": self.tickers,
            "features": self.features,
            "outputs": self.outputs,
            "vk_sha256": self.vk_sha256,
            "prove_seconds": self.prove_seconds,
        }
        (out_dir / ANSWER_FILE).write_text(json.dumps(meta, indent=1) + "\n")
        self.path = proof_path
        return proof_path

    @classmethod
    def from_file(cls, path: Path) -> Proof:
        """Read ``proof.json`` (and ``answer.json`` beside it) written by ``zkrevox prove``."""
        path = Path(path)
        if path.is_dir():
            path = path / "proof.json"
        try:
            raw = json.loads(path.read_text())
            instances = list(raw["instances"][0])
            proof_bytes = bytes(raw["proof"])
        except FileNotFoundError:
            raise ProofError(f"proof file {path} not found; run `zkrevox prove` first") from None
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise ProofError(f"{path} is not an ezkl proof file ({exc}); prove again") from None
        meta_path = path.with_name(ANSWER_FILE)
        if not meta_path.is_file():
            raise ProofError(f"{meta_path} is missing: a zkrevox proof directory holds proof.json and answer.json")
        meta = json.loads(meta_path.read_text())
        n_out = len(meta["outputs"])
        return cls(
            model=meta["model"],
            prompt=meta["prompt"],
            tickers=list(meta["tickers"]),
            features=list(meta["features"]),
            outputs=instances_to_ints(instances[-n_out:]),
            instances=instances,
            proof_bytes=proof_bytes,
            vk_sha256=meta["vk_sha256"],
            path=path,
            prove_seconds=meta.get("prove_seconds"),
        )


@dataclass
class BatchProof:
    """One proof answering several prompts: instances are every prompt's features, then every
    prompt's outputs, in prompt order (the batch circuit's input and output tensors, flattened)."""

    model: str
    prompts: list[str]
    answers: list[list[str]]
    features: list[list[int]]
    outputs: list[list[int]]
    instances: list[str]
    proof_bytes: bytes
    vk_sha256: str
    path: Path | None = None
    prove_seconds: float | None = None

    @property
    def output_rows(self) -> list[list[int]]:
        return self.outputs

    @property
    def instance_uints(self) -> list[int]:
        return [instance_to_uint256(x) for x in self.instances]

    @property
    def calldata(self) -> bytes:
        return verify_calldata(self.proof_bytes, self.instances)

    def to_dir(self, out_dir: Path, ezkl_proof: dict) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        proof_path = out_dir / "proof.json"
        proof_path.write_text(json.dumps(ezkl_proof))
        meta = {
            "model": self.model,
            "prompts": self.prompts,
            "answers": self.answers,
            "features": self.features,
            "outputs": self.outputs,
            "vk_sha256": self.vk_sha256,
            "prove_seconds": self.prove_seconds,
        }
        (out_dir / ANSWER_FILE).write_text(json.dumps(meta, indent=1) + "\n")
        self.path = proof_path
        return proof_path
