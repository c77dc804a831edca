"""The production featurizer: Rust (``zkrevox._native``), the GIL released for batches.

``zkrevox.featurize`` is the pure-Python reference this must equal bit for bit.
"""

from __future__ import annotations

from functools import lru_cache

from zkrevox.errors import ArtifactError
from zkrevox.featurize import FeatureSpec


def _native():
    try:
        from zkrevox import _native
    except ImportError as exc:  # pragma: no cover - exercised only on a broken install
        raise ArtifactError(
            f"the compiled extension zkrevox._native is missing ({exc}); run `make setup`"
        ) from None
    return _native


@lru_cache(maxsize=8)
def native_spec(spec: FeatureSpec):
    return _native().FeatureSpec(
        vocab=list(spec.vocab),
        max_bytes=spec.max_bytes,
        trigram_buckets=spec.trigram_buckets,
        clip=spec.clip,
        fuzzy_min_len=spec.fuzzy_min_len,
    )


def featurize(prompt: str | bytes, spec: FeatureSpec) -> list[int]:
    return _native().featurize(prompt, native_spec(spec))


def featurize_batch(prompts: list[str] | list[bytes], spec: FeatureSpec) -> list[list[int]]:
    return _native().featurize_batch(list(prompts), native_spec(spec))
