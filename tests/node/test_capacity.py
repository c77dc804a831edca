"""``zkrevox node --capacity``: the node declares on-chain how many requests it may hold pending.
Explicit values are set at start; the default (auto) declares what the node can prove in half a
response window, only if the provider never declared a capacity (DPrompt's default is 16, which
would refuse a burst of 32 the node answers easily)."""

from __future__ import annotations

import pytest
from nodeenv import NodeEnv, config, node_thread

from zkrevox.node.bootstrap import CONTRACT_DEFAULT_CAPACITY, auto_capacity

pytestmark = [pytest.mark.chain]


def _capacity(env: NodeEnv) -> int:
    return env.client().provider(env.model_id, env.provider.address).capacity


def test_capacity_autoWhenNeverDeclared_explicitOverrides_autoKeepsADeclaredOne(env: NodeEnv, tmp_path):
    assert _capacity(env) == CONTRACT_DEFAULT_CAPACITY
    window = env.client().model(env.model_id).response_window
    with node_thread(config(env, tmp_path / "a.db"), env.provider):
        assert _capacity(env) == auto_capacity(window, 1) >= 32
    with node_thread(config(env, tmp_path / "b.db", capacity=24), env.provider):
        assert _capacity(env) == 24
    with node_thread(config(env, tmp_path / "c.db"), env.provider):
        assert _capacity(env) == 24  # declared by the operator: auto leaves it


def test_autoCapacity_isHalfTheWindowOverTheAssumedProveTime():
    assert auto_capacity(600, 1) == 60
    assert auto_capacity(600, 2) == 120
    assert auto_capacity(60, 1, per_request_s=100) == 1
    assert auto_capacity(10**9, 8) == 65535
