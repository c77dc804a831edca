"""A proven answer: ezkl's proof JSON plus what it attests, decoded.

A proof directory holds ``proof.json`` (ezkl's own file: plain ``ezkl.verify``
accepts it) and ``answer.json`` (the prompts, answers and verifying-key hash it
claims). ``instances`` are ezkl's little-endian hex field elements: every
prompt's features, then every prompt's outputs.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zkrevox.encoding import instance_to_uint256, instances_to_ints, verify_calldata
from zkrevox.errors import ProofError

PROOF_FILE = "proof.json"
ANSWER_FILE = "answer.json"


def read_ezkl_proof(path: Path) -> tuple[Path, list[str], bytes]:
    """``(path, instances, proof bytes)`` of an ezkl proof file (or the directory holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / PROOF_FILE
    try:
        raw = json.loads(path.read_text())
        return path, [str(x) for x in raw["instances"][0]], bytes(raw["proof"])
    except FileNotFoundError:
        raise ProofError(f"proof file {path} not found; run `zkrevox prove` first") from None
    except (json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as exc:
        raise ProofError(f"{path} is not an ezkl proof file ({exc}); prove again") from None


class _ProofFiles:
    """What single and batch proofs share: EVM encodings and the proof directory."""

    instances: list[str]
    proof_bytes: bytes
    path: Path | None

    @property
    def instance_uints(self) -> list[int]:
        """Instances as the EVM's uint256 field elements."""
        return [instance_to_uint256(x) for x in self.instances]

    @property
    def calldata(self) -> bytes:
        """Calldata of the generated verifier's ``verifyProof(bytes,uint256[])``."""
        return verify_calldata(self.proof_bytes, self.instances)

    def _meta(self) -> dict[str, Any]:
        raise NotImplementedError

    def to_dir(self, out_dir: Path, ezkl_proof: dict) -> Path:
        out_dir.mkdir(parents=True, exist_ok=True)
        proof_path = out_dir / PROOF_FILE
        proof_path.write_text(json.dumps(ezkl_proof))
        (out_dir / ANSWER_FILE).write_text(json.dumps(self._meta(), indent=1) + "\n")
        self.path = proof_path
        return proof_path

    @staticmethod
    def _read(path: Path) -> tuple[Path, list[str], bytes, dict[str, Any]]:
        path, instances, proof_bytes = read_ezkl_proof(path)
        meta_path = path.with_name(ANSWER_FILE)
        try:
            meta = json.loads(meta_path.read_text())
        except FileNotFoundError:
            raise ProofError(
                f"{meta_path} is missing: a zkrevox proof directory holds {PROOF_FILE} and {ANSWER_FILE}"
            ) from None
        except json.JSONDecodeError as exc:
            raise ProofError(f"{meta_path} is corrupted ({exc}); prove again") from None
        return path, instances, proof_bytes, meta


@dataclass
class Proof(_ProofFiles):
    """One prompt's answer and its proof."""

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

    # The batch view, shared with BatchProof: one entry per prompt the proof answers.
    @property
    def prompts(self) -> list[str]:
        return [self.prompt]

    @property
    def answers(self) -> list[list[str]]:
        return [self.tickers]

    def _meta(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompt": self.prompt,
            "tickers": self.tickers,
            "features": self.features,
            "outputs": self.outputs,
            "vk_sha256": self.vk_sha256,
            "prove_seconds": self.prove_seconds,
        }

    @classmethod
    def from_file(cls, path: Path) -> Proof:
        """Read a proof directory (or its ``proof.json``) written by ``zkrevox prove``."""
        path, instances, proof_bytes, meta = cls._read(path)
        try:
            return cls(
                model=meta["model"],
                prompt=meta["prompt"],
                tickers=list(meta["tickers"]),
                features=list(meta["features"]),
                outputs=instances_to_ints(instances[-len(meta["outputs"]) :]),
                instances=instances,
                proof_bytes=proof_bytes,
                vk_sha256=meta["vk_sha256"],
                path=path,
                prove_seconds=meta.get("prove_seconds"),
            )
        except (KeyError, TypeError) as exc:
            raise ProofError(f"{path.with_name(ANSWER_FILE)} lacks {exc}; prove again") from None


@dataclass
class BatchProof(_ProofFiles):
    """One proof answering several prompts at once (a batch-N circuit)."""

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

    def _meta(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompts": self.prompts,
            "answers": self.answers,
            "features": self.features,
            "outputs": self.outputs,
            "vk_sha256": self.vk_sha256,
            "prove_seconds": self.prove_seconds,
        }
