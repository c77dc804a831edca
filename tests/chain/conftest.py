"""Chain test fixtures: one anvil and one deployment per session, state reset between tests.

Everything is real: contracts compiled by the pinned solc-js, deployed on anvil, driven with
web3; fulfilment uses a small real ezkl circuit (toy_circuit.py) and its generated verifier.
Each test runs between ``evm_snapshot`` and ``evm_revert``, so tests are independent and fast.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

sys.path.insert(0, str(Path(__file__).parent))  # chainenv, toy_circuit

from chainenv import (
    FEE,
    LABELS,
    MIN_STAKE,
    RESPONSE_WINDOW,
    SLASH_BPS,
    UNBONDING_DELAY,
    Env,
    ticker_spec,
)
from toy_circuit import ToyCircuit, build_toy

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.deploy import ModelParams, deploy
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.solc import project_contracts


@pytest.fixture(scope="session")
def compiled():
    return project_contracts()


@pytest.fixture(scope="session")
def anvil():
    with Anvil() as chain:
        yield chain


@pytest.fixture(scope="session")
def w3(anvil) -> Web3:
    return Web3(Web3.HTTPProvider(anvil.url))


@pytest.fixture(scope="session")
def toy() -> ToyCircuit:
    return build_toy(ticker_spec())


@pytest.fixture(scope="session")
def deployed(anvil, w3, toy, tmp_path_factory) -> Env:
    owner, provider, provider2, user, other = (Account.from_key(k) for k in ANVIL_DEV_KEYS)
    labels = tuple(json.loads(LABELS.read_text())["labels"]) if LABELS.is_file() else ()
    params = ModelParams(
        name="ticker", spec=toy.spec, input_scale=toy.input_scale, num_outputs=toy.num_outputs,
        vk_sha256=toy.vk_sha256, labels=labels, fee_wei=FEE, min_stake_wei=MIN_STAKE,
        response_window_s=RESPONSE_WINDOW, slash_bps=SLASH_BPS,
    )
    dep = deploy(w3, owner, params, verifier_sol=toy.verifier_sol, unbonding_delay=UNBONDING_DELAY,
                 directory=tmp_path_factory.mktemp("deployments"))
    env = Env(w3, anvil.url, dep, dep.models["ticker"].model_id, owner, provider, provider2, user, other, toy, params)
    return env


@pytest.fixture()
def env(deployed: Env):
    """The deployed environment, reverted to its pristine state after the test."""
    snap = deployed.w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        yield deployed
    finally:
        deployed.w3.provider.make_request("evm_revert", [snap])


@pytest.fixture()
def staked(env: Env) -> Env:
    """``env`` with one provider staked for the model (so requests are assigned to it)."""
    env.client(env.provider).stake(env.model_id, MIN_STAKE)
    return env


@pytest.fixture()
def fresh(chain):
    """The test module's own ``chain`` fixture (a dict with its ``w3``), reverted to its state before
    the test (``evm_snapshot`` / ``evm_revert``)."""
    snap = chain["w3"].provider.make_request("evm_snapshot", [])["result"]
    try:
        yield chain
    finally:
        chain["w3"].provider.make_request("evm_revert", [snap])


@pytest.fixture(scope="session")
def rex_deployed(deployed: Env):
    """REX, StakedRex and the PointsPaymaster deployed beside the session's DPrompt (each dev
    account holds ``rexenv.GRANT`` REX; the pool is not funded)."""
    from rexenv import PARAMS, RexEnv

    from zkrevox.chain.rex_deploy import deploy_rex

    accounts = [deployed.provider, deployed.provider2, deployed.user, deployed.other]
    record = deploy_rex(deployed.w3, deployed.owner, deployed.dep.dprompt.address, params=PARAMS,
                        grants=[a.address for a in accounts], write=False)
    return RexEnv(deployed, record, PARAMS)


@pytest.fixture()
def rex(rex_deployed, env: Env):
    """``rex_deployed``, reverted to its pristine state after the test (through ``env``)."""
    return rex_deployed
