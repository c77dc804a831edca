"""The on-chain commands with two agents on one DPrompt: the ticker (the session's deployment) and
the intent agent (published by another account). A command that could mean either refuses and
names the models; fulfil and dispute default to the request's own model; answers are printed
under the agent's key (``intents``, ``tickers``), with real proofs on a real anvil."""

from __future__ import annotations

import pytest
from chainenv import Env
from clirun import own_deployment, run

from zkrevox.chain.keys import ANVIL_DEV_KEYS

pytestmark = [pytest.mark.chain, pytest.mark.slow]
OTHER = 4  # anvil dev key of env.other: the intent agent's publisher
PROVIDER, USER = 1, 2


@pytest.fixture()
def two_agents(env: Env, tmp_path, prover, intent_prover) -> Env:
    own_deployment(env, tmp_path)
    code, out, err = run(env, tmp_path, OTHER, "publish", "intent", "--no-batch")
    assert code == 0, err
    assert out["name"] == "intent"
    code, _, err = run(env, tmp_path, PROVIDER, "provider", "stake", "0.1", "--model", "intent")
    assert code == 0, err
    return env


def test_request_withTwoModels_needsModel_andNamesThem(two_agents: Env, tmp_path):
    user = two_agents.w3.eth.account.from_key(ANVIL_DEV_KEYS[USER]).address
    nonce = two_agents.w3.eth.get_transaction_count(user)
    code, out, err = run(two_agents, tmp_path, USER, "request", "bridge 50 usdc to arbitrum")
    assert code == 1 and not out
    assert "pass --model NAME" in err and "intent, ticker" in err
    assert two_agents.w3.eth.get_transaction_count(user) == nonce  # nothing was sent


def test_intentRequest_fulfilledAndReadUnderIntents(two_agents: Env, tmp_path):
    code, req, err = run(two_agents, tmp_path, USER, "request", "bridge 50 usdc to arbitrum", "--model", "intent")
    assert code == 0, err
    rid = req["request_id"]
    code, out, err = run(two_agents, tmp_path, PROVIDER, "fulfil", str(rid))  # the request's model: intent
    assert code == 0, err
    assert out["intents"] == ["BRIDGE"] and "tickers" not in out
    code, out, err = run(two_agents, tmp_path, None, "answer", str(rid))
    assert code == 0, err
    assert out["status"] == "fulfilled" and out["intents"] == ["BRIDGE"] and "tickers" not in out

    # the session's "ticker" model (a toy circuit under the ticker's labels) keeps its key
    code, _, err = run(two_agents, tmp_path, PROVIDER, "provider", "stake", "0.1", "--model", "ticker")
    assert code == 0, err
    code, req, err = run(two_agents, tmp_path, USER, "request", "swap 2 bnb for cake", "--model", "ticker")
    assert code == 0, err
    code, out, err = run(two_agents, tmp_path, None, "answer", str(req["request_id"]))
    assert code == 0, err
    assert out["status"] == "pending" and out["tickers"] == [] and "intents" not in out
