"""The intent agent's training-prompt generator and featurizer table."""

from __future__ import annotations

from zkrevox.agents.intent import AGENT, LABELS, IntentPromptGenerator, IntentTrainConfig, feature_spec
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
    assert 0.15 <= empty <= 0.3
    assert several >= 0.15


def test_no_realistic_eval_prompt_is_in_the_training_set():
    config = IntentTrainConfig()
    examples = training_set(AGENT, config, feature_spec())
    assert len(examples) == config.train_prompts
    train = {e.prompt.lower() for e in examples}
    assert not [e.prompt for e in eval_sets(AGENT)["realistic"] if e.prompt.lower() in train]


def test_vocabulary_matches_intent_words_their_typos_and_keeps_lookalikes_apart():
    spec = feature_spec()
    for typo, word in {"swpa": "swap", "sned": "send", "brige": "bridge", "stkae": "stake", "prcie": "price",
                       "chrat": "chart", "portfolo": "portfolio", "balnce": "balance"}.items():
        assert spec.vocab[vocab_slot(typo.encode(), spec)] == word
    for word in ("steak", "stakes"):
        assert spec.vocab[vocab_slot(word.encode(), spec)] == word
    assert len(featurize("swap 1 eth to usdc", spec)) == spec.num_features == len(spec.vocab) + 64


def test_vocabulary_fits_the_onchain_featurizer_table():
    from zkrevox.chain.vocab_table import MAX_TABLE_BITS, build_table

    table = build_table(feature_spec())
    assert table.bits <= MAX_TABLE_BITS
