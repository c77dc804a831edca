"""The ticker model's featurizer vocabulary, version 2 (docs/FEATURIZER.md §7).

Name slots: the label set's symbols, names and aliases. Words that only ever name one label and
never mean anything else share that label's slot (``bitcoin``-like spellings of one thing);
words that also mean something in ordinary English (``cake``, ``graph``, ``uni``) or belong to
several labels (``usd``, ``wrapped``) keep a slot of their own, so the model can read them in
context. Context slots: classes of words that tell how a name is used (a trade verb, an amount,
a ``$``, a pair ``eth/usdc``, food, the calendar, ordinary prose), each with two adjacency
features (the class just before / just after a name).
"""

from __future__ import annotations

from zkrevox.agents.ticker.tickers import LABELS, TickerDatabase
from zkrevox.errors import ArtifactError
from zkrevox.featurize import FeatureSpec, words

# Words with a name slot of their own (ambiguous in English, or shared by several labels).
# Each tuple is one slot; its words are spellings of the same thing.
OWN_SLOTS: tuple[tuple[str, ...], ...] = (
    ("ether",), ("bitcoin", "btc"), ("circle",), ("cake",), ("pancake",), ("uni",), ("link",),
    ("polygon",), ("pol",), ("sol",), ("arb",), ("op",), ("optimism",), ("curve",), ("comp",),
    ("compound",), ("sushi",), ("inch",), ("ape",), ("graph",), ("maker",), ("fetch",), ("ai",),
    ("sand",), ("sandbox",), ("mana",), ("gala",), ("games",), ("immutable",), ("bat",),
    ("basic", "attention"), ("world",), ("ripple",), ("usd",), ("binance",), ("wrapped",), ("inu",),
    ("floki",),
)
# Spellings users write that the one-edit match cannot reach (words under 5 letters).
EXTRA_ALIASES: dict[str, tuple[str, ...]] = {"MKR": ("makr",), "ETH": ("etherum",)}
# Words in several labels' forms that name one of them (a form such as ``makerdao dai`` would list
# ``makerdao`` under DAI first; it names MKR).
OWNER: dict[str, str] = {"makerdao": "MKR"}

# Context classes, in slot order after the names. A word belongs to one class.
CONTEXT_CLASSES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("amount", ("0", "0k", "0m", "0b", "0x", "one", "half", "all", "some")),
    ("dollar", ("$",)),
    ("pair", ("/",)),
    ("dot", (".",)),
    ("dash", ("-",)),
    ("trade", tuple(
        "swap swapped swapping buy bought buying sell sold selling trade trading stake staking staked unstake "
        "bridge bridged send sent transfer deposit withdraw lend lending borrow long short hold holding bag bags "
        "convert exchange farm farming lp dca price prices chart charts token tokens coin coins wallet portfolio "
        "pool pools liquidity yield apy apr rewards airdrop mint claim pump pumped dump dumping moon bullish "
        "bearish ath tvl fdv cap worth stablecoin stablecoins memecoin memecoins into rotate rebalance position "
        "positions balance holders whale whales alert tokenomics supply burn listing listed".split())),
    ("project", tuple(
        "chain network protocol dao finance ecosystem name service mainnet layer v0 vault vaults governance "
        "proposal vote votes oracle oracles dex labs foundation roadmap upgrade hack hacked exploit exploited "
        "launch testnet validator validators rollup l0 nft nfts metaverse".split())),
    ("food", tuple(
        "dinner lunch breakfast brunch restaurant eat eating ate food recipe bake baked baking birthday dessert "
        "platter sake chocolate pie cookies piece cheese cook cooking menu delicious tasty rolls sashimi pizza "
        "coffee wine beer carrot apples fish rice bakery sweet bread pasta salt ginger kitchen bbq".split())),
    ("life", tuple(
        "tonight night yesterday tomorrow weekend friday saturday sunday monday morning evening party charity "
        "fundraiser conference trip wedding concert friends friend dog dogs cat puppy uncle mom dad student "
        "students university college exam exams lecture lectures school sci class homework zoo movie tv song "
        "beach garden kids game gym dress year semester fees "
        # everyday topics (issue 24): school, sport, DIY, health, travel, work, family
        "geometry cricket baseball psychology biology chemistry physics math teacher lab tent table shelf fence "
        "garage tomato plants kayak dock park toddler tires twins couch hotel flight museum weather office "
        "meeting essay worksheet quiz deadline boss coach team practice season doctor nurse health paint drill "
        "backyard patio".split())),
    ("prose", tuple(
        "ed thread post article docs bio slide draw plot bar bell function theory axis interest annual growth "
        "effect learning taker market makers bot bots test testing environment mode api spreadsheet opportunity "
        "arbitrage comment reply said says answer page formula chapter area edges wooden decision bias "
        "once deployed signal gains span".split())),
    ("the", ("the",)),
    # `of` and everyday words one edit from a name (FEATURIZER.md §4's fuzzy match): an exact entry
    # of their own stops `there` reading as `ether`, `would` as `world`, `match` as `matic`.
    ("of", ("of", *
        "there their other either neither enter where would words names match makes marker baker wrapper "
        "trapped basis basin basil learn earns stand triple ripped attic flock dodge synthetic grape manga "
        "mania pinch finch winch cinch crave carve cured curse peter james grams optimist".split())),
)


def build_spec_v2(db: TickerDatabase, *, max_bytes: int = 192, trigram_buckets: int = 23, clip: int = 3,
                  fuzzy_min_len: int = 5) -> FeatureSpec:
    """The version-2 spec of the ticker model: names first (each label's own words in label order,
    then ``OWN_SLOTS``), then the context classes. Every word of every surface form has a slot."""
    own = {w for group in OWN_SLOTS for w in group}
    context_words = {w for _, ws in CONTEXT_CLASSES for w in ws}
    groups: list[list[str]] = [[] for _ in LABELS]  # each label's words that name only it
    for li, symbol in enumerate(LABELS):
        for form in (*db.surface_forms(symbol), *EXTRA_ALIASES.get(symbol, ())):
            for raw in words(form.encode(), 2):
                w = raw.decode()
                if w in own or w in context_words or any(w in g for g in groups):
                    continue
                groups[LABELS.index(OWNER[w]) if w in OWNER else li].append(w)
    groups = [g for g in groups if g] + [list(g) for g in OWN_SLOTS]
    vocab = [w for g in groups for w in sorted(g)]
    slots = [i for i, g in enumerate(groups) for _ in g]
    names = len(groups)
    for k, (_, ws) in enumerate(CONTEXT_CLASSES):
        for w in ws:
            if w in vocab:
                raise ArtifactError(f"context word {w!r} is also a name")
            vocab.append(w)
            slots.append(names + k)
    return FeatureSpec(
        vocab=tuple(vocab), max_bytes=max_bytes, trigram_buckets=trigram_buckets, clip=clip,
        fuzzy_min_len=fuzzy_min_len, version=2, slots=tuple(slots), context_slots=len(CONTEXT_CLASSES),
    )
