"""Type stubs of ``zkrevox._native``, the compiled Rust core (rust/zkrevox-py).

Users import from ``zkrevox``, not from here. Checked against the binary by
``python -m mypy.stubtest zkrevox._native``. Every error is a
``zkrevox.errors.InputError`` unless stated otherwise.
"""

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, TypeAlias, final

_Prompt: TypeAlias = str | bytes | bytearray | memoryview

__version__: str

__all__ = [
    "FeatureSpec",
    "__version__",
    "be_bytes_to_felt_hex",
    "decode_call",
    "decode_verify_calldata",
    "dequantize",
    "encode_call",
    "encode_verify_calldata",
    "featurize",
    "featurize_batch",
    "featurize_bytes",
    "featurize_matrix",
    "featurize_quantized_batch",
    "felt_hex_to_be_bytes",
    "felt_hex_to_int",
    "int_to_felt_hex",
    "quantize",
]

@final
class FeatureSpec:
    """Featurizer parameters (docs/FEATURIZER.md); immutable, validated on construction."""

    def __new__(
        cls,
        vocab: Sequence[str],
        max_bytes: int = 192,
        trigram_buckets: int = 32,
        clip: int = 3,
        fuzzy_min_len: int = 5,
        version: int = 1,
        slots: Sequence[int] = ...,  # () (PyO3 shows a vec![] default as ...)
        context_slots: int = 0,
    ) -> FeatureSpec: ...
    @staticmethod
    def from_dict(data: Mapping[str, Any]) -> FeatureSpec:
        """From an input spec mapping (``models/<name>/input_spec.json``); extra keys are ignored."""
    def to_dict(self) -> dict[str, Any]:
        """``{"version", "max_bytes", "trigram_buckets", "clip", "fuzzy_min_len", "vocab"}``, plus
        ``"slots"`` and ``"context_slots"`` for version 2."""
    @property
    def vocab(self) -> tuple[str, ...]: ...
    @property
    def version(self) -> int: ...
    @property
    def slots(self) -> tuple[int, ...]: ...
    @property
    def context_slots(self) -> int: ...
    @property
    def num_slots(self) -> int: ...
    @property
    def name_slots(self) -> int: ...
    @property
    def max_bytes(self) -> int: ...
    @property
    def trigram_buckets(self) -> int: ...
    @property
    def clip(self) -> int: ...
    @property
    def fuzzy_min_len(self) -> int: ...
    @property
    def num_features(self) -> int:
        """``num_slots + 2 * context_slots + trigram_buckets`` (version 1: ``len(vocab) + trigram_buckets``)."""
    def __eq__(self, value: object, /) -> bool: ...
    def __hash__(self) -> int: ...
    def __getnewargs__(self) -> tuple[tuple[str, ...], int, int, int, int]: ...

def featurize(prompt: _Prompt, spec: FeatureSpec) -> list[int]:
    """Features of one prompt; bit-identical to ``zkrevox.featurize.featurize``."""

def featurize_batch(prompts: Iterable[_Prompt], spec: FeatureSpec) -> list[list[int]]:
    """Features of every prompt, computed with the GIL released; the error names the first bad index."""

def featurize_bytes(prompt: _Prompt, spec: FeatureSpec) -> bytes:
    """Features of one prompt, one byte per count (``clip <= 255``)."""

def featurize_matrix(prompts: Iterable[_Prompt], spec: FeatureSpec) -> bytes:
    """Features of every prompt as one row-major ``len(prompts) × num_features`` byte matrix."""

def featurize_quantized_batch(prompts: Iterable[_Prompt], spec: FeatureSpec, scale: int) -> list[list[int]]:
    """Features times ``2**scale``, one row per prompt: the circuit inputs of a batch."""

def quantize(x: float, scale: int) -> int:
    """``x * 2**scale`` rounded half away from zero (as ezkl); ``0 <= scale <= 62``."""

def dequantize(v: int, scale: int) -> float:
    """``v / 2**scale``."""

def int_to_felt_hex(v: int) -> str:
    """A signed 128-bit integer as ezkl's field-element hex (64 digits, little-endian, no ``0x``)."""

def felt_hex_to_int(felt: str) -> int:
    """ezkl's field-element hex (optional ``0x``) as a signed integer; values above (r-1)/2 are negative."""

def felt_hex_to_be_bytes(felt: str) -> bytes:
    """ezkl's field-element hex as the 32 big-endian bytes of an EVM ``uint256``."""

def be_bytes_to_felt_hex(data: bytes) -> str:
    """32 big-endian bytes (``< r``) as ezkl's field-element hex."""

def encode_call(signature: str, args: Sequence[int | bytes | bytearray | Sequence[int]]) -> bytes:
    """ABI calldata: ``int`` → uint256/address, ``bytes`` → bytes, ``list[int]`` → uint256[]."""

def decode_call(signature: str, data: bytes) -> list[int | bytes | list[int]]:
    """The arguments of calldata of ``signature`` (the inverse of ``encode_call``)."""

def encode_verify_calldata(proof: bytes, instances_le_hex: Sequence[str]) -> bytes:
    """Calldata of ezkl's ``verifyProof(bytes,uint256[])`` from the proof and its instances (ezkl hex)."""

def decode_verify_calldata(data: bytes) -> tuple[bytes, list[int]]:
    """The proof bytes and instances of ``verifyProof(bytes,uint256[])`` calldata."""
