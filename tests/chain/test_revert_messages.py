"""Every custom error DPrompt can revert with has a message that names the cause and the fix."""

from __future__ import annotations

import pytest

from zkrevox.chain.revert import _MESSAGES
from zkrevox.chain.solc import project_contracts

pytestmark = pytest.mark.chain


def test_everyDPromptError_hasAMessage():
    abi = project_contracts()["DPrompt"].abi
    errors = {e["name"] for e in abi if e["type"] == "error"}
    assert errors, "DPrompt declares custom errors"
    assert sorted(errors - set(_MESSAGES)) == []
