"""DPrompt stays deployable: its runtime code is under the EIP-170 limit (24,576 bytes)."""

from __future__ import annotations

import pytest

from zkrevox.chain.solc import MAX_DEPLOYED_SIZE, project_contracts

pytestmark = pytest.mark.chain


def test_dprompt_deployedSizeWithinEip170():
    size = project_contracts()["DPrompt"].deployed_size
    assert size <= MAX_DEPLOYED_SIZE, f"DPrompt is {size} bytes deployed, over EIP-170's {MAX_DEPLOYED_SIZE}"
