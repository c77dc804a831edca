"""`zkrevox rex …` and `request --pay points` refuse a user's mistake with exit 1 and a message that
names the fix, before sending anything (session anvil, real contracts)."""

from __future__ import annotations

import pytest
from chainenv import Env
from clirun import own_deployment, run
from rexenv import UNIT, RexEnv

from zkrevox.chain.rex_deploy import write_rex_record

pytestmark = pytest.mark.chain


def test_rexCommands_withoutARexDeployment_sayHowToDeploy(env: Env, tmp_path):
    own_deployment(env, tmp_path)
    code, _, err = run(env, tmp_path, 3, "rex", "points")
    assert code == 1 and "zkrevox deploy" in err and "--rex" in err


@pytest.fixture()
def cli_rex(rex: RexEnv, tmp_path) -> RexEnv:
    own_deployment(rex.env, tmp_path)
    write_rex_record(rex.record, tmp_path)
    return rex


def test_rexMistakes_exit1NamingTheFix(cli_rex: RexEnv, tmp_path):
    env = cli_rex.env
    cases = [
        (("rex", "stake", "lots"), "not a number of REX"),
        (("rex", "stake", "0"), "positive"),
        (("rex", "stake", "1e30"), "less than"),  # more than the account holds
        (("rex", "unstake", "1"), "staked, less than"),
        (("rex", "claim"), "enroll first"),
        (("request", "swap 2 bnb for cake", "--pay", "points"), "zkrevox rex stake"),
        (("request", "swap 2 bnb for cake", "--pay", "coupons"), "use native or points"),
        (("rex", "refund", "1"), "not paid with points"),
    ]
    for args, text in cases:
        code, _, err = run(env, tmp_path, 3, *args)
        assert code == 1 and text in err, (args, err)
    code, out, err = run(env, tmp_path, 3, "rex", "stake", "10")
    assert code == 0 and out["staked"] == 10 * UNIT, err
    for pct, text in (("150", "between 0 and 100"), ("x", "not a percentage"), ("1", "--max-deduction 1%")):
        code, _, err = run(env, tmp_path, 3, "rex", "unstake", "10", "--max-deduction", pct)
        assert code == 1 and text in err, (pct, err)
    code, out, err = run(env, tmp_path, 3, "rex", "unstake", "10", "--max-deduction", "20")
    assert code == 0, err
    assert 2 * UNIT * 0.999 < out["deduction"] <= 2 * UNIT  # 20 %, less a few seconds of age
    assert out["burned"] + out["pooled"] == out["deduction"] and out["burned"] == out["deduction"] // 2
