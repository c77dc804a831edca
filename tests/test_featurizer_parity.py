"""Rust featurizer (zkrevox._native) == Python reference (zkrevox.featurize), bit for bit.

Pinned vectors (tests/vectors/featurizer.json) plus hypothesis on arbitrary
text, arbitrary bytes (UTF-8 or not: the featurizer is defined on bytes, as
DPrompt's request is), prompts built from vocabulary words with typos, and
random specs.
"""

from __future__ import annotations

import json
import string
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkrevox import _native as native
from zkrevox import featurize as ref
from zkrevox.errors import InputError

VECTORS = Path(__file__).resolve().parent / "vectors" / "featurizer.json"
PROPS = settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])


def both(spec: ref.FeatureSpec) -> tuple[ref.FeatureSpec, native.FeatureSpec]:
    return spec, native.FeatureSpec.from_dict(spec.to_dict())


def outcome(featurize, prompt, spec) -> tuple[str, object]:
    """The features, or the InputError's message; anything else propagates."""
    try:
        return "ok", featurize(prompt, spec)
    except InputError as exc:
        return "error", str(exc)


# ---- pinned vectors -------------------------------------------------------------------------


def load_vectors() -> list[dict]:
    return json.loads(VECTORS.read_text(encoding="utf-8"))


def is_utf8(data: bytes) -> bool:
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return False
    return True


def test_vectors_cover_the_specs_and_prompts_they_promise():
    vectors = load_vectors()
    assert {v["spec_name"] for v in vectors} == {"ticker", "ticker-v1", "tiny", "exact", "context"}
    assert {v["spec"]["version"] for v in vectors} == {1, 2}
    assert len(vectors) >= 5 * 45
    data = [bytes.fromhex(v["prompt_hex"]) for v in vectors]
    assert {1, 192} <= {len(d) for d in data}
    not_utf8 = {d for d in data if not is_utf8(d)}
    assert bytes.fromhex("73776170203220fffe20666f722063616b65") in not_utf8  # issue 9's prompt
    assert {len(d) for d in not_utf8} >= {1, 192}


@pytest.mark.parametrize("vector", load_vectors(), ids=lambda v: f"{v['spec_name']}:{v['prompt'][:24]!r}")
def test_vector(vector):
    py_spec = ref.FeatureSpec.from_dict(vector["spec"])
    rs_spec = native.FeatureSpec.from_dict(vector["spec"])
    data = bytes.fromhex(vector["prompt_hex"])  # the prompt itself; "prompt" is its text form
    assert vector["prompt"] == ref.prompt_text(data)
    assert ref.featurize(data, py_spec) == vector["features"]
    assert native.featurize(data, rs_spec) == vector["features"]
    assert list(native.featurize_bytes(data, rs_spec)) == vector["features"]
    if is_utf8(data):
        assert ref.featurize(vector["prompt"], py_spec) == vector["features"]
        assert native.featurize(vector["prompt"], rs_spec) == vector["features"]


def test_vectors_batch():
    vectors = load_vectors()
    for name in ("ticker", "ticker-v1", "tiny", "exact", "context"):
        group = [v for v in vectors if v["spec_name"] == name]
        spec = native.FeatureSpec.from_dict(group[0]["spec"])
        data = [bytes.fromhex(v["prompt_hex"]) for v in group]
        assert native.featurize_batch(data, spec) == [v["features"] for v in group]
        matrix = native.featurize_matrix(data, spec)
        assert list(matrix) == [x for v in group for x in v["features"]]


# ---- strategies -----------------------------------------------------------------------------

normalized_words = st.text(alphabet=string.ascii_lowercase + "0", min_size=1, max_size=10).filter(
    lambda w: "00" not in w
)


