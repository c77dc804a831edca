"""The intent agent's featurizer tables: version 1 (``GROUPS``) and version 2 (``NAME_SLOTS`` and
``CONTEXT_CLASSES_V2``, the committed model's, FEATURIZER.md §7).

Version 1: one feature per vocabulary word, matched exactly or within one edit, hashed boundary
trigrams for every other word. The words are grouped by what they tell the model: each intent's
verbs and nouns, the crypto context that makes "swap" a trade rather than "swap places", and two
everyday words ("steak", "stakes") that the one-edit match would otherwise fold into "stake" (an
exact match wins over a fuzzy one).

Version 2 (the ticker's featurizer family, version 2): words of one *name slot* (matched within
one edit) are spellings or near-synonyms of one thing ("sell", "sold", "sel"; every token symbol
is one slot: the intent does not depend on which token); *context classes* (exact match) are the
small words that tell how a name is used ("to", "for", "from", "my", an amount, ``.`` ``$`` ``/``),
each with two adjacency features (the class just before / just after a name). So "swap 0.5 eth to
usdc" reads *"to" before a token* and "send 0.5 eth to vitalik.eth" reads *"." before a token*,
which a bag of words cannot tell apart.

The size is bounded by the on-chain table (``zkrevox.chain.vocab_table``): the exact words plus
every one-letter deletion of the name words of ``fuzzy_min_len`` or more letters must be at most
1,024 keys (version 1: exactly 1,024; version 2: 1,019 before issue 24, 1,021 after). A new name word costs one
key, plus about its length in keys if it has 4 letters or more; a context word costs one key (none
if its hash is already a key: "take" is a deletion of "stake").
"""

from __future__ import annotations

from zkrevox.featurize import FeatureSpec

GROUPS: dict[str, str] = {
    "SWAP": "swap buy bought sell sold trade trading exchange convert ape aping dca limit order market dump "
    "flip rotate purchase cash long short dip profit stop loss load exit "
    "close switch",
    "TRANSFER": "send sent transfer pay tip give venmo shoot withdraw address wallet",
    "BRIDGE": "bridge cross chain mainnet layer rollup arbitrum base optimism polygon bsc zksync linea scroll "
    "blast port from",
    "STAKE": "stake staking staked unstake restake delegate validator farm harvest yield apy apr liquidity lp "
    "pool vault lend supply earn interest passive income reward claim compound lock deposit lido "
    "steth",
    "PRICE": "price worth cost much market cap mcap fdv volume alert notify ping hits at above below under "
    "quote peg rn current trading value",
    "CHART": "chart graph candle plot visualize draw daily",
    "PORTFOLIO": "my balance holdings hold portfolio pnl position history txs tx own have bags lost did "
    "up down made",
    "INFO": "why what news sentiment explain about who latest mean scam going happened saying tell does how "
    "wut wat legit safe",
    "CRYPTO": "eth btc bitcoin ethereum usdc usdt dai sol solana bnb doge pepe shib link matic pol avax arb op "
    "uni aave crv ldo cake atom dot wif bonk inj jup tia sui gmx weth wbtc crypto token coin stables "
    "give it defi dex uniswap curve usd bucks 0 0k 0m",
    "PEOPLE": "to me him her them friend mom dad ens",
    "EVERYDAY": "the a we us our let can you please pls thanks steak stakes",
}


def vocabulary() -> tuple[str, ...]:
    """Every word of every group, each once, sorted (a word's index is its feature)."""
    return tuple(sorted({w for group in GROUPS.values() for w in group.split()}))


def feature_spec(
    trigram_buckets: int = 64, max_bytes: int = 192, clip: int = 3, fuzzy_min_len: int = 4
) -> FeatureSpec:
    """The intent agent's input spec (``models/intent/input_spec.json``).

    ``fuzzy_min_len`` is 4, not the ticker's 5: the intent verbs are short ("swap",
    "send", "sell") and their typos ("swpa", "sned") are what users write.
    """
    return FeatureSpec(
        vocab=vocabulary(), max_bytes=max_bytes, trigram_buckets=trigram_buckets, clip=clip,
        fuzzy_min_len=fuzzy_min_len,
    )


