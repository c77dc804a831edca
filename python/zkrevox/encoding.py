"""Field-element encoding of instances (BN254 scalar field), as ezkl and the EVM want it.

ezkl's proof JSON holds each instance as 64 hex digits of the field element in
little-endian byte order; the EVM verifier takes big-endian ``uint256``.
Fixed point: a value ``x`` at scale ``s`` is ``round(x · 2^s)``; a negative
value ``v`` is the field element ``r − |v|``. The work is done in Rust
(``zkrevox._native``); this module maps its errors to what they mean here.
"""

from __future__ import annotations

from zkrevox import _native
from zkrevox.errors import InputError, ProofError

FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617
HALF_FIELD = (FIELD_MODULUS - 1) // 2


def instance_to_int(felt_hex: str) -> int:
    """Signed value of one ezkl instance (values above (r-1)/2 are negative)."""
    try:
        return _native.felt_hex_to_int(felt_hex)
    except (InputError, TypeError) as exc:
        raise ProofError(f"instance {felt_hex!r} is not a field element ({exc}); the proof file is corrupted") from None


def instances_to_ints(felts: list[str]) -> list[int]:
    return [instance_to_int(x) for x in felts]


def instance_to_uint256(felt_hex: str) -> int:
    """The instance as the EVM's big-endian ``uint256`` (negatives as r − |v|)."""
    try:
        return int.from_bytes(_native.felt_hex_to_be_bytes(felt_hex), "big")
    except (InputError, TypeError) as exc:
        raise ProofError(f"instance {felt_hex!r} is not a field element ({exc}); the proof file is corrupted") from None


def verify_calldata(proof_bytes: bytes, felts: list[str]) -> bytes:
    """Calldata of ezkl's Solidity ``verifyProof(bytes,uint256[])``."""
    return _native.encode_verify_calldata(proof_bytes, felts)


def uint256_to_int(felt: int) -> int:
    """Signed value of a field element given as an integer (values above (r-1)/2 are negative)."""
    if not 0 <= felt < FIELD_MODULUS:
        raise ProofError(f"{felt:#x} is not a field element (>= r)")
    return felt - FIELD_MODULUS if felt > HALF_FIELD else felt


def pack_features(counts: list[int], digits: int, bits: int, shift: int) -> list[int]:
    """Feature counts as a packed-features circuit publishes them (DPrompt's FeaturePacking):
    word j = sum over t < digits of counts[j * digits + t] << (shift + bits * t)."""
    return [
        sum(c << (shift + bits * t) for t, c in enumerate(counts[j : j + digits]))
        for j in range(0, len(counts), digits)
    ]


def zigzag(v: int) -> int:
    """A signed output as DPrompt takes it: v >= 0 as 2v, v < 0 as -2v - 1 (small either way)."""
    if not -HALF_FIELD <= v <= HALF_FIELD:
        raise InputError(f"output {v} is outside the signed BN254 range +-(r - 1) / 2")
    return 2 * v if v >= 0 else -2 * v - 1


def unzigzag(z: int) -> int:
    """The signed integer a zigzag-encoded output stands for."""
    return z >> 1 if z % 2 == 0 else -(z >> 1) - 1
