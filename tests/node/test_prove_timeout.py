"""A proof that never finishes (ezkl's ``prove`` has been reported to hang on some inputs of an
otherwise fine circuit): past a time-out derived from the measured prove times its worker is
replaced, the request is proved once more, alone, then failed (``prove-timeout``) and reported;
the other requests are answered meanwhile."""

from __future__ import annotations

import pytest
from nodeenv import NodeEnv, config, fulfilled_events, metric, metrics_text, node_thread, wait_states
from provefns import hangs_on_hang

from zkrevox.node.proving import ProveTimes

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def test_proveTimes_timeoutIsAMultipleOfTheAverage_withinFloorAndCap():
    t = ProveTimes(factor=4, floor=30, cap=300)
    assert t.timeout(1) == 300  # not measured yet: the cap
    t.observe(1, 0.8)
    assert t.timeout(1) == 30  # 4 x 0.8 is below the floor
    t.observe(16, 12.0)
    assert t.timeout(16) == 48
    t.observe(16, 300.0)  # running average 98.4 s
    assert t.timeout(16) == 300
    assert t.expected(8) == pytest.approx(0.8 * 8)  # unmeasured: scaled from the nearest measured size


def test_hangingProof_workerReplaced_retriedOnceAlone_thenFailed(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    cfg = config(env, db, prove_timeout_floor=4.0, prove_timeout_factor=3.0, metrics_port=0)
    with node_thread(cfg, env.provider, prove_fn=hangs_on_hang) as node:
        first = env.request("swap 2 bnb for cake")  # measured: the time-out comes from it
        wait_states(db, [first], {"confirmed"}, timeout=60)
        hang = env.request("please hang on cake")
        after = env.request("price of eth")
        jobs = wait_states(db, [hang, after], {"confirmed", "failed"}, timeout=120)
        text = metrics_text(node)
    job = jobs[hang]
    assert job["state"] == "failed" and job["reason"] == "prove-timeout" and job["timeouts"] == 2
    assert "took more than" in job["last_error"] and "worker was replaced" in job["last_error"]
    assert [h["to"] for h in job["history"]] == ["seen", "proving", "seen", "proving", "failed"]
    assert jobs[after]["state"] == "confirmed"
    assert metric(text, 'zkrevox_node_prove_timeouts_total{size="1"}') == 2
    assert 4.0 <= metric(text, 'zkrevox_node_prove_timeout_seconds{size="1"}') < 60
    assert fulfilled_events(env, start) == {first: 1, after: 1}