# Version 2 (FEATURIZER.md §7): name slots (matched within one edit), words of one slot being
# spellings or near-synonyms of one thing, then context classes (exact match) with adjacency.
NAME_SLOTS: tuple[str, ...] = (
    # SWAP
    "swap swapped swp", "buy bought", "sell sold sel", "trade", "trading", "exchange",
    "convert", "ape aping", "dca", "limit", "order", "market", "dump", "flip", "rotate rebalance", "purchase",
    "cash", "long", "short", "dip", "profit", "stop", "loss", "load", "exit", "close", "switch",
    # TRANSFER
    "send sent", "transfer", "pay", "tip", "give", "venmo", "shoot", "withdraw", "address", "wallet",
    # BRIDGE
    "bridge", "cross", "chain", "mainnet layer rollup", "arbitrum zksync linea bsc", "polygon",
    "base", "optimism", "port",
    # STAKE
    "stake staking staked", "unstake", "restake", "delegate", "validator", "farm", "harvest", "yield",
    "apy apr", "liquidity", "lp", "pool", "vault", "lend", "supply", "earn", "interest", "income",
    "reward", "claim", "compound", "lock", "deposit", "lido steth",
    # PRICE
    "price", "worth", "cost", "much", "cap mcap fdv", "volume", "alert notify ping", "hits", "above below under",
    "quote", "peg", "rn current", "value",
    # CHART
    "chart", "graph", "candle", "plot", "draw", "daily",
    # PORTFOLIO
    "balance", "holdings hold", "portfolio", "pnl", "position", "history", "txs tx", "own", "have", "bags",
    "lost", "did", "up", "down", "made",
    # INFO
    "why", "what wut wat", "news", "sentiment", "explain", "about", "who", "latest", "mean", "scam", "going",
    "happened", "saying", "tell", "does", "how", "legit", "safe",
    # crypto context: tokens (one slot; the words that are also English keep their own)
    "eth btc bitcoin ethereum sol solana bnb doge pepe shib matic pol avax aave crv ldo atom wif inj jup tia "
    "sui gmx weth wbtc",
    "usdc usdt dai usd stables", "link", "uni", "op", "arb", "cake", "dot", "crypto token coin",
    "defi dex uniswap curve",
    # everyday words one edit from an intent word
    "steak", "stakes",
)
CONTEXT_CLASSES_V2: tuple[tuple[str, str], ...] = (
    ("amount", "0 0k 0m 0x half all some"),
    ("dollar", "$"),
    ("pair", "/"),
    ("dot", "."),
    ("dash", "-"),
    ("to", "to into"),
    ("for", "for with"),
    ("from", "from"),
    ("on", "on at in"),
    ("my", "my our"),
    ("i", "i"),
    ("me", "me us"),
    ("people", "him her them friend mom dad ens"),
    ("the", "the a this that your just"),
    ("it", "it"),
    ("polite", "please pls thanks can you let we show want like call make look take"),
    ("of", "of"),
    # Everyday words one edit from a name word (issue 24): an exact entry of their own stops the
    # one-edit match reading "last" as "blast", "bank" as "bonk", "went" as "send", "near" as "earn".
    ("everyday", "last bank book town rent near five next went well cold match hole soup list many asap "
                 "talking logo"),
)


def feature_spec_v2(trigram_buckets: int = 64, max_bytes: int = 192, clip: int = 3, fuzzy_min_len: int = 4
                    ) -> FeatureSpec:
    """The version-2 spec: ``NAME_SLOTS`` (one slot each, in order), then ``CONTEXT_CLASSES_V2``."""
    vocab: list[str] = []
    slots: list[int] = []
    groups = [g.split() for g in NAME_SLOTS] + [ws.split() for _, ws in CONTEXT_CLASSES_V2]
    for s, group in enumerate(groups):
        for w in group:
            if w in vocab:
                raise ValueError(f"intent vocabulary word {w!r} is in two slots")
            vocab.append(w)
            slots.append(s)
    return FeatureSpec(vocab=tuple(vocab), max_bytes=max_bytes, trigram_buckets=trigram_buckets, clip=clip,
                       fuzzy_min_len=fuzzy_min_len, version=2, slots=tuple(slots),
                       context_slots=len(CONTEXT_CLASSES_V2))
