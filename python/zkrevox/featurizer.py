"""The production featurizer: Rust (``zkrevox._native``), the GIL released for batches.

``zkrevox.featurize`` is the pure-Python reference this must equal bit for bit.
"""

from __future__ import annotations

import numpy as np

from zkrevox import _native
from zkrevox.featurize import FeatureSpec


def native_spec(spec: FeatureSpec) -> _native.FeatureSpec:
    """The Rust twin of ``spec``, built once and kept on the spec (hashing the vocabulary per call is slow)."""
    cached = spec.__dict__.get("_native")
    if cached is None:
        cached = _native.FeatureSpec(
            vocab=list(spec.vocab),
            max_bytes=spec.max_bytes,
            trigram_buckets=spec.trigram_buckets,
            clip=spec.clip,
            fuzzy_min_len=spec.fuzzy_min_len,
            version=spec.version,
            slots=list(spec.slots),
            context_slots=spec.context_slots,
        )
        object.__setattr__(spec, "_native", cached)
    return cached


def featurize(prompt: str | bytes, spec: FeatureSpec) -> list[int]:
    return _native.featurize(prompt, native_spec(spec))


def featurize_batch(prompts: list[str] | list[bytes], spec: FeatureSpec) -> list[list[int]]:
    return _native.featurize_batch(list(prompts), native_spec(spec))


def featurize_bytes(prompt: str | bytes, spec: FeatureSpec) -> bytes:
    """``featurize`` as one byte per count: no Python int per feature."""
    return _native.featurize_bytes(prompt, native_spec(spec))


def featurize_array(prompts: list[str] | list[bytes], spec: FeatureSpec) -> np.ndarray:
    """Features of every prompt as a ``uint8`` array of shape ``(len(prompts), num_features)``."""
    matrix = _native.featurize_matrix(list(prompts), native_spec(spec))
    return np.frombuffer(matrix, dtype=np.uint8).reshape(len(prompts), spec.num_features)
