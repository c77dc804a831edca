"""The featurizer's rules (docs/FEATURIZER.md), on the Python reference and the Rust extension."""

from __future__ import annotations

import pytest

from zkrevox import FeatureSpec, InputError
from zkrevox import featurize as ref
from zkrevox import featurizer as native
from zkrevox.model_files import ModelFiles, model_dir

SPEC = FeatureSpec(vocab=("bnb", "cake", "chainlink", "ether", "0inch"), trigram_buckets=8, clip=2)
IMPLS = [pytest.param(ref.featurize, id="python"), pytest.param(native.featurize, id="rust")]


def test_words_lowercase_digits_and_separators():
    assert ref.words(b"Swap 100 $BNB->cake, 2.5 1inch") == [b"swap", b"0", b"bnb", b"cake", b"0", b"0", b"0inch"]


@pytest.mark.parametrize("featurize", IMPLS)
def test_vocabulary_words_set_their_slot(featurize):
    x = featurize("swap 2 BNB for $cake", SPEC)
    assert x[:5] == [1, 1, 0, 0, 0]
    assert len(x) == SPEC.num_features


@pytest.mark.parametrize("featurize", IMPLS)
@pytest.mark.parametrize("typo", ["chainlnk", "chianlink", "chainllink", "chainlinc"])
def test_one_edit_typos_match_the_vocabulary(featurize, typo):
    assert featurize(f"price of {typo}", SPEC)[2] == 1


@pytest.mark.parametrize("featurize", IMPLS)
def test_short_words_need_an_exact_match(featurize):
    assert featurize("bnbb", SPEC)[0] == 0


@pytest.mark.parametrize("featurize", IMPLS)
def test_counts_are_clipped(featurize):
    assert featurize("cake cake cake cake", SPEC)[1] == SPEC.clip


@pytest.mark.parametrize("featurize", IMPLS)
@pytest.mark.parametrize(
    ("prompt", "message"),
    [("", "empty prompt"), (b"", "empty prompt"), ("x" * 193, "limit is 192"), (b"\xff" * 193, "limit is 192"),
     ("a\ud800", "lone surrogate")],
)
def test_bad_prompts_are_rejected_with_the_fix(featurize, prompt, message):
    with pytest.raises(InputError, match=message):
        featurize(prompt, SPEC)


@pytest.mark.parametrize("featurize", IMPLS)
@pytest.mark.parametrize("prompt", [b"\xff", b"\xff\xfe", b"swap 2 \xff\xfe for cake", b"\x00", b"ok \xc3",
                                    b"\xed\xa0\x80", b"\x80" * 192])
def test_any_bytes_are_a_prompt(featurize, prompt):
    """The featurizer is defined on bytes, like DPrompt's request: UTF-8 is not required."""
    assert len(featurize(prompt, SPEC)) == SPEC.num_features
    assert featurize(bytearray(prompt), SPEC) == featurize(memoryview(prompt), SPEC) == ref.featurize(prompt, SPEC)


def test_non_utf8_bytes_are_separators():
    """A byte >= 0x80 is a separator (FEATURIZER.md section 2): the issue's prompt reads as its words."""
    assert ref.words(b"swap 2 \xff\xfe for cake") == [b"swap", b"0", b"for", b"cake"]
    assert ref.featurize(b"swap 2 \xff\xfe for cake", SPEC) == ref.featurize("swap 2 for cake", SPEC)


def test_prompt_text_shows_other_bytes_escaped():
    assert ref.prompt_text(b"swap 2 \xff\xfe for cake") == "swap 2 \\xff\\xfe for cake"
    assert ref.prompt_text("café".encode()) == "café"


def test_max_length_prompt_is_accepted():
    assert len(ref.featurize("a" * 192, SPEC)) == SPEC.num_features


def test_ticker_spec_round_trips_through_json():
    spec = ModelFiles(model_dir("ticker")).spec()
    assert ref.FeatureSpec.from_dict(spec.to_dict()) == spec
    assert spec.num_features == len(spec.vocab) + spec.trigram_buckets
