"""Pure-Python reference of the prompt featurizer (docs/FEATURIZER.md, versions 1 and 2).

The production path is the Rust implementation in ``zkrevox._native``; this
module is the executable specification the Rust and Solidity versions are
tested against. Keep it simple and literal, not fast.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from zkrevox.errors import InputError

MASK32 = 0xFFFFFFFF
FNV_OFFSET = 0x811C9DC5
FNV_PRIME = 0x01000193
TRIGRAM_TAG = 0x01000000
# Version 2: these bytes are words of their own (``$`` cashtag, ``-`` ``.`` ``/`` joints).
MARKS = b"$-./"
VERSIONS = (1, 2)


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


def version_error(version: object) -> InputError:
    return InputError(f"featurizer version {version} is not supported (this is versions 1 and 2); upgrade zkrevox")


def deletions(word: bytes) -> list[bytes]:
    """The word with one byte removed, for each position in order."""
    return [word[:j] + word[j + 1 :] for j in range(len(word))]


@dataclass(frozen=True)
class FeatureSpec:
    """Featurizer parameters; part of a model's input spec.

    Version 1: vocabulary word ``i`` owns feature ``i``. Version 2 (FEATURIZER.md §7): word ``i``
    counts in slot ``slots[i]`` (several words may share one), the last ``context_slots`` of the
    ``S = max(slots) + 1`` slots are *context* slots, and each context slot has two adjacency
    features (before / after a name); ``$ - . /`` are words of their own.
    """

    vocab: tuple[str, ...]
    max_bytes: int = 192
    trigram_buckets: int = 32
    clip: int = 3
    fuzzy_min_len: int = 5
    version: int = 1
    slots: tuple[int, ...] = ()  # version 2: each word's slot; version 1: () (word i -> slot i)
    context_slots: int = 0  # version 2: K >= 1, the slots S-K .. S-1
    exact: dict[int, int] = field(init=False, repr=False, compare=False)
    fuzzy: dict[int, int] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "vocab", tuple(self.vocab))
        object.__setattr__(self, "slots", tuple(self.slots) if self.version == 2 else tuple(range(len(self.vocab))))
        self.validate()
        exact: dict[int, int] = {}
        fuzzy: dict[int, int] = {}
        for i, word in enumerate(self.vocab):
            exact.setdefault(fnv1a(word.encode()), self.slots[i])
        if self.fuzzy_min_len:
            for i, word in enumerate(self.vocab):
                raw = word.encode()
                # version 2: context words match exactly only (§7)
                if len(raw) >= self.fuzzy_min_len and self.slots[i] < self.name_slots:
                    for d in deletions(raw):
                        fuzzy.setdefault(fnv1a(d), self.slots[i])
        object.__setattr__(self, "exact", exact)
        object.__setattr__(self, "fuzzy", fuzzy)

    @property
    def num_slots(self) -> int:
        """S: features ``0 .. S-1`` count vocabulary words (version 1: ``len(vocab)``)."""
        return max(self.slots) + 1 if self.slots else 0

    @property
    def name_slots(self) -> int:
        """N = S - K: slots ``0 .. N-1`` are names, ``N .. S-1`` context."""
        return self.num_slots - self.context_slots

    @property
    def num_features(self) -> int:
        return self.num_slots + 2 * self.context_slots + self.trigram_buckets

    def to_dict(self) -> dict[str, object]:
        out: dict[str, object] = {
            "version": self.version,
            "max_bytes": self.max_bytes,
            "trigram_buckets": self.trigram_buckets,
            "clip": self.clip,
            "fuzzy_min_len": self.fuzzy_min_len,
            "vocab": list(self.vocab),
        }
        if self.version == 2:
            out["slots"] = list(self.slots)
            out["context_slots"] = self.context_slots
        return out

    @classmethod
    def from_dict(cls, data: dict) -> FeatureSpec:
        version = data.get("version", 1)
        if version not in VERSIONS:
            raise version_error(version)
        extra: dict[str, Any] = {}
        if version == 2:
            extra = {"slots": tuple(data["slots"]), "context_slots": int(data["context_slots"])}
        return cls(
            vocab=tuple(data["vocab"]),
            max_bytes=int(data["max_bytes"]),
            trigram_buckets=int(data["trigram_buckets"]),
            clip=int(data["clip"]),
            fuzzy_min_len=int(data["fuzzy_min_len"]),
            version=1 if version == 1 else 2,
            **extra,
        )

    def validate(self) -> None:
        if self.trigram_buckets < 1 or self.clip < 1 or self.max_bytes < 1 or self.fuzzy_min_len < 0:
            raise InputError("trigram_buckets, clip and max_bytes must be >= 1, fuzzy_min_len >= 0")
        if self.version not in VERSIONS:
            raise version_error(self.version)
        for word in self.vocab:
            if not word or words(word.encode(), self.version) != [word.encode()]:
                raise InputError(f"vocabulary entry {word!r} is not a normalized word (see FEATURIZER.md §2)")
        if len(set(self.vocab)) != len(self.vocab):
            raise InputError("vocabulary has duplicate words")
        if self.version == 1 and self.context_slots:
            raise InputError("context_slots needs featurizer version 2")
        if self.version == 2:
            if len(self.slots) != len(self.vocab):
                raise InputError(f"slots has {len(self.slots)} entries for {len(self.vocab)} vocabulary words")
            if not self.slots or set(self.slots) != set(range(self.num_slots)):
                raise InputError("slots must use every slot 0 .. max(slots), and only those (FEATURIZER.md §7)")
            if not 1 <= self.context_slots <= min(self.num_slots, 255):
                raise InputError(
                    f"context_slots is {self.context_slots}; version 2 needs 1 .. min(slots, 255)"
                )


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


def words(data: bytes, version: int = 1) -> list[bytes]:
    """Tokenize normalized bytes into words (FEATURIZER.md section 2; version 2 adds mark words)."""
    out: list[bytes] = []
    cur = bytearray()
    prev_digit = False
    for c in data:
        if version == 2 and c in MARKS:
            if cur:
                out.append(bytes(cur))
                cur = bytearray()
            out.append(bytes([c]))
            prev_digit = False
            continue
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
    s_n, n_n, t_n = spec.num_slots, spec.name_slots, spec.trigram_buckets
    t_at = s_n + 2 * spec.context_slots
    x = [0] * spec.num_features
    prev = None  # slot of the previous in-vocabulary word
    for word in words(data, spec.version):
        slot = vocab_slot(word, spec)
        if slot is not None:
            x[slot] += 1
            # Version 2 adjacency (§7): a context word just before or after a name.
            if prev is not None and prev < n_n <= slot:
                x[s_n + 2 * (slot - n_n) + 1] += 1
            elif prev is not None and slot < n_n <= prev:
                x[s_n + 2 * (prev - n_n)] += 1
            prev = slot
            continue
        padded = b" " + word + b" "
        for i in range(len(padded) - 2):
            key = TRIGRAM_TAG | padded[i] << 16 | padded[i + 1] << 8 | padded[i + 2]
            x[t_at + fmix(key) % t_n] += 1
    return [min(v, spec.clip) for v in x]


def featurize(prompt: str | bytes, spec: FeatureSpec) -> list[int]:
    """Validate ``prompt`` and return its feature vector."""
    return featurize_bytes(prompt_bytes(prompt, spec), spec)
