"""Field-element encoding of instances (BN254 scalar field), as ezkl and the EVM want it.

ezkl's proof JSON holds each instance as 64 hex digits of the field element in
little-endian byte order; the EVM verifier takes big-endian ``uint256``.
Fixed point: a value ``x`` at scale ``s`` is ``round(x · 2^s)``; a negative
value ``v`` is the field element ``r − |v|``.
"""

from __future__ import annotations

from zkrevox.errors import ProofError

FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617
HALF_FIELD = (FIELD_MODULUS - 1) // 2


def felt_to_int(felt: int) -> int:
    """Signed value of a field element (values above (r-1)/2 are negative)."""
    if not 0 <= felt < FIELD_MODULUS:
        raise ProofError(f"instance {felt:#x} is not a field element (≥ r); the proof file is corrupted")
    return felt - FIELD_MODULUS if felt > HALF_FIELD else felt


def int_to_felt(value: int) -> int:
    return value % FIELD_MODULUS


def le_hex_to_felt(text: str) -> int:
    raw = text[2:] if text.startswith("0x") else text
    if len(raw) != 64:
        raise ProofError(f"instance {text!r} is not 32 bytes of hex; the proof file is corrupted")
    try:
        return int.from_bytes(bytes.fromhex(raw), "little")
    except ValueError:
        raise ProofError(f"instance {text!r} is not hex; the proof file is corrupted") from None


def felt_to_le_hex(felt: int) -> str:
    return felt.to_bytes(32, "little").hex()
