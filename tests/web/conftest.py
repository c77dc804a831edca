"""Browser-test fixtures: one real stack per session, driven by Debian's Chromium through Playwright.

A real anvil; the ticker model deployed on DPrompt with its batch-4 verifier, the intent agent published beside
it, CommandAgent deployed; a real provider node
(``zkrevox node --model ticker --model intent --max-batch-wait 0``, dev account 1: a request alone is proven
at once; requests mined together share a batch proof) proving with the real circuits; ``zkrevox web``
serving the pages with its RPC behind a TCP proxy the tests can take down. The pages sign with anvil's dev
account 2 (unlocked in anvil; no key reaches the page). Screenshots go to ``$ZKREVOX_SCREENSHOTS`` (default
``build/screenshots/``).

The browser is Debian's ``chromium`` (``make setup`` installs it when missing) or ``$ZKREVOX_CHROMIUM``;
Playwright's own browser download is never used.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

sys.path.insert(0, str(Path(__file__).parent.parent / "node"))  # tcpproxy
sys.path.insert(0, str(Path(__file__).parent))  # webstack

from tcpproxy import TcpProxy
from webstack import BATCH, CHROMIUM_ARGS, Stack, chromium_path, http_ok, stop, wait_for, zkrevox_command

from zkrevox.chain.anvil import Anvil, free_port
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import current_verifier, deploy, deploy_contract, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.publish import publish
from zkrevox.chain.solc import project_contracts


@pytest.fixture(scope="session")
def stack(prover, intent_prover, tmp_path_factory) -> Iterator[Stack]:
    from zkrevox import Prover

    Prover.load_or_build("ticker", batch=BATCH)  # built once if missing
    work = tmp_path_factory.mktemp("web")
    owner, provider = (Account.from_key(k) for k in ANVIL_DEV_KEYS[:2])
    with Anvil() as chain, TcpProxy(int(chain.url.rsplit(":", 1)[1])) as proxy:
        w3 = Web3(Web3.HTTPProvider(chain.url))
        params = model_params("ticker")
        dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=work, batch_sizes=[BATCH])
        intent_params = model_params("intent")
        intent = publish(w3, owner, dep, intent_params, verifier_sol=current_verifier(intent_params), batch_sizes=[],
                         directory=work)
        agent = deploy_contract(w3, owner, project_contracts()["CommandAgent"], dep.dprompt.address, intent.model_id,
                                dep.models["ticker"].model_id).address
        env = {**os.environ, "ZKREVOX_DEPLOYMENTS": str(work)}
        node_log, web_log = work / "node.log", work / "web.log"
        with open(node_log, "ab") as log:
            node = subprocess.Popen(
                [*zkrevox_command(), "node", "--model", "ticker", "--model", "intent", "--rpc", chain.url,
                 "--db", str(work / "node.db"), "--stake", "1", "--poll-interval", "0.25", "--log-format", "json",
                 "--max-batch-wait", "0"],
                stdout=subprocess.DEVNULL, stderr=log, stdin=subprocess.DEVNULL,
                env={**env, "ZKREVOX_PRIVATE_KEY": ANVIL_DEV_KEYS[1]})
        port = free_port()
        with open(web_log, "ab") as log:
            web = subprocess.Popen(
                [*zkrevox_command(), "web", "--rpc", proxy.url, "--port", str(port), "--store", str(work / "node.db"),
                 "--command-agent", agent],
                stdout=log, stderr=log, stdin=subprocess.DEVNULL, env=env)
        try:
            url = f"http://127.0.0.1:{port}"
            wait_for("zkrevox web", lambda: http_ok(url + "/api/health"), web, web_log)
            wait_for("the node", lambda: '"event": "up"' in node_log.read_text(errors="replace"), node, node_log)
            from zkrevox.chain.deploy import load_deployment

            dep = load_deployment(31337, work, w3=w3)
            assert DPromptClient(w3, dep.dprompt.address).provider(
                dep.models["ticker"].model_id, provider.address).eligible
            yield Stack(w3, chain.url, proxy, dep, url, work, agent)
        finally:
            stop(web)
            stop(node)


@pytest.fixture(scope="session")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        try:
            yield b
        finally:
            b.close()


@pytest.fixture()
def page(browser, stack):
    """A fresh browser context per test (no injected wallet, so the local dev account signs)."""
    context = browser.new_context(viewport={"width": 1100, "height": 900})
    context.set_default_timeout(30_000)
    pg = context.new_page()
    pg.errors = []  # uncaught page errors: a test fails on any
    pg.on("pageerror", lambda exc: pg.errors.append(str(exc)))
    try:
        yield pg
    finally:
        stack.proxy.set_mode("up")
        context.close()
