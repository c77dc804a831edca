"""What a fulfilment sends: the proof bytes and the instances, from a ``zkrevox.Proof`` or an
ezkl ``proof.json``."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zkrevox.encoding import instance_to_uint256, uint256_to_int
from zkrevox.errors import ProofError


@dataclass(frozen=True)
class ChainProof:
    proof_bytes: bytes
    instances: list[int]  # field elements, in the circuit's order: features, then outputs

    def outputs(self, num_outputs: int) -> list[int]:
        """The last ``num_outputs`` instances (field elements, as the contract takes them)."""
        if num_outputs > len(self.instances):
            raise ProofError(f"proof has {len(self.instances)} instances, fewer than {num_outputs} outputs")
        return self.instances[len(self.instances) - num_outputs :]

    def signed_outputs(self, num_outputs: int) -> list[int]:
        return [uint256_to_int(v) for v in self.outputs(num_outputs)]

    @classmethod
    def from_proof(cls, proof: Any) -> ChainProof:
        """From a ``zkrevox.Proof`` (anything with ``proof_bytes`` and LE-hex ``instances``)."""
        return cls(bytes(proof.proof_bytes), [instance_to_uint256(x) for x in proof.instances])

    @classmethod
    def from_file(cls, path: Path) -> ChainProof:
        """From an ezkl proof JSON (``zkrevox prove`` writes one as ``proof.json``)."""
        path = Path(path)
        if path.is_dir():
            path = path / "proof.json"
        try:
            raw = json.loads(path.read_text())
            return cls(bytes(raw["proof"]), [instance_to_uint256(x) for x in raw["instances"][0]])
        except FileNotFoundError:
            raise ProofError(f"proof file {path} not found; run `zkrevox prove` first") from None
        except (json.JSONDecodeError, KeyError, IndexError, TypeError, ValueError) as exc:
            raise ProofError(f"{path} is not an ezkl proof file ({exc}); prove again") from None
