"""Featurizer.sol == python/zkrevox/featurize.py, bit for bit (eth_call against anvil).

Checked on the committed vectors (tests/vectors/featurizer.json, non-UTF-8 prompts included), on
hand-picked edge cases under several specs, and on hypothesis-generated prompts built from
vocabulary words, typos, digits, punctuation and arbitrary bytes (UTF-8 or not: DPrompt accepts
any 1..maxBytes bytes, and Rust == Python on all of them is tests/test_featurizer_parity.py).
"""

from __future__ import annotations

import json

import pytest
from chainenv import Env, ticker_spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkrevox import _native
from zkrevox.chain.paths import repo_root
from zkrevox.chain.vocab_table import build_table, onchain_spec
from zkrevox.featurize import FeatureSpec, featurize, featurize_bytes

pytestmark = pytest.mark.chain

VECTORS = repo_root() / "tests" / "vectors" / "featurizer.json"
SMALL_SPECS = [
    FeatureSpec(vocab=("eth", "bitcoin", "chainlink", "0inch", "a"), trigram_buckets=7, clip=1, fuzzy_min_len=0),
    FeatureSpec(vocab=("eth", "bitcoin", "chainlink", "0inch", "a"), trigram_buckets=300, clip=200, fuzzy_min_len=3),
    FeatureSpec(vocab=("x",), trigram_buckets=1, clip=15, fuzzy_min_len=1, max_bytes=64),
    # version 2: shared slots, mark words (`-` is out of the vocabulary: its trigrams), adjacency
    FeatureSpec(vocab=("eth", "ethereum", "bitcoin", "a", "0", "$", "/", ".", "swap", "for"),
                slots=(0, 0, 1, 2, 3, 4, 5, 5, 6, 6), context_slots=4, version=2, trigram_buckets=5, clip=3,
                fuzzy_min_len=3),
    # version 2, every slot context but one, fuzzy matching from one letter, clip 1
    FeatureSpec(vocab=("x", "$", "-", ".", "/", "y0"), slots=(0, 1, 2, 3, 4, 1), context_slots=4, version=2,
                trigram_buckets=3, clip=1, fuzzy_min_len=1, max_bytes=64),
]
EDGE_PROMPTS = [
    b"swap 2 bnb for cake", b"x", b"!!!", b" ", b"a b c d e f", "é café ☃".encode(), b"\x00\xff\x80",
    b"Buy 100 ETH, 2.5 LINK and 1inch; chainlnk! etherium bitcoinn tehter solanna",
    b"chainlink chainlink chainlink chainlink chainlink", b"007 1a2b3 99bottles", b"A" * 192, b"ab" * 96,
    b"ETHEREUM Ethereum eThErEuM", b"--eth--btc--", b"bitcoinbitcoin", b"0" * 40,
    b"swap $eth/bitcoin for 2.5 eth. kim.eth - x$y0/.", b"$-./" * 48, b"a.b-c$d/e $ 0 $0 eth$",
    bytes.fromhex("73776170203220fffe20666f722063616b65"), b"\xff" * 192, b"bnb\xc3", b"\xed\xa0\x80eth",
]


@pytest.fixture(scope="module")
def harness(deployed: Env, compiled):
    from zkrevox.chain.deploy import deploy_contract

    record = deploy_contract(deployed.w3, deployed.owner, compiled["FeaturizerHarness"])
    return deployed.w3.eth.contract(address=record.address, abi=compiled["FeaturizerHarness"].abi)


@pytest.fixture(scope="module")
def onchain(deployed: Env, harness):
    """FeatureSpec -> on-chain Spec tuple, deploying each spec's table once."""
    cache: dict[str, tuple] = {}

    def get(spec: FeatureSpec) -> tuple:
        key = json.dumps(spec.to_dict(), sort_keys=True)
        if key not in cache:
            table = build_table(spec)
            fn = harness.functions.deployTable(table.data)
            tx = fn.build_transaction({"from": deployed.owner.address, "gas": 6_000_000,
                                       "nonce": deployed.w3.eth.get_transaction_count(deployed.owner.address)})
            receipt = deployed.w3.eth.wait_for_transaction_receipt(
                deployed.w3.eth.send_raw_transaction(deployed.owner.sign_transaction(tx).raw_transaction))
            (event,) = harness.events.TableDeployed().process_receipt(receipt)
            cache[key] = onchain_spec(spec, table, event.args.table)
            harness.functions.checkTable(cache[key]).call()
        return cache[key]

    return get


def _check(harness, onchain, spec: FeatureSpec, prompt: bytes) -> None:
    got = harness.functions.featurize(prompt, onchain(spec)).call()
    assert got == featurize_bytes(prompt, spec), prompt


def _vectors() -> list[dict]:
    if not VECTORS.is_file():
        return []
    return json.loads(VECTORS.read_text())



