"""``make demo``'s on-chain half runs end to end: anvil, deployment, a node process, proven answers."""

from __future__ import annotations

import pytest

from zkrevox.chain.demo import COMMANDS, PROMPTS, run

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def test_demo_answersEveryPromptThroughANodeAndStopsIt(prover, batch_provers, intent_prover):
    lines: list[str] = []
    # no ticker, a typo, a plain request, and bytes that are not UTF-8 text
    prompts = [PROMPTS[2], PROMPTS[3], PROMPTS[4], PROMPTS[5]]
    assert isinstance(prompts[3], bytes)
    result = run(prompts, lines.append)
    requests = result["requests"]
    assert [r["status"] for r in requests] == ["fulfilled"] * 4
    assert [r["tickers"] for r in requests] == [[], ["ETH", "USDC"], ["MATIC"], ["CAKE"]]
    # each user prompt is asked of the intent agent too, and shown with its proven intents
    intents = [r["intents"] for r in requests]
    assert (intents[0], intents[1], intents[3]) == ([], ["SWAP"], ["SWAP"])
    assert all(r["fulfil_gas"] / r["batch_size"] < 600_000 for r in requests)
    assert result["node_exit"] == 0
    # the on-chain agent asked first and got its proven answer by callback
    assert result["callback"]["tickers"] == ["BNB", "CAKE"] and result["callback"]["callback"]["success"] is True
    assert any("no ticker" in line and "verified on-chain" in line for line in lines)
    assert any("\\xff\\xfe" in line and "CAKE" in line for line in lines)
    # both agents on one DPrompt, one node serving both; CommandAgent composed them on-chain
    commands = result["commands"]
    assert [c["prompt"] for c in commands] == list(COMMANDS)
    first = commands[0]
    assert (first["intents"], first["tickers"], first["line"]) == (["SWAP"], ["BNB", "CAKE"], "SWAP BNB→CAKE")
    assert commands[1]["intents"] == ["BRIDGE"] and "USDC" in commands[1]["tickers"]
    assert set(commands[2]["intents"]) == {"SWAP", "PORTFOLIO"}
    assert commands[2]["line"].startswith("SWAP+PORTFOLIO ETH→")
    for c in commands:
        gas = c["gas"]
        assert gas["total"] == gas["ask"] + gas["intent_fulfil"] + gas["ticker_fulfil"]
    assert any("Command SWAP BNB→CAKE" in line for line in lines)
    assert any("one node serves both models" in line for line in lines)
    # stake-to-AI: a request paid with points answered by the node, an early unstake's deduction split
    rex = result["rex"]
    assert rex["tickers"] == ["BNB", "CAKE"] and rex["reward"] > 0
    assert rex["unstake"]["burned"] == rex["unstake"]["deduction"] // 2 == rex["rex_supply_fell_by"]
