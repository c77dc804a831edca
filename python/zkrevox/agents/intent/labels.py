"""The intent agent's label set (issue 11): what a prompt asks to have done.

Multi-label: a prompt's answer is the set of intents it expresses, empty when it
expresses none (chat, ordinary English that only looks like crypto).
"""

from __future__ import annotations

# The model's label set, in output order. Changing it changes the model.
LABELS: tuple[str, ...] = ("SWAP", "TRANSFER", "BRIDGE", "STAKE", "PRICE", "CHART", "PORTFOLIO", "INFO")

DESCRIPTIONS: dict[str, str] = {
    "SWAP": "exchange one token for another, buy or sell a token, DCA plans, limit orders",
    "TRANSFER": "send, pay or tip tokens to an address, an ENS name or a person",
    "BRIDGE": "move tokens from one chain to another",
    "STAKE": "stake, unstake, restake, delegate, farm, provide liquidity, lend, earn yield, claim rewards",
    "PRICE": "price, market cap, volume, price alerts, what something is worth",
    "CHART": "a chart, graph, candles, any visualization",
    "PORTFOLIO": "the user's own balances, holdings, positions, PnL, transaction history",
    "INFO": "news, sentiment, announcements, why something moved, explanations of a project, token or concept",
}


def ordered(intents) -> tuple[str, ...]:
    """``intents`` deduplicated in output order; an unknown label is an ``InputError`` naming the label set."""
    from zkrevox.errors import InputError

    unknown = sorted(set(intents) - set(LABELS))
    if unknown:
        raise InputError(f"unknown intent label(s) {unknown}; the intent labels are {', '.join(LABELS)}")
    return tuple(label for label in LABELS if label in set(intents))
