"""RPC faults between the node and the chain, through a TCP proxy the test controls: refused
connections, reset connections, a silent endpoint (time-outs) and rate limiting (HTTP 429). The node reports itself
degraded, backs off (no busy loop), and completes every request once the RPC is back."""

from __future__ import annotations

import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from nodeenv import NodeEnv, config, fulfil_calls, fulfilled_events, metric, metrics_text, node_thread, wait_for
from nodeenv import wait_states as wait_jobs
from tcpproxy import TcpProxy

from zkrevox.node import ProviderNode

pytestmark = [pytest.mark.chain, pytest.mark.slow]


def _health(node: ProviderNode) -> dict:
    """/healthz's JSON; checks the HTTP status agrees with it (200 when ok, 503 otherwise)."""
    try:
        with urllib.request.urlopen(node.metrics_url + "/healthz", timeout=5) as resp:
            body = json.loads(resp.read())
            assert resp.status == 200 and body["status"] == "ok", body
            return body
    except urllib.error.HTTPError as err:
        with err:
            body = json.loads(err.read())
        assert err.code == 503 and body["status"] != "ok", body
        return body


def _anvil_port(env: NodeEnv) -> int:
    return int(env.rpc.rsplit(":", 1)[1])


def test_rpcOutages_nodeRecoversAndCompletesEveryRequest(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    start = env.w3.eth.block_number
    with TcpProxy(_anvil_port(env)) as proxy:
        cfg = config(env, db, rpc=proxy.url, metrics_port=0, rpc_timeout=1.0, backoff_base=0.2, backoff_cap=1.0)
        with node_thread(cfg, env.provider) as node:
            ids = []
            # 1. the RPC refuses connections while a proof is in flight: the fulfilment waits for it
            ids.append(env.request("sell half my dogecoin for tether"))
            wait_for(lambda: node._proving.inflight, 30, "a proof in flight")
            proxy.set_mode("refuse")
            wait_for(lambda: _health(node)["status"] == "degraded", 15, "degraded on refused connections")
            time.sleep(2.5)  # the proof finishes during the outage
            proxy.set_mode("up")
            wait_jobs(db, ids, {"confirmed"}, timeout=60)

            # 2. connections reset; requests arrive meanwhile (made straight to anvil)
            proxy.set_mode("reset")
            wait_for(lambda: _health(node)["status"] == "degraded", 15, "degraded on reset connections")
            before = proxy.accepted
            ids += [env.request("swap 2 bnb for cake"), env.request("price of eth")]
            time.sleep(3.0)
            tries = proxy.accepted - before
            assert tries < 40, f"{tries} connection attempts in 3 s: the node is not backing off"
            proxy.set_mode("up")
            wait_jobs(db, ids, {"confirmed"}, timeout=60)

            # 3. the endpoint accepts and never answers: every request times out
            proxy.set_mode("blackhole")
            ids.append(env.request("bridge my usdc to arbitrum"))
            wait_for(lambda: _health(node)["status"] == "degraded", 15, "degraded on time-outs")
            time.sleep(2.0)
            proxy.set_mode("up")
            wait_jobs(db, ids, {"confirmed"}, timeout=60)

            # 4. the endpoint rate-limits: HTTP 429 to everything
            proxy.set_mode("ratelimit")
            ids.append(env.request("stake some matic"))
            wait_for(lambda: "429" in str(_health(node)["last_error"]), 15, "degraded on HTTP 429")
            time.sleep(1.5)
            proxy.set_mode("up")
            jobs = wait_jobs(db, ids, {"confirmed"}, timeout=60)
            wait_for(lambda: _health(node)["status"] == "ok", 15, "healthy again")
            text = metrics_text(node)

    assert metric(text, "zkrevox_node_rpc_errors_total") >= 4
    assert metric(text, "zkrevox_node_requests_fulfilled_total") == len(ids)
    assert fulfilled_events(env, start) == dict.fromkeys(ids, 1)  # lost: 0, twice: 0
    assert sorted(c["request_id"] for c in fulfil_calls(env, start)) == sorted(ids)
    assert all(j["state"] == "confirmed" for j in jobs.values())


def test_rpcDownAtStart_nodeWaitsThenServes(env: NodeEnv, tmp_path):
    db = tmp_path / "node.db"
    with TcpProxy(_anvil_port(env)) as proxy:
        proxy.set_mode("refuse")
        cfg = config(env, db, rpc=proxy.url, metrics_port=0, rpc_timeout=1.0)
        node = ProviderNode(cfg, env.provider)
        thread = threading.Thread(target=node.run, daemon=True)
        thread.start()
        try:
            wait_for(lambda: node.metrics_url and _health(node)["status"] == "degraded", 30, "degraded at start")
            assert "unavailable" in _health(node)["detail"]
            proxy.set_mode("up")
            wait_for(lambda: _health(node)["status"] == "ok", 30, "up once the RPC answers")
            rid = env.request("swap 2 bnb for cake")
            wait_jobs(db, [rid], {"confirmed"}, timeout=90)
        finally:
            node.stop()
            thread.join(timeout=60)
        assert not thread.is_alive()