def test_featurizer_matchesCommittedVectors(harness, onchain):
    vectors = _vectors()
    assert vectors
    for v in vectors:
        spec = FeatureSpec.from_dict(v["spec"]) if isinstance(v["spec"], dict) else ticker_spec()
        prompt = bytes.fromhex(v["prompt_hex"].removeprefix("0x")) if "prompt_hex" in v else v["prompt"].encode()
        got = harness.functions.featurize(prompt, onchain(spec)).call()
        assert got == v["features"], v.get("prompt")


@pytest.mark.parametrize("prompt", EDGE_PROMPTS)
def test_featurizer_matchesPythonOnEdgeCases(harness, onchain, prompt: bytes):
    for spec in [ticker_spec(), *SMALL_SPECS]:
        _check(harness, onchain, spec, prompt[: spec.max_bytes])


def _typo(word: str) -> st.SearchStrategy[str]:
    i = st.integers(0, max(len(word) - 1, 0))
    letter = st.sampled_from("abcdefghijklmnopqrstuvwxyz")
    return st.one_of(
        st.just(word),
        st.just(word.upper()),
        st.builds(lambda j: word[:j] + word[j + 1:], i),  # drop
        st.builds(lambda j, c: word[:j] + c + word[j:], i, letter),  # insert
        st.builds(lambda j, c: word[:j] + c + word[j + 1:], i, letter),  # replace
        st.builds(lambda j: word[:j] + word[j + 1: j + 2] + word[j: j + 1] + word[j + 2:], i),  # swap
    )


_VOCAB = ticker_spec().vocab
_TOKENS = st.one_of(
    st.sampled_from(_VOCAB).flatmap(_typo),
    st.sampled_from(["swap", "for", "the", "price", "of", "buy", "sell", "and", "please", "token"]),
    st.from_regex(r"[0-9]{1,4}(\.[0-9]{1,3})?", fullmatch=True),
    st.text(alphabet=st.characters(codec="utf-8"), min_size=1, max_size=8),
)
_SEPARATORS = st.sampled_from([" ", "  ", ", ", "$", "!", "\n", "-", "/", "é"])


@st.composite
def prompts(draw) -> bytes:
    tokens = draw(st.lists(_TOKENS, min_size=1, max_size=24))
    text = "".join(t + draw(_SEPARATORS) for t in tokens).encode("utf-8")
    if draw(st.booleans()):
        text = draw(st.binary(min_size=0, max_size=12)) + text
    return text[:192] or b"x"


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=prompts())
def test_featurizer_matchesPythonOnRandomPrompts(harness, onchain, prompt: bytes):
    _check(harness, onchain, ticker_spec(), prompt)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=st.binary(min_size=1, max_size=64), which=st.integers(0, len(SMALL_SPECS) - 1))
def test_featurizer_matchesPythonOnArbitraryBytes(harness, onchain, prompt: bytes, which: int):
    _check(harness, onchain, SMALL_SPECS[which], prompt)


def _three(harness, onchain, spec: FeatureSpec, prompt: bytes) -> None:
    """Solidity == Python == Rust on one prompt the contract would accept."""
    want = featurize(prompt, spec)  # validates: 1..max_bytes bytes, any values
    assert harness.functions.featurize(prompt, onchain(spec)).call() == want, prompt
    assert _native.featurize(prompt, _native.FeatureSpec.from_dict(spec.to_dict())) == want, prompt


_TICKER = ticker_spec()
_ANY_BYTES = st.one_of(
    st.binary(min_size=1, max_size=_TICKER.max_bytes),
    st.lists(st.integers(0x80, 0xFF), min_size=1, max_size=_TICKER.max_bytes).map(bytes),
    st.binary(min_size=_TICKER.max_bytes, max_size=_TICKER.max_bytes),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=_ANY_BYTES)
def test_featurizer_matchesPythonAndRustOnAnyBytesTheTickerAccepts(harness, onchain, prompt: bytes):
    _three(harness, onchain, _TICKER, prompt)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=prompts(), junk=st.binary(min_size=1, max_size=6), at=st.integers(0, 192))
def test_featurizer_matchesPythonAndRustOnWordsCutByInvalidUtf8(harness, onchain, prompt: bytes, junk: bytes,
                                                                at: int):
    _three(harness, onchain, _TICKER, (prompt[:at] + junk + prompt[at:])[: _TICKER.max_bytes])


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(prompt=_ANY_BYTES)
def test_dpromptFeaturize_anyBytesEqualTheReference(deployed: Env, prompt: bytes):
    assert deployed.client().featurize(deployed.model_id, prompt) == featurize_bytes(prompt, ticker_spec())


def test_dpromptFeaturize_usesTheRegisteredSpec(deployed: Env):
    prompt = "what is the price of etherium and chainlnk today?"
    assert deployed.client().featurize(deployed.model_id, prompt) == featurize_bytes(prompt.encode(), ticker_spec())
