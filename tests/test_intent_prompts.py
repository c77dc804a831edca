"""The intent agent's training-prompt generator and featurizer table."""

from __future__ import annotations

import dataclasses

import pytest

from zkrevox.agents.intent import AGENT, LABELS, IntentPromptGenerator, IntentTrainConfig, spec_for
from zkrevox.errors import InputError
from zkrevox.featurize import featurize, vocab_slot
from zkrevox.train import eval_sets, training_set


def test_generator_is_deterministic_for_a_seed():
    first = IntentPromptGenerator(7).generate(500)
    assert first == IntentPromptGenerator(7).generate(500)
    assert first != IntentPromptGenerator(8).generate(500)


def test_generator_covers_every_label_negatives_and_several_intents_within_max_bytes():
    examples = IntentPromptGenerator(IntentTrainConfig.seed).generate(3000, max_bytes=192)
    assert all(0 < len(e.prompt.encode()) <= 192 for e in examples)
    assert all(set(e.labels) <= set(LABELS) and list(e.labels) == sorted(e.labels, key=LABELS.index)
               for e in examples)
    assert {label for e in examples for label in e.labels} == set(LABELS)
    empty = sum(not e.labels for e in examples) / len(examples)
    several = sum(len(e.labels) > 1 for e in examples) / len(examples)
    assert 0.2 <= empty <= 0.4  # 30 % negatives since issue 24 (everyday topics)
    assert several >= 0.15


def test_no_realistic_eval_prompt_is_in_the_training_set():
    config = IntentTrainConfig()
    examples = training_set(AGENT, config, spec_for(config))
    assert len(examples) == config.train_prompts
    train = {e.prompt.lower() for e in examples}
    assert not [e.prompt for e in eval_sets(AGENT)["realistic"] if e.prompt.lower() in train]


def test_vocabulary_matches_intent_words_their_typos_and_keeps_lookalikes_apart():
    spec = spec_for(IntentTrainConfig())
    slot = {w: s for w, s in zip(spec.vocab, spec.slots, strict=True)}
    for typo, word in {"swpa": "swap", "sned": "send", "brige": "bridge", "stkae": "stake", "prcie": "price",
                       "chrat": "chart", "portfolo": "portfolio", "balnce": "balance", "sel": "sell"}.items():
        assert vocab_slot(typo.encode(), spec) == slot[word], typo
    for word in ("steak", "stakes"):
        assert vocab_slot(word.encode(), spec) == slot[word] != slot["stake"]
    features = featurize("swap 1 eth to usdc", spec)
    assert len(features) == spec.num_features == spec.num_slots + 2 * spec.context_slots + 64


def test_adjacency_tells_a_swap_to_a_token_from_a_transfer_to_a_name():
    """"to usdc" (a token name after "to") and "to vitalik.eth" (a name after ".") differ in the features."""
    spec = spec_for(IntentTrainConfig())
    swap, send = featurize("swap 0.5 eth to usdc", spec), featurize("send 0.5 eth to vitalik.eth", spec)
    adjacency = slice(spec.num_slots, spec.num_slots + 2 * spec.context_slots)
    assert swap[adjacency] != send[adjacency]


def test_vocabulary_fits_the_onchain_featurizer_table():
    from zkrevox.chain.vocab_table import MAX_TABLE_BITS, build_table

    table = build_table(spec_for(IntentTrainConfig()))
    assert table.bits <= MAX_TABLE_BITS


def test_an_unknown_featurizer_version_is_refused_naming_the_versions():
    with pytest.raises(InputError, match="featurizer_version 3 is not 1 or 2"):
        spec_for(dataclasses.replace(IntentTrainConfig(), featurizer_version=3))
