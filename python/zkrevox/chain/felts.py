"""BN254 scalar-field elements as ezkl writes them (little-endian hex) and the EVM takes them
(big-endian ``uint256``); negative values are ``r - |v|``. Pure Python, so the chain tooling
works without the compiled extension."""

from __future__ import annotations

from zkrevox.errors import ProofError

FIELD_MODULUS = 21888242871839275222246405745257275088548364400416034343698204186575808495617
HALF_FIELD = (FIELD_MODULUS - 1) // 2


def le_hex_to_felt(text: str) -> int:
    raw = text.removeprefix("0x")
    if len(raw) != 64:
        raise ProofError(f"instance {text!r} is not 32 bytes of hex; the proof file is corrupted")
    try:
        value = int.from_bytes(bytes.fromhex(raw), "little")
    except ValueError:
        raise ProofError(f"instance {text!r} is not hex; the proof file is corrupted") from None
    if value >= FIELD_MODULUS:
        raise ProofError(f"instance {text!r} is not a field element (>= r); the proof file is corrupted")
    return value


def felt_to_signed(felt: int) -> int:
    """Signed value of a field element (values above (r-1)/2 are negative)."""
    if not 0 <= felt < FIELD_MODULUS:
        raise ProofError(f"{felt:#x} is not a field element (>= r)")
    return felt - FIELD_MODULUS if felt > HALF_FIELD else felt


def signed_to_felt(value: int) -> int:
    return value % FIELD_MODULUS
