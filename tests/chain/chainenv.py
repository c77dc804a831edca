"""Shared state of the chain tests: constants, the deployed environment, the ticker spec."""

from __future__ import annotations

import json
from dataclasses import dataclass

from eth_account.signers.local import LocalAccount
from toy_circuit import ToyCircuit
from web3 import Web3

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import Deployment, ModelParams
from zkrevox.chain.paths import repo_root
from zkrevox.featurize import FeatureSpec

TICKER_SPEC = repo_root() / "models" / "ticker" / "input_spec.json"
LABELS = repo_root() / "models" / "ticker" / "labels.json"
UNBONDING_DELAY = 3600
RESPONSE_WINDOW = 600
FEE = 10**15
MIN_STAKE = 10**17
SLASH_BPS = 1000
DEVELOPER_SHARE_BPS = 1000  # ModelParams' default: 10 % of the model fee to the publisher
DEVELOPER_CUT = FEE * DEVELOPER_SHARE_BPS // 10_000
PROVIDER_FEE = FEE - DEVELOPER_CUT  # what a provider earns for an answer paid exactly the fee


@dataclass
class Env:
    w3: Web3
    rpc: str
    dep: Deployment
    model_id: int
    owner: LocalAccount
    provider: LocalAccount
    provider2: LocalAccount
    user: LocalAccount
    other: LocalAccount
    toy: ToyCircuit
    params: ModelParams

    def client(self, account: LocalAccount | None = None) -> DPromptClient:
        return DPromptClient(self.w3, self.dep.dprompt.address, account)

    def advance(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])
        self.w3.provider.make_request("evm_mine", [])


def ticker_spec() -> FeatureSpec:
    return FeatureSpec.from_dict(json.loads(TICKER_SPEC.read_text()))
