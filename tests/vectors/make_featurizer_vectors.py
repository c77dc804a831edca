"""Regenerate tests/vectors/featurizer.json from the pure-Python reference.

    .venv/bin/python tests/vectors/make_featurizer_vectors.py

The file pins the featurizer (docs/FEATURIZER.md) for all three
implementations: Python (tests/test_featurizer_parity.py), Rust (same test,
through zkrevox._native) and Solidity (verifier-contracts tests). Each entry is
``{"spec_name", "spec", "prompt", "prompt_hex", "features"}``: ``prompt_hex``
is the prompt, the bytes the contract featurizes; ``prompt`` is their text form
(``zkrevox.featurize.prompt_text``: UTF-8, any other byte as ``\\xNN``), for
people. Prompts need not be UTF-8 (BYTE_PROMPTS): DPrompt accepts any bytes.
"""

from __future__ import annotations

import json
from pathlib import Path

from zkrevox.featurize import FeatureSpec, featurize, prompt_text

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
OUT = HERE / "featurizer.json"


def specs() -> dict[str, FeatureSpec]:
    ticker = json.loads((ROOT / "models" / "ticker" / "input_spec.json").read_text())
    ticker_v1 = json.loads((HERE / "ticker_v1_spec.json").read_text())
    return {
        # the shipped model's spec, as it was when the vectors were generated
        "ticker": FeatureSpec.from_dict(ticker),
        # the first ticker model's spec (version 1): version-1 models keep working
        "ticker-v1": FeatureSpec.from_dict(ticker_v1),
        # version 2, small: shared name slots, marks, four context slots, fuzzy names only
        "context": FeatureSpec(
            vocab=("eth", "ethereum", "etherium", "cake", "pancakeswap", "sushi", "usd", "coin", "0", "$", "/",
                   ".", "-", "swap", "buy", "dinner", "lunch", "tonight"),
            slots=(0, 0, 0, 1, 1, 2, 3, 4, 5, 6, 7, 8, 8, 5, 5, 9, 9, 9),
            context_slots=5,
            version=2,
            trigram_buckets=7,
            clip=3,
            fuzzy_min_len=5,
        ),
        # one-edit matching from 4 letters, few trigram buckets, clip 1
        "tiny": FeatureSpec(
            vocab=("bnb", "cake", "eth", "ethereum", "0inch", "doge", "moon"),
            trigram_buckets=5,
            clip=1,
            fuzzy_min_len=4,
        ),
        # exact matches only, many trigram buckets, clip 2
        "exact": FeatureSpec(
            vocab=("swap", "bnb", "cake", "pepe", "moon", "sell", "dogecoin", "tether", "ethereum", "0inch"),
            trigram_buckets=64,
            clip=2,
            fuzzy_min_len=0,
        ),
    }


PROMPTS: list[str] = [
    "swap 2 bnb for cake",
    "$PEPE to the moon",
    "sell half my dogecoin for tether",
    "what's the weather in singapore",
    "etherium",
    "buy some etherium with usdt",
    "chainlnk price?",
    "convert tehter to usdc",
    "solanna or solana",
    "ethereumm ethreum etheruem",
    "dogecoins doge DOGE",
    "1inch 100 2.5",
    "swap 1inch for 0.25 eth",
    "12345678901234567890",
    "Bitcoin BTC btc BiTcOiN",
    "ETH/USDT",
    "sushi for dinner tonight, then swap 2 eth for $CAKE",
    "send 50 usd coin to kim.eth",
    "op-ed: eth/usdc -> $sushi...//$$",
    "swap$eth-cake/sushi.",
    "$",
    "eth,eth,eth,eth,eth",
    "send 0.5 eth to vitalik.eth",
    "the link token vs chainlink",
    "apecoin ape ape coin",
    "aave compound curve uniswap",
    "USDC→DAI",
    "🚀 doge to the moon 🌕",
    "café crème brûlée",
    "日本語のテキスト bnb",
    "привет eth",
    "  leading and trailing spaces  ",
    "tab\tseparated\nnew line",
    "0x1234abcdEF",
    "what is 2+2",
    "a",
    "0",
    "!",
    "é",
    "🚀",
    "x" * 192,  # one 192-byte word: every deletion is looked up
    "a " * 96,  # 96 one-letter words, 192 bytes
    "é" * 96,  # 192 bytes, no word
    ("swap bnb for cake " * 11)[:192],  # max length, clipped counts
]

# Prompts that are not UTF-8: the featurizer is defined on bytes, and DPrompt's `request` takes any.
BYTE_PROMPTS: list[bytes] = [
    b"swap 2 \xff\xfe for cake",  # issue 9: accepted on-chain, once skipped by the node
    b"\xff",
    b"\x80",
    b"\x00",
    b"eth\xffbtc\xfebnb",  # bytes >= 0x80 separate words
    b"\xc3",  # a character cut short
    b"caf\xc3",
    b"\xed\xa0\x80 doge",  # an encoded surrogate
    b"\xf8\x88\x80\x80\x80 pepe",  # a five-byte form
    b"\xc0\xaf etherium",  # an overlong '/' and a typo
    b"chainl\x8ank",  # a word cut by a continuation byte
    b"\x01\x02\x1f\x7f bnb\x00cake",  # control bytes
    b"\xe9t\xe9 \xe0 $PEPE",  # Latin-1 text
    bytes(range(128, 256)) + b" usdt",
    b"\xff" * 192,  # max length, no word
    (b"bnb\xff" * 48),  # max length, clipped counts
]


def vectors() -> list[dict[str, object]]:
    out: list[dict[str, object]] = []
    for name, spec in specs().items():
        for data in [p.encode("utf-8") for p in PROMPTS] + BYTE_PROMPTS:
            assert 1 <= len(data) <= spec.max_bytes, data
            out.append(
                {
                    "spec_name": name,
                    "spec": spec.to_dict(),
                    "prompt": prompt_text(data),
                    "prompt_hex": data.hex(),
                    "features": featurize(data, spec),
                }
            )
    return out


def render(entries: list[dict[str, object]]) -> str:
    """One entry per line: small diffs when a vector changes."""
    lines = ",\n".join("  " + json.dumps(e, ensure_ascii=False, separators=(",", ":")) for e in entries)
    return "[\n" + lines + "\n]\n"


def main() -> None:
    OUT.write_text(render(vectors()), encoding="utf-8")
    print(f"wrote {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
