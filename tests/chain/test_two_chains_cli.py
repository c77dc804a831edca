"""Issue #18, item 4: a second local chain never orphans the first one's deployment record.

Two anvils on different ports both have chain id 31337, and a deployment lands at the same
deterministic addresses on both. Deploying on the second keeps the first's record (moved aside),
and every command against the first still finds its own record by its genesis hash; its advice is
never a command that would orphan it. Real anvils, the real ticker artifacts, the CLI in-process."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from zkrevox.chain.anvil import Anvil
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.networks import connect
from zkrevox.cli import app

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def _cli(url: str, deployments):
    def run(key: int | None, *args: str) -> tuple[int, dict | None, str]:
        variables = {"ZKREVOX_RPC_URL": url, "ZKREVOX_DEPLOYMENTS": str(deployments),
                     "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[key] if key is not None else ""}
        result = CliRunner().invoke(app, [*args, "--json"], env=variables)
        out = json.loads(result.stdout) if result.exit_code == 0 and result.stdout.strip() else None
        return result.exit_code, out, result.stderr
    return run


def test_secondAnvilsDeploy_keepsTheFirstRecord_andTheFirstChainStillFindsIt(batch_provers, tmp_path):
    with Anvil() as first, Anvil() as second:
        assert first.url != second.url
        a, b = _cli(first.url, tmp_path), _cli(second.url, tmp_path)
        code, deployed_a, err = a(0, "deploy", "ticker", "--batch", "4")
        assert code == 0, err
        assert a(1, "provider", "stake", "0.1")[0] == 0
        record_a = (tmp_path / "31337.json").read_text()

        code, deployed_b, err = b(0, "deploy", "ticker", "--batch", "4")
        assert code == 0, err
        assert deployed_b["dprompt"] == deployed_a["dprompt"]  # same deterministic address on both chains
        assert "another chain with id 31337" in err and "kept" in err
        kept = list(tmp_path.glob("31337.*.json"))
        assert [p.read_text() for p in kept] == [record_a]  # the first chain's record, byte for byte
        genesis_b = "0x" + bytes(connect(second.url).eth.get_block(0)["hash"]).hex()
        assert json.loads((tmp_path / "31337.json").read_text())["genesis"] == genesis_b

        code, _, err = a(None, "models")  # the first chain still reads its own record
        assert code == 0, err
        code, out, err = a(1, "provider", "stake", "0.1")
        assert code == 0 and out["stake_wei"] == 2 * 10**17, err  # its stake is there
        code, _, err = a(0, "deploy", "ticker")  # the first chain's deployment is live: not replaced
        assert code == 1 and "--new" in err
        code, out, err = b(None, "models")
        assert code == 0, err
        assert b(1, "provider", "stake", "0.1")[1]["stake_wei"] == 10**17  # the second chain's own books