@st.composite
def v2_fields(draw, words: list[str]) -> dict:
    """Version 2: some mark words, words dealt into dense slots, the last K of them context."""
    vocab = words + draw(st.lists(st.sampled_from(["$", "-", ".", "/"]), unique=True, min_size=1))
    num_slots = draw(st.integers(1, len(vocab)))
    extra = draw(st.lists(st.integers(0, num_slots - 1), min_size=len(vocab) - num_slots,
                          max_size=len(vocab) - num_slots))
    slots = draw(st.permutations(list(range(num_slots)) + extra))
    return {"vocab": tuple(vocab), "version": 2, "slots": tuple(slots),
            "context_slots": draw(st.integers(1, num_slots))}


@st.composite
def specs(draw) -> tuple[ref.FeatureSpec, native.FeatureSpec]:
    words = draw(st.lists(normalized_words, unique=True, max_size=40))
    fields = draw(v2_fields(words)) if draw(st.booleans()) else {"vocab": tuple(words)}
    spec = ref.FeatureSpec(
        max_bytes=draw(st.integers(1, 300)),
        trigram_buckets=draw(st.integers(1, 200)),
        clip=draw(st.integers(1, 5)),
        fuzzy_min_len=draw(st.integers(0, 8)),
        **fields,
    )
    return both(spec)


@st.composite
def typo(draw, word: str) -> str:
    """``word`` unchanged, or with one letter dropped, added, replaced or swapped, in random case."""
    i = draw(st.integers(0, len(word) - 1))
    c = draw(st.sampled_from(string.ascii_lowercase))
    edits = [word, word[:i] + word[i + 1 :], word[:i] + c + word[i:], word[:i] + c + word[i + 1 :]]
    if i + 1 < len(word):
        edits.append(word[:i] + word[i + 1] + word[i] + word[i + 2 :])
    w = draw(st.sampled_from(edits))
    return draw(st.sampled_from([w, w.upper(), w.capitalize()]))


@st.composite
def vocab_prompts(draw, vocab: tuple[str, ...]) -> str:
    """Prompts made of vocabulary words (with typos), other words and separators."""
    pool = st.one_of(
        st.sampled_from(vocab).flatmap(typo) if vocab else st.nothing(),
        st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12),
    )
    words = draw(st.lists(pool, min_size=1, max_size=12))
    separators = st.sampled_from([" ", "  ", ", ", "$", ".", "🚀", "é", "\n", "-", "/", " $", "./"])
    seps = draw(st.lists(separators, min_size=len(words), max_size=len(words)))
    return "".join(w + s for w, s in zip(words, seps, strict=True))


# ---- properties -----------------------------------------------------------------------------


@PROPS
@given(pair=specs(), prompt=st.text())
def test_any_text(pair, prompt):
    py_spec, rs_spec = pair
    assert outcome(native.featurize, prompt, rs_spec) == outcome(ref.featurize, prompt, py_spec)


@PROPS
@given(pair=specs(), data=st.data())
def test_vocabulary_words_with_typos(pair, data):
    py_spec, rs_spec = pair
    prompt = data.draw(vocab_prompts(py_spec.vocab))
    assert outcome(native.featurize, prompt, rs_spec) == outcome(ref.featurize, prompt, py_spec)
    assert outcome(native.featurize, prompt.encode(), rs_spec) == outcome(ref.featurize, prompt, py_spec)


@PROPS
@given(pair=specs(), prompt=st.binary(max_size=400))
def test_any_bytes(pair, prompt):
    py_spec, rs_spec = pair
    want = outcome(ref.featurize, prompt, py_spec)
    assert outcome(native.featurize, prompt, rs_spec) == want
    # the contract's rule and nothing else: 1..max_bytes bytes of any value
    assert (want[0] == "ok") == (1 <= len(prompt) <= py_spec.max_bytes)


@st.composite
def byte_prompts(draw, vocab: tuple[str, ...]) -> bytes:
    """Vocabulary words (with typos) and other words between arbitrary bytes, mostly not UTF-8."""
    words = draw(st.lists(
        st.one_of(st.sampled_from(vocab).flatmap(typo) if vocab else st.nothing(),
                  st.text(alphabet=string.ascii_letters + string.digits, min_size=1, max_size=12)),
        min_size=1, max_size=12))
    seps = draw(st.lists(st.binary(min_size=1, max_size=4), min_size=len(words), max_size=len(words)))
    return b"".join(w.encode() + s for w, s in zip(words, seps, strict=True))


