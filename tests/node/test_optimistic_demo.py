"""``make demo``'s optimistic part runs end to end: optimistic requests answered by the node within 2
blocks (1-second blocks) and ≤ 80k gas, finalized after the window; a wrong answer posted with the
provider's key overturned by a ``zkrevox watch`` process before the window ends."""

from __future__ import annotations

import pytest

from zkrevox.chain.demo import PROMPTS, run

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def test_demo_optimisticAnsweredFinalizedAndWrongClaimOverturned(prover, batch_provers):
    lines: list[str] = []
    result = run([PROMPTS[0], PROMPTS[4]], lines.append)
    opt = result["optimistic"]
    assert [a["status"] for a in opt["answered"]] == ["answered"] * 2
    assert [a["tickers"] for a in opt["answered"]] == [["BNB", "CAKE"], ["MATIC"]]
    assert all(a["answer_block"] - a["request_block"] <= 2 for a in opt["answered"])
    assert all(a["answer_gas"] <= 80_000 for a in opt["answered"])
    assert opt["finalize"]["txs"] == 1  # both answers in one finalize
    dispute = opt["dispute"]
    assert (dispute["status"], dispute["tickers"], dispute["before_window_end"]) == (
        "overturned", ["USDT", "DOGE"], True)
    assert dispute["watcher_gain"] > 0
    shown = dispute["answer_cli"]  # zkrevox answer ID --json
    assert (shown["status"], shown["mode"], shown["final"], shown["tickers"]) == (
        "overturned", "optimistic", True, ["USDT", "DOGE"])
    assert result["node_exit"] == 0
