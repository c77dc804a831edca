"""Every deployed contract of ours stays well under the EIP-170 limit (24,576 bytes): at least
3 KB of headroom each, so the next feature does not have to fight for bytecode."""

from __future__ import annotations

import pytest

from zkrevox.chain.solc import MAX_DEPLOYED_SIZE, project_contracts

pytestmark = pytest.mark.chain

HEADROOM = 3 * 1024
# DPrompt and the external libraries it links; the REX contracts (src/rex/)
DEPLOYED = ["DPrompt", "ModelRegistry", "ProviderStaking", "OptimisticAnswers", "Rex", "StakedRex", "PointsPaymaster"]


@pytest.mark.parametrize("name", DEPLOYED)
def test_contract_keepsThreeKilobytesBelowEip170(name: str):
    size = project_contracts()[name].deployed_size
    assert size <= MAX_DEPLOYED_SIZE - HEADROOM, (
        f"{name} is {size} bytes deployed: less than {HEADROOM} bytes below EIP-170's {MAX_DEPLOYED_SIZE}; "
        "move a role out (see verifier-contracts/README.md)"
    )


def test_dprompt_linksItsRoleLibraries():
    linked = set(project_contracts()["DPrompt"].link_references)
    assert linked == {"ModelRegistry", "ProviderStaking", "OptimisticAnswers"}
