"""``make demo``'s on-chain half runs end to end: anvil, deployment, a node process, proven answers."""

from __future__ import annotations

import pytest

from zkrevox.chain.demo import PROMPTS, run

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def test_demo_answersEveryPromptThroughANodeAndStopsIt(prover, batch_provers):
    lines: list[str] = []
    # no ticker, a typo, a plain request, and bytes that are not UTF-8 text
    prompts = [PROMPTS[2], PROMPTS[3], PROMPTS[4], PROMPTS[5]]
    assert isinstance(prompts[3], bytes)
    result = run(prompts, lines.append)
    requests = result["requests"]
    assert [r["status"] for r in requests] == ["fulfilled"] * 4
    assert [r["tickers"] for r in requests] == [[], ["ETH", "USDC"], ["MATIC"], ["CAKE"]]
    assert all(r["fulfil_gas"] / r["batch_size"] < 600_000 for r in requests)
    assert result["node_exit"] == 0
    # the on-chain agent asked first and got its proven answer by callback
    assert result["callback"]["tickers"] == ["BNB", "CAKE"] and result["callback"]["callback"]["success"] is True
    assert any("no ticker" in line and "verified on-chain" in line for line in lines)
    assert any("\\xff\\xfe" in line and "CAKE" in line for line in lines)
