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
    assert spec.num_features == spec.num_slots + 2 * spec.context_slots + spec.trigram_buckets
    if spec.version == 1:
        assert spec.num_slots == len(spec.vocab) and spec.context_slots == 0


V2 = FeatureSpec(vocab=("eth", "ethereum", "sushi", "swap", "0", "$", "/", ".", "-", "dinner"),
                 slots=(0, 0, 1, 2, 3, 4, 5, 6, 7, 8), context_slots=7, version=2, trigram_buckets=4)
NAMES, CONTEXT = 2, 7  # slots: eth 0, sushi 1 | swap 2, 0 3, $ 4, / 5, . 6, - 7, dinner 8


def adjacency(x: list[int]) -> dict[tuple[str, str], int]:
    """The non-zero adjacency features of a V2 vector, as (context word, before|after)."""
    words = ("swap", "0", "$", "/", ".", "-", "dinner")
    at = NAMES + CONTEXT
    return {(words[k // 2], ("before", "after")[k % 2]): v for k, v in enumerate(x[at : at + 2 * CONTEXT]) if v}


def test_v2_marks_are_words_of_their_own():
    assert ref.words(b"$PEPE eth/usdc kim.eth op-ed 2.5", 2) == [
        b"$", b"pepe", b"eth", b"/", b"usdc", b"kim", b".", b"eth", b"op", b"-", b"ed", b"0", b".", b"0"]
    assert ref.words(b"$PEPE eth/usdc", 1) == [b"pepe", b"eth", b"usdc"]


@pytest.mark.parametrize("featurize", IMPLS)
@pytest.mark.parametrize(
    ("prompt", "want"),
    [
        ("swap 2 eth for sushi", {("0", "before"): 1}),  # swap, 0, eth: only the nearest context word counts
        ("sushi for dinner tonight", {("dinner", "after"): 1}),  # out-of-vocabulary words are transparent
        # "to kim" is out of the vocabulary: the . stands after sushi and before eth
        ("send $sushi to kim.eth", {("$", "before"): 1, (".", "after"): 1, (".", "before"): 1}),
        ("eth/sushi", {("/", "after"): 1, ("/", "before"): 1}),
        ("op-ed about ethereum.", {("-", "before"): 1, (".", "after"): 1}),
        ("swap $ / dinner", {}),  # context next to context
        ("eth sushi ethereum", {}),  # names next to names
    ],
)
def test_v2_adjacency_reads_the_words_next_to_a_name(featurize, prompt, want):
    x = featurize(prompt, V2)
    assert len(x) == V2.num_features == 9 + 14 + 4
    assert adjacency(x) == want


@pytest.mark.parametrize("featurize", IMPLS)
def test_v2_words_share_their_slot(featurize):
    x = featurize("eth ethereum etherum", V2)  # etherum: one edit from ethereum
    assert x[0] == 3 and x[1:9] == [0] * 8


@pytest.mark.parametrize("featurize", IMPLS)
def test_v2_only_names_enter_the_fuzzy_table(featurize):
    assert featurize("dinne", V2)[8] == 0  # a dropped letter is found through FUZZY: names only
    assert featurize("dinnerr", V2)[8] == 1  # an added letter through EXACT of a deletion: any word
    assert featurize("ethereu", V2)[0] == 1


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        (dict(vocab=("eth",), context_slots=1), "context_slots needs featurizer version 2"),
        (dict(vocab=("eth", "$"), version=2, slots=(0,), context_slots=1), "slots has 1 entries for 2"),
        (dict(vocab=("eth", "$"), version=2, slots=(0, 2), context_slots=1), "every slot 0 .. max"),
        (dict(vocab=("eth", "$"), version=2, slots=(0, 1), context_slots=0), "context_slots is 0"),
        (dict(vocab=("eth", "$"), version=2, slots=(0, 1), context_slots=3), "context_slots is 3"),
        (dict(vocab=("$",), slots=(0,)), "not a normalized word"),  # a mark is a word in version 2 only
        (dict(vocab=("eth",), version=3), "featurizer version 3 is not supported"),
    ],
)
def test_v2_spec_mistakes_are_named(kwargs, message):
    with pytest.raises(InputError, match=message):
        FeatureSpec(**kwargs)


def test_v2_spec_round_trips_through_json():
    assert FeatureSpec.from_dict(V2.to_dict()) == V2
    assert V2.to_dict()["slots"] == list(V2.slots) and V2.to_dict()["version"] == 2