@PROPS
@given(pair=specs(), data=st.data())
def test_vocabulary_words_between_arbitrary_bytes(pair, data):
    py_spec, rs_spec = pair
    prompt = data.draw(byte_prompts(py_spec.vocab))
    want = outcome(ref.featurize, prompt, py_spec)
    assert outcome(native.featurize, prompt, rs_spec) == want
    got = outcome(native.featurize_bytes, prompt, rs_spec)
    assert (got[0], list(got[1]) if got[0] == "ok" else got[1]) == want


@settings(max_examples=60, deadline=None)
@given(pair=specs(), prompts=st.lists(st.one_of(st.binary(max_size=60), st.text(max_size=60)), max_size=30))
def test_bytes_batch_equals_single(pair, prompts):
    py_spec, rs_spec = pair
    singles = [outcome(ref.featurize, p, py_spec) for p in prompts]
    bad = [i for i, (kind, _) in enumerate(singles) if kind == "error"]
    if bad:
        with pytest.raises(InputError, match=rf"^prompt {bad[0]} of the batch: "):
            native.featurize_batch(prompts, rs_spec)
    else:
        assert native.featurize_batch(prompts, rs_spec) == [f for _, f in singles]
        assert list(native.featurize_matrix(prompts, rs_spec)) == [x for _, f in singles for x in f]


@PROPS
@given(pair=specs(), prompt=st.text(alphabet="aeiostnr0123 ", max_size=80), junk=st.binary(max_size=3))
def test_bytes_like_inputs_agree(pair, prompt, junk):
    py_spec, rs_spec = pair
    want = outcome(ref.featurize, prompt, py_spec)
    data = prompt.encode()
    for form in (data, bytearray(data), memoryview(data)):
        assert outcome(native.featurize, form, rs_spec) == want
    data += junk
    want = outcome(ref.featurize, data, py_spec)
    for form in (data, bytearray(data), memoryview(data)):
        assert outcome(ref.featurize, form, py_spec) == want
        assert outcome(native.featurize, form, rs_spec) == want


@settings(max_examples=60, deadline=None)
@given(pair=specs(), prompts=st.lists(st.text(max_size=60), max_size=30))
def test_batch_equals_single(pair, prompts):
    py_spec, rs_spec = pair
    singles = [outcome(ref.featurize, p, py_spec) for p in prompts]
    bad = [i for i, (kind, _) in enumerate(singles) if kind == "error"]
    if bad:
        with pytest.raises(InputError, match=rf"^prompt {bad[0]} of the batch: "):
            native.featurize_batch(prompts, rs_spec)
        with pytest.raises(InputError, match=rf"^prompt {bad[0]} of the batch: "):
            native.featurize_matrix(prompts, rs_spec)
    else:
        assert native.featurize_batch(prompts, rs_spec) == [f for _, f in singles]
        assert list(native.featurize_matrix(prompts, rs_spec)) == [x for _, f in singles for x in f]


@PROPS
@given(pair=specs(), prompt=st.text(max_size=120))
def test_byte_features_equal_the_reference(pair, prompt):
    py_spec, rs_spec = pair
    want = outcome(ref.featurize, prompt, py_spec)
    got = outcome(native.featurize_bytes, prompt, rs_spec)
    assert (got[0], list(got[1]) if got[0] == "ok" else got[1]) == want


def test_byte_features_refuse_counts_over_255():
    spec = native.FeatureSpec(vocab=["cake"], max_bytes=4096, trigram_buckets=4, clip=1000, fuzzy_min_len=5)
    prompt = "cake " * 300
    assert native.featurize(prompt, spec)[0] == 300
    with pytest.raises(InputError, match="a feature count is 300, more than one byte holds"):
        native.featurize_bytes(prompt, spec)
    with pytest.raises(InputError, match="clip"):
        native.featurize_matrix([prompt], spec)


