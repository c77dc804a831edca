"""``zkrevox.chain.command``: CommandAgent's bitmaps to label names, and the one-line rendering rule."""

from __future__ import annotations

import pytest

from zkrevox.chain.command import decode, mention_order, model_labels, render
from zkrevox.errors import ArtifactError, InputError

INTENTS = ("SWAP", "TRANSFER", "BRIDGE", "STAKE", "PRICE", "CHART", "PORTFOLIO", "INFO")


def test_modelLabels_readEachModelsLabelsJson():
    assert model_labels("intent") == INTENTS
    tickers = model_labels("ticker")
    assert tickers[:2] == ("BNB", "ETH") and "CAKE" in tickers


def test_modelLabels_ofAMissingModel_namesTheFile():
    with pytest.raises(ArtifactError, match=r"models/no-such-model/labels\.json"):
        model_labels("no-such-model")


def test_decode_mapsBitIToLabelI():
    assert decode(0, INTENTS) == []
    assert decode(0b1, INTENTS) == ["SWAP"]
    assert decode(1 << 6 | 1, INTENTS) == ["SWAP", "PORTFOLIO"]
    assert decode(0xFF, INTENTS) == list(INTENTS)


def test_decode_refusesBitsBeyondTheLabels():
    with pytest.raises(InputError, match="sets bit 8, but the model has only 8 labels"):
        decode(1 << 8, INTENTS)
    with pytest.raises(InputError, match="non-negative"):
        decode(-1, INTENTS)


@pytest.mark.parametrize(("intents", "tickers", "prompt", "line"), [
    (["SWAP"], ["BNB", "CAKE"], "swap 2 bnb for cake", "SWAP BNB→CAKE"),
    (["SWAP"], ["BNB", "CAKE"], "buy cake with my bnb", "SWAP CAKE→BNB"),  # the prompt's order, not the labels'
    (["BRIDGE"], ["USDC"], "bridge 50 usdc to arbitrum", "BRIDGE USDC"),
    (["SWAP", "PORTFOLIO"], ["ETH", "USDC"], "check my eth balance and swap half to usdc", "SWAP+PORTFOLIO ETH→USDC"),
    (["PRICE", "CHART"], ["ETH", "BNB"], "chart bnb and eth prices", "PRICE+CHART BNB,ETH"),  # no move: a list
    ([], [], "let's bridge our differences", "NONE"),
    (["INFO"], [], "what is restaking", "INFO"),
    (["SWAP"], ["ETH", "USDC"], "swap 2 etherium for usdc", "SWAP USDC→ETH"),  # a typo is not spelled out: last
])
def test_render_followsTheDocumentedRule(intents, tickers, prompt, line):
    assert render(intents, tickers, prompt) == line


def test_render_withAliases_findsNamesTheSymbolDoesNotSpell():
    aliases = {"USDT": ("tether",), "DOGE": ("dogecoin", "doge coin")}
    assert render(["SWAP"], ["USDT", "DOGE"], "sell half my dogecoin for tether", aliases) == "SWAP DOGE→USDT"
    assert mention_order(["USDT", "DOGE"], b"swap doge coin \xff for tether", aliases) == ["DOGE", "USDT"]
    assert mention_order(["USDT", "DOGE"], None) == ["USDT", "DOGE"]  # no prompt: as given
