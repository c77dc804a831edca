"""A proven answer: ezkl's proof JSON plus what it attests, decoded.

A proof directory holds ``proof.json`` (ezkl's own file: plain ``ezkl.verify``
accepts it) and ``answer.json`` (the prompts, answers and verifying-key hash it
claims). ``instances`` are ezkl's little-endian hex field elements: every
prompt's features, then every prompt's outputs.

A prompt is bytes, not necessarily UTF-8 (whatever DPrompt's ``request`` took):
``answer.json`` records them as hex (``prompt_hex``, ``prompts_hex``), the source
of truth, beside their text form for people (``prompt``/``prompts``,
``zkrevox.featurize.prompt_text``). Files written before ``prompt_hex`` existed
hold UTF-8 prompts only and are read as such.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from zkrevox.encoding import instance_to_uint256, instances_to_ints, verify_calldata
from zkrevox.errors import ProofError
from zkrevox.featurize import prompt_text

PROOF_FILE = "proof.json"
ANSWER_FILE = "answer.json"


def read_ezkl_proof(path: Path) -> tuple[Path, list[str], bytes]:
    """``(path, instances, proof bytes)`` of an ezkl proof file (or the directory holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / PROOF_FILE
    try:
        raw = json.loads(path.read_text())
        instances, proof_bytes = [str(x) for x in raw["instances"][0]], bytes(raw["proof"])
        hex_proof = raw.get("hex_proof")
    except FileNotFoundError:
        raise ProofError(f"proof file {path} not found; run `zkrevox prove` first") from None
    except IsADirectoryError:
        raise ProofError(f"{path} is a directory, not a proof file; give proof.json or its directory") from None
    except (json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError, UnicodeDecodeError) as exc:
        raise ProofError(f"{path} is not an ezkl proof file ({exc}); prove again") from None
    # ezkl writes the proof twice: "proof" (bytes; what ezkl.verify reads and what goes on-chain)
    # and "hex_proof". A file whose copies disagree was edited: refuse it rather than pick one.
    if hex_proof is not None and str(hex_proof).lower().removeprefix("0x") != proof_bytes.hex():
        raise ProofError(
            f"{path}: its two copies of the proof disagree (\"proof\" ≠ \"hex_proof\"); the file was edited, "
            "prove again"
        )
    return path, instances, proof_bytes


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


_PROOF_FIELDS = frozenset({"model", "prompt", "prompt_hex", "features", "outputs", "vk_sha256", "prove_seconds"})
_BATCH_FIELDS = frozenset({"model", "prompts", "prompts_hex", "answers", "features", "outputs", "vk_sha256",
                           "prove_seconds"})


def _answer_key(meta: dict[str, Any], fields: frozenset[str]) -> str:
    """The answer's key in ``answer.json``: ``answer_key``, or, in files written before it existed,
    the one field that is not a known one (the first agent's key)."""
    if "answer_key" in meta:
        return str(meta["answer_key"])
    others = sorted(set(meta) - fields)
    return others[0] if len(others) == 1 else "labels"


def _raw_prompts(texts: list[str], hexes: list[str] | None, meta_path: Path) -> list[bytes]:
    """The prompts' bytes from ``answer.json``: their hex, checked against the text form beside it."""
    if hexes is None:  # written before prompts could be any bytes: UTF-8 text only
        return [t.encode("utf-8") for t in texts]
    try:
        raw = [bytes.fromhex(h) for h in hexes]
    except (TypeError, ValueError) as exc:
        raise ProofError(f"{meta_path} has a bad prompt hex ({exc}); prove again") from None
    if [prompt_text(r) for r in raw] != list(texts):
        raise ProofError(f"{meta_path}: the prompt's hex and its text disagree; one of them was edited, prove again")
    return raw


@dataclass
class Proof(_ProofFiles):
    """One prompt's answer and its proof."""

    model: str
    prompt: str
    labels: list[str]  # the answer, in the model's label order
    features: list[int]
    outputs: list[int]
    instances: list[str]
    proof_bytes: bytes
    vk_sha256: str
    path: Path | None = None
    prove_seconds: float | None = None
    raw_prompt: bytes = b""  # the prompt's bytes (empty: ``prompt`` encoded as UTF-8)
    answer_key: str = "labels"  # the answer's key in answer.json: its agent's Agent.answer_key

    def __post_init__(self) -> None:
        if not self.raw_prompt:
            self.raw_prompt = self.prompt.encode("utf-8")

    # The batch view, shared with BatchProof: one entry per prompt the proof answers.
    @property
    def prompts(self) -> list[str]:
        return [self.prompt]

    @property
    def raw_prompts(self) -> list[bytes]:
        return [self.raw_prompt]

    @property
    def answers(self) -> list[list[str]]:
        return [self.labels]

    def _meta(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompt": self.prompt,
            "prompt_hex": self.raw_prompt.hex(),
            "answer_key": self.answer_key,
            self.answer_key: self.labels,
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
            hexes = [meta["prompt_hex"]] if "prompt_hex" in meta else None
            key = _answer_key(meta, _PROOF_FIELDS)
            (raw,) = _raw_prompts([meta["prompt"]], hexes, path.with_name(ANSWER_FILE))
            return cls(
                model=meta["model"],
                prompt=meta["prompt"],
                raw_prompt=raw,
                labels=list(meta[key]),
                answer_key=key,
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
    raw_prompts: list[bytes] = field(default_factory=list)  # the prompts' bytes (empty: ``prompts`` as UTF-8)
    answer_key: str = "labels"  # what each answer is: its agent's Agent.answer_key

    def __post_init__(self) -> None:
        if not self.raw_prompts:
            self.raw_prompts = [p.encode("utf-8") for p in self.prompts]

    def _meta(self) -> dict[str, Any]:
        return {
            "model": self.model,
            "prompts": self.prompts,
            "prompts_hex": [r.hex() for r in self.raw_prompts],
            "answer_key": self.answer_key,
            "answers": self.answers,
            "features": self.features,
            "outputs": self.outputs,
            "vk_sha256": self.vk_sha256,
            "prove_seconds": self.prove_seconds,
        }

    @classmethod
    def from_file(cls, path: Path) -> BatchProof:
        """Read a batch proof directory (or its ``proof.json``) written by ``Prover.prove_batch``."""
        path, instances, proof_bytes, meta = cls._read(path)
        try:
            n_out = sum(len(o) for o in meta["outputs"])
            flat = instances_to_ints(instances[len(instances) - n_out :])
            sizes = [len(o) for o in meta["outputs"]]
            starts = [sum(sizes[:i]) for i in range(len(sizes))]
            return cls(
                model=meta["model"],
                prompts=list(meta["prompts"]),
                answers=[list(a) for a in meta["answers"]],
                features=[list(f) for f in meta["features"]],
                outputs=[flat[s : s + n] for s, n in zip(starts, sizes, strict=True)],
                instances=instances,
                proof_bytes=proof_bytes,
                vk_sha256=meta["vk_sha256"],
                path=path,
                prove_seconds=meta.get("prove_seconds"),
                raw_prompts=_raw_prompts(list(meta["prompts"]), meta.get("prompts_hex"), path.with_name(ANSWER_FILE)),
                answer_key=_answer_key(meta, _BATCH_FIELDS),
            )
        except (KeyError, TypeError) as exc:
            raise ProofError(f"{path.with_name(ANSWER_FILE)} lacks {exc}; prove again") from None
