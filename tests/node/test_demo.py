"""``make demo``'s on-chain half runs end to end: anvil, deployment, a node process, proven answers."""

from __future__ import annotations

import pytest

from zkrevox.chain.demo import PROMPTS, run

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def test_demo_answersEveryPromptThroughANodeAndStopsIt(prover):
    lines: list[str] = []
    result = run(PROMPTS[2:4], lines.append)  # the prompt with no ticker and the one with a typo
    assert [r["status"] for r in result["requests"]] == ["fulfilled", "fulfilled"]
    assert [r["tickers"] for r in result["requests"]] == [[], ["ETH", "USDC"]]
    assert all(500_000 < r["fulfil_gas"] < 700_000 for r in result["requests"])
    assert result["node_exit"] == 0
    assert any("no ticker" in line and "verified on-chain" in line for line in lines)
