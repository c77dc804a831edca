"""What a fulfilment sends: the proof bytes and the instances, from a ``zkrevox.Proof`` or an
ezkl ``proof.json``."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from zkrevox.encoding import instance_to_uint256, uint256_to_int, zigzag
from zkrevox.errors import ProofError
from zkrevox.proof import read_ezkl_proof


@dataclass(frozen=True)
class ChainProof:
    proof_bytes: bytes
    instances: list[int]  # field elements, in the circuit's order: features, then outputs

    def field_outputs(self, num_outputs: int) -> list[int]:
        """The last ``num_outputs`` instances: the outputs as field elements."""
        if num_outputs > len(self.instances):
            raise ProofError(f"proof has {len(self.instances)} instances, fewer than {num_outputs} outputs")
        return self.instances[len(self.instances) - num_outputs :]

    def signed_outputs(self, num_outputs: int) -> list[int]:
        return [uint256_to_int(v) for v in self.field_outputs(num_outputs)]

    def outputs(self, num_outputs: int) -> list[int]:
        """The outputs as ``fulfil``/``fulfilBatch`` take them: zigzag-encoded signed integers."""
        return [zigzag(v) for v in self.signed_outputs(num_outputs)]

    @classmethod
    def from_proof(cls, proof: Any) -> ChainProof:
        """From a ``zkrevox.Proof`` (anything with ``proof_bytes`` and LE-hex ``instances``)."""
        return cls(bytes(proof.proof_bytes), [instance_to_uint256(x) for x in proof.instances])

    @classmethod
    def from_file(cls, path: Path) -> ChainProof:
        """From an ezkl proof JSON (``zkrevox prove`` writes one as ``proof.json``)."""
        _, instances, proof_bytes = read_ezkl_proof(path)
        return cls(proof_bytes, [instance_to_uint256(x) for x in instances])
