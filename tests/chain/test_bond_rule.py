"""The bond rule and the window floor at publication (issue 19), real anvils, the real ticker model:

* ``zkrevox publish`` with a bond below the rule's floor (at the local preset's declared gas price, the
  dispute gas measured on the model's verifier) is refused, naming the floor, and nothing is published;
  at the floor it is accepted and ``zkrevox models --json`` shows the rule kept (disputer's net ≥ 0);
* on a testnet preset (anvil serving Sepolia's chain id): a window below 20 blocks is refused before any
  transaction, naming the least window; the defaults (a 2-hour window, the bond raised to the floor at
  20 gwei) keep the rule, read back from ``zkrevox models --json``.
"""

from __future__ import annotations

import json
import re
from decimal import Decimal

import pytest
from chainenv import Env
from clirun import own_deployment, run
from typer.testing import CliRunner

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.deploy import model_params
from zkrevox.chain.economics import MIN_WINDOW_BLOCKS, BondTerms, bond_floor
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import PRESETS
from zkrevox.cli import app

pytestmark = [pytest.mark.chain, pytest.mark.slow]
OTHER = 4
GWEI = 10**9


@pytest.fixture()
def built(prover, batch_provers):
    """The real ticker circuits, single and batch 4 (`deploy --batch 4` below), built once if missing."""
    return model_params("ticker")


def test_publish_bondBelowTheFloor_refusedNamingIt_atTheFloorAccepted(env: Env, tmp_path, built):
    own_deployment(env, tmp_path)
    code, _, err = run(env, tmp_path, OTHER, "publish", "ticker", "--as", "cheap", "--no-batch",
                       "--answer-bond", "0.0001")
    assert code == 1, err
    found = re.search(r"the smallest bond that keeps it is (\d+) wei", err)
    assert found, err
    floor = int(found.group(1))
    assert "breaks the bond rule" in err and "2 gwei" in err and "no model was published" in err
    gas = int(re.search(r"\(([\d,]+) gas, measured on its verifier\)", err).group(1).replace(",", ""))
    assert gas > 400_000 and floor == bond_floor(gas, PRESETS["local"].gas_price_gwei * GWEI)
    assert env.client().model_count() == 1  # nothing published

    code, out, err = run(env, tmp_path, OTHER, "publish", "ticker", "--as", "at-floor", "--no-batch",
                         "--answer-bond", str(Decimal(floor) / 10**18))
    assert code == 0, err
    assert out["answer_bond"] == floor and out["dispute_gas"] == gas
    code, rows, err = run(env, tmp_path, None, "models")
    assert code == 0, err
    rule = next(r for r in rows if r["name"] == "at-floor")["bond_rule"]
    assert rule["bond_rule_kept"] and rule["disputer_net_wei"] >= 0 and rule["bond_floor"] == floor
    assert rule["declared_gas_price_wei"] == 2 * GWEI and rule["dispute_gas"] == gas


def _cli(url: str, deployments, *args: str) -> tuple[int, str, str]:
    variables = {"ZKREVOX_RPC_URL": "", "ZKREVOX_DEPLOYMENTS": str(deployments),
                 "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[0]}
    result = CliRunner().invoke(app, [*args, "--network", "sepolia", "--rpc", url, "--json"], env=variables)
    return result.exit_code, result.stdout, result.stderr


def test_testnetPreset_windowBelowTheBlockFloor_refused_defaultsKeepTheRule(tmp_path, built):
    sepolia = PRESETS["sepolia"]
    least = MIN_WINDOW_BLOCKS * int(sepolia.block_time_s)
    with Anvil(chain_id=sepolia.chain_id) as chain:
        code, _, err = _cli(chain.url, tmp_path, "deploy", "ticker", "--batch", "4", "--challenge-window", "120")
        assert code == 1, err
        assert f"below the floor of {MIN_WINDOW_BLOCKS} blocks" in err and f"--challenge-window {least}" in err
        from web3 import Web3

        w3 = Web3(Web3.HTTPProvider(chain.url))
        assert w3.eth.get_transaction_count(w3.eth.account.from_key(ANVIL_DEV_KEYS[0]).address) == 0  # nothing sent
        code, out, err = _cli(chain.url, tmp_path, "deploy", "ticker", "--batch", "4")
        assert code == 0, err
        code, out, err = _cli(chain.url, tmp_path, "models")
        assert code == 0, err
    [row] = json.loads(out)
    assert row["challenge_window_s"] == sepolia.challenge_window_s >= 3600
    rule = row["bond_rule"]
    assert rule["declared_gas_price_wei"] == sepolia.gas_price_gwei * GWEI
    assert rule["bond_rule_kept"] and rule["disputer_net_wei"] >= 0
    terms = BondTerms(row["answer_bond"], rule["dispute_gas"], rule["declared_gas_price_wei"])
    assert row["answer_bond"] == max(row["min_stake_wei"] // 20, terms.floor)  # the default bond, raised to the floor
