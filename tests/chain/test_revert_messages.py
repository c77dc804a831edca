"""Every custom error DPrompt can revert with has a message that names the cause and the fix."""

from __future__ import annotations

import pytest

from zkrevox.chain.revert import _MESSAGES
from zkrevox.chain.solc import project_contracts

pytestmark = pytest.mark.chain


def test_everyDPromptError_hasAMessage():
    from zkrevox.chain.client import DECODED_ABIS

    contracts = project_contracts()
    errors = {e["name"] for name in DECODED_ABIS for e in contracts[name].abi if e["type"] == "error"}
    errors -= {"ERC20InvalidApprover", "ERC20InvalidReceiver", "ERC20InvalidSender", "ERC20InvalidSpender"}
    assert errors, "DPrompt declares custom errors"
    assert sorted(errors - set(_MESSAGES)) == []
