"""Issue 23's "What I will check", through the CLI, on the session's real ticker deployment with a
real provider node: the REX contracts deployed beside the live DPrompt (`zkrevox deploy --rex new`);
`rex stake 1000`, a day passes (`chain advance 86400`), `rex points` shows points; a request paid
with points (`request … --pay points`) is answered by the node (BNB, CAKE) and the points fall by
the published price; a fresh stake of 100 unstaked at once pays the deduction, half burned (REX's
total supply falls by exactly that) and half pooled; an enrolled staker claims a reward."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from nodeenv import NodeEnv, config, node_thread, wait_for
from typer.testing import CliRunner

from zkrevox.chain.deploy import Deployment, write_deployment
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.cli import app

pytestmark = [pytest.mark.chain, pytest.mark.slow]

UNIT = 10**18


def cli(env: NodeEnv, deployments: Path, key: int, *args: str) -> dict[str, Any]:
    """``zkrevox ARGS --json`` signed by dev key ``key``; the parsed result (exit 0 asserted)."""
    variables = {"ZKREVOX_RPC_URL": env.rpc, "ZKREVOX_DEPLOYMENTS": str(deployments),
                 "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[key]}
    result = CliRunner().invoke(app, [*args, "--json"], env=variables)
    assert result.exit_code == 0, (args, result.stderr)
    return json.loads(result.stdout)


def test_rexCli_theIssuesChecks_withARealNode(env: NodeEnv, tmp_path):
    write_deployment(Deployment.from_json(env.dep.to_json()), tmp_path)
    deployed = cli(env, tmp_path, 0, "deploy", "--rex", "new")
    assert deployed["rex"]["srex"] and deployed["rex"]["paymaster"]
    user, fresh = 3, 4
    with node_thread(config(env, tmp_path / "node.db", deployments_dir=tmp_path), env.provider):
        assert cli(env, tmp_path, user, "rex", "stake", "1000")["staked"] == 1_000 * UNIT
        cli(env, tmp_path, user, "chain", "advance", "86400")
        points = cli(env, tmp_path, user, "rex", "points")
        assert points["points"] >= 1_000 * UNIT  # one point per sREX per day
        asked = cli(env, tmp_path, user, "request", "swap 2 bnb for cake", "--pay", "points")
        price = points["points_price"]
        assert asked["points_spent"] == price
        assert asked["points_before"] - price <= asked["points"] < asked["points_before"] - price + UNIT
        rid = str(asked["request_id"])
        shown = wait_for(lambda: (a := cli(env, tmp_path, user, "answer", rid))["status"] == "fulfilled" and a,
                         180, "the points request answered")
        assert set(shown["tickers"]) == {"BNB", "CAKE"} and shown["final"] is True

    before = cli(env, tmp_path, fresh, "rex", "balance")["rex_total_supply"]
    cli(env, tmp_path, fresh, "rex", "stake", "100")
    out = cli(env, tmp_path, fresh, "rex", "unstake", "100")
    assert 20 * UNIT * 0.9999 < out["deduction"] <= 20 * UNIT  # d0 = 20 % of a stake a few seconds old
    assert out["burned"] == out["deduction"] // 2 and out["pooled"] == out["deduction"] - out["burned"]
    assert out["out"] + out["deduction"] == 100 * UNIT
    assert cli(env, tmp_path, fresh, "rex", "balance")["rex_total_supply"] == before - out["burned"]

    cli(env, tmp_path, user, "rex", "enroll")
    cli(env, tmp_path, user, "chain", "advance", "3600")
    assert cli(env, tmp_path, user, "rex", "claim")["claimed"] > 0
    variables = {"ZKREVOX_RPC_URL": env.rpc, "ZKREVOX_DEPLOYMENTS": str(tmp_path),
                 "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[fresh]}
    refused = CliRunner().invoke(app, ["rex", "stake", "1", "--json"], env=variables)  # fine: it has REX
    assert refused.exit_code == 0
    limited = CliRunner().invoke(app, ["rex", "unstake", "1", "--max-deduction", "5"], env=variables)
    assert limited.exit_code == 1 and "--max-deduction 5%" in limited.stderr


def test_rexDemo_stepsInOrder_withARealNode(env: NodeEnv, tmp_path):
    """``make demo``'s REX part (``zkrevox.chain.rex_demo``), as the demo runs it beside its node."""
    from zkrevox.chain import rex_demo

    dep = Deployment.from_json(env.dep.to_json())
    write_deployment(dep, tmp_path)
    lines: list[str] = []
    with node_thread(config(env, tmp_path / "node.db", deployments_dir=tmp_path), env.provider):
        result = rex_demo.run(env.w3, dep, "ticker", lines.append)
    assert result["points"] >= 1_000 * UNIT and result["tickers"] == ["BNB", "CAKE"]
    u = result["unstake"]
    assert u["deduction"] > 0 and u["burned"] == u["deduction"] // 2 and u["pooled"] == u["deduction"] - u["burned"]
    assert result["rex_supply_fell_by"] == u["burned"] and result["reward"] > 0
    steps = ["stake:", "a day passes", "paid with", "answered by the node", "early unstake", "long-term staker claims"]
    at = [next(i for i, line in enumerate(lines) if s in line) for s in steps]
    assert at == sorted(at)
