"""Pure-Python reference of the prompt featurizer (docs/FEATURIZER.md, version 1).

The production path is the Rust implementation in ``zkrevox._native``; this
module is the executable specification the Rust and Solidity versions are
tested against. Keep it simple and literal, not fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from zkrevox.errors import InputError

MASK32 = 0xFFFFFFFF
FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193
TRIGRAM_TAG = 0x01000000


def fnv1a(data: bytes) -> int:
    h = FNV_OFFSET
    for b in data:
        h = ((h ^ b) * FNV_PRIME) & MASK32
    return h


def fmix(h: int) -> int:
    h ^= h >> 16
    h = (h * 0x85EBCA6B) & MASK32
    h ^= h >> 13
    h = (h * 0xC2B2AE35) & MASK32
    h ^= h >> 16
    return h


def deletions(word: bytes) -> list[bytes]:
    """The word with one byte removed, for each position in order."""
    return [word[:j] + word[j + 1 :] for j in range(len(word))]


@dataclass(frozen=True)
class FeatureSpec:
    """Featurizer parameters; part of a model's input spec."""

    vocab: tuple[str, ...]
    max_bytes: int = 192
    trigram_buckets: int = 32
    clip: int = 3
    fuzzy_min_len: int = 5
    exact: dict[int, int] = field(init=False, repr=False, compare=False)
    fuzzy: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vocab", tuple(self.vocab))
        self.validate()
        exact: dict[int, int] = {}
        fuzzy: dict[int, int] = {}
        for i, word in enumerate(self.vocab):
            exact.setdefault(fnv1a(word.encode()), i)
        if self.fuzzy_min_len:
            for i, word in enumerate(self.vocab):
                raw = word.encode()
                if len(raw) >= self.fuzzy_min_len:
                    for d in deletions(raw):
                        fuzzy.setdefault(fnv1a(d), i)
        object.__setattr__(self, "exact", exact)
        object.__setattr__(self, "fuzzy", fuzzy)

    @property
    def num_features(self) -> int:
        return len(self.vocab) + self.trigram_buckets

    def to_dict(self) -> dict[str, object]:
        return {
            "version": 1,
            "max_bytes": self.max_bytes,
            "trigram_buckets": self.trigram_buckets,
            "clip": self.clip,
            "fuzzy_min_len": self.fuzzy_min_len,
            "vocab": list(self.vocab),
        }

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSpec:
        if data.get("version", 1) != 1:
            raise InputError(f"featurizer version {data.get('version')} is not supported (this is version 1)")
        return cls(
            vocab=tuple(data["vocab"]),
            max_bytes=int(data["max_bytes"]),
            trigram_buckets=int(data["trigram_buckets"]),
            clip=int(data["clip"]),
            fuzzy_min_len=int(data["fuzzy_min_len"]),
        )

    def validate(self) -> None:
        if self.trigram_buckets < 1 or self.clip < 1 or self.max_bytes < 1 or self.fuzzy_min_len < 0:
            raise InputError("trigram_buckets, clip and max_bytes must be >= 1, fuzzy_min_len >= 0")
        for word in self.vocab:
            if not word or words(word.encode()) != [word.encode()]:
                raise InputError(f"vocabulary entry {word!r} is not a normalized word (see FEATURIZER.md §2)")
        if len(set(self.vocab)) != len(self.vocab):
            raise InputError("vocabulary has duplicate words")


def prompt_bytes(prompt: str | bytes, spec: FeatureSpec) -> bytes:
    """Validate a prompt and return its bytes: the rule DPrompt's ``request`` applies, 1 to
    ``max_bytes`` bytes of any value. ``str`` is encoded as UTF-8; bytes need not be UTF-8."""
    if isinstance(prompt, str):
        try:
            data = prompt.encode("utf-8")
        except UnicodeEncodeError:
            raise InputError(
                "prompt text has a lone surrogate, which UTF-8 cannot encode; send the prompt as bytes"
            ) from None
    elif isinstance(prompt, (bytes, bytearray, memoryview)):
        data = bytes(prompt)
    else:
        raise InputError(f"prompt must be str or bytes, not {type(prompt).__name__}")
    if not data:
        raise InputError("empty prompt; send at least one character")
    if len(data) > spec.max_bytes:
        raise InputError(
            f"prompt is {len(data)} bytes, limit is {spec.max_bytes}; shorten it "
            "(prompts are rejected, never truncated, on-chain too)"
        )
    return data


def prompt_text(data: bytes) -> str:
    """A prompt's bytes as text for people and logs: UTF-8, any other byte shown as ``\\xNN``.

    Lossy (a prompt that spells ``\\xff`` reads the same as the byte 0xff): keep the bytes
    (or their hex) wherever the prompt must round-trip."""
    return bytes(data).decode("utf-8", errors="backslashreplace")


def words(data: bytes) -> list[bytes]:
    """Tokenize normalized bytes into words (FEATURIZER.md section 2)."""
    out: list[bytes] = []
    cur = bytearray()
    prev_digit = False
    for c in data:
        if 65 <= c <= 90:
            cur.append(c + 32)
            prev_digit = False
        elif 97 <= c <= 122:
            cur.append(c)
            prev_digit = False
        elif 48 <= c <= 57:
            if not prev_digit:
                cur.append(48)
            prev_digit = True
        else:
            if cur:
                out.append(bytes(cur))
                cur = bytearray()
            prev_digit = False
    if cur:
        out.append(bytes(cur))
    return out


def vocab_slot(word: bytes, spec: FeatureSpec) -> int | None:
    """The vocabulary slot of a word, exact or within one edit (FEATURIZER.md section 4)."""
    h = fnv1a(word)
    slot = spec.exact.get(h)
    if slot is not None or not spec.fuzzy_min_len or len(word) < spec.fuzzy_min_len:
        return slot
    slot = spec.fuzzy.get(h)
    if slot is not None:
        return slot
    for d in deletions(word):
        hd = fnv1a(d)
        slot = spec.exact.get(hd)
        if slot is None:
            slot = spec.fuzzy.get(hd)
        if slot is not None:
            return slot
    return None


def featurize_bytes(data: bytes, spec: FeatureSpec) -> list[int]:
    """Features of already-validated prompt bytes."""
    v_n, t_n = len(spec.vocab), spec.trigram_buckets
    x = [0] * spec.num_features
    for word in words(data):
        slot = vocab_slot(word, spec)
        if slot is not None:
            x[slot] += 1
            continue
        padded = b" " + word + b" "
        for i in range(len(padded) - 2):
            key = TRIGRAM_TAG | padded[i] << 16 | padded[i + 1] << 8 | padded[i + 2]
            x[v_n + fmix(key) % t_n] += 1
    return [min(v, spec.clip) for v in x]


def featurize(prompt: str | bytes, spec: FeatureSpec) -> list[int]:
    """Validate ``prompt`` and return its feature vector."""
    return featurize_bytes(prompt_bytes(prompt, spec), spec)