# ---- spec and error parity ------------------------------------------------------------------


@settings(max_examples=200, deadline=None)
@given(
    vocab=st.lists(st.text(alphabet="abz0A1 -é", max_size=4), max_size=6),
    max_bytes=st.integers(-2, 3),
    trigram_buckets=st.integers(-2, 3),
    clip=st.integers(-2, 3),
    fuzzy_min_len=st.integers(-2, 3),
)
def test_spec_validation_parity(vocab, max_bytes, trigram_buckets, clip, fuzzy_min_len):
    args = dict(max_bytes=max_bytes, trigram_buckets=trigram_buckets, clip=clip, fuzzy_min_len=fuzzy_min_len)
    try:
        py = ("ok", ref.FeatureSpec(vocab=tuple(vocab), **args).to_dict())
    except InputError as exc:
        py = ("error", str(exc))
    try:
        rs = ("ok", native.FeatureSpec(vocab, **args).to_dict())
    except InputError as exc:
        rs = ("error", str(exc))
    assert rs == py


def test_prompt_errors_match_the_reference():
    py_spec, rs_spec = both(ref.FeatureSpec(vocab=("bnb",), max_bytes=8))
    for prompt in ["", b"", "123456789", "é" * 5, b"x" * 9, 5, None, ["a"]]:
        py = outcome(ref.featurize, prompt, py_spec)
        assert py[0] == "error"
        assert outcome(native.featurize, prompt, rs_spec) == py, prompt
    for prompt in [b"\xff", b"ok \xc3", bytearray(b"\xed\xa0\x80"), memoryview(b"a\x80"), b"bnb\xfe"]:
        py = outcome(ref.featurize, prompt, py_spec)
        assert py[0] == "ok", prompt  # not UTF-8, still a prompt
        assert outcome(native.featurize, prompt, rs_spec) == py, prompt


def test_lone_surrogates_are_rejected():
    """A str with a lone surrogate has no UTF-8 bytes: both refuse it with the same InputError."""
    py_spec, rs_spec = both(ref.FeatureSpec(vocab=()))
    for prompt in ["a\ud800", "\udcff"]:
        py = outcome(ref.featurize, prompt, py_spec)
        assert py == ("error", "prompt text has a lone surrogate, which UTF-8 cannot encode; send the prompt as bytes")
        assert outcome(native.featurize, prompt, rs_spec) == py


@pytest.mark.parametrize("version", [3, 0, "2", None])
def test_version_check_matches_the_reference(version):
    data = {**ref.FeatureSpec(vocab=("eth",)).to_dict(), "version": version}
    with pytest.raises(InputError, match="upgrade zkrevox") as py:
        ref.FeatureSpec.from_dict(data)
    with pytest.raises(InputError) as rs:
        native.FeatureSpec.from_dict(data)
    assert str(rs.value) == str(py.value)


@settings(max_examples=300, deadline=None)
@given(
    vocab=st.lists(st.sampled_from(["a", "b", "c0", "$", "/", "-", ".", "$$", "A"]), max_size=5),
    version=st.integers(0, 3),
    slots=st.lists(st.integers(-1, 5), max_size=6),
    context_slots=st.integers(-1, 4),
)
def test_v2_spec_validation_parity(vocab, version, slots, context_slots):
    """Version, mark words, slots and context slots are refused alike, with the same message."""
    args = dict(version=version, slots=tuple(slots), context_slots=context_slots)
    try:
        py = ("ok", ref.FeatureSpec(vocab=tuple(vocab), **args).to_dict())
    except InputError as exc:
        py = ("error", str(exc))
    try:
        rs = ("ok", native.FeatureSpec(vocab, **args).to_dict())
    except InputError as exc:
        rs = ("error", str(exc))
    assert rs == py
    if py[0] == "ok":
        assert ref.FeatureSpec.from_dict(py[1]).to_dict() == native.FeatureSpec.from_dict(py[1]).to_dict() == py[1]
