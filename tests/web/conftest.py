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
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

sys.path.insert(0, str(Path(__file__).parent.parent / "node"))  # tcpproxy

from tcpproxy import TcpProxy

from zkrevox.chain.anvil import Anvil, free_port
from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import Deployment, current_verifier, deploy, deploy_contract, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS
from zkrevox.chain.publish import publish
from zkrevox.chain.solc import project_contracts
from zkrevox.model_files import REPO_ROOT

CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
UP_TIMEOUT_S = 180
BATCH = 4  # the ticker's batch verifier: requests mined together are answered with one batch proof
SCREENSHOTS = Path(os.environ.get("ZKREVOX_SCREENSHOTS", REPO_ROOT / "build" / "screenshots"))


def chromium_path() -> str:
    """``$ZKREVOX_CHROMIUM``, else Debian's chromium on PATH."""
    path = os.environ.get("ZKREVOX_CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    if not path:
        pytest.fail("no Chromium: `make setup` installs Debian's chromium (apt-get install chromium), or set "
                    "$ZKREVOX_CHROMIUM to a Chromium binary")
    return path


def zkrevox_command() -> list[str]:
    script = Path(sys.executable).with_name("zkrevox")
    return [str(script)] if script.is_file() else [sys.executable, "-c", "from zkrevox.cli import main; main()"]


@dataclass
class Stack:
    w3: Web3
    anvil_url: str
    proxy: TcpProxy
    dep: Deployment
    url: str  # the web server's base URL
    work: Path
    command_agent: str

    def client(self) -> DPromptClient:
        return DPromptClient(self.w3, self.dep.dprompt.address)

    def next_request_id(self) -> int:
        return int(self.client().contract.functions.nextRequestId().call())

    def request_together(self, *prompts: str) -> list[int]:
        """The user's requests of ``prompts`` mined in one block (automining paused meanwhile)."""
        user = Account.from_key(ANVIL_DEV_KEYS[2])
        client = DPromptClient(self.w3, self.dep.dprompt.address, user)
        model_id = self.dep.models["ticker"].model_id
        fee = client.model(model_id).fee
        self.w3.provider.make_request("evm_setAutomine", [False])  # type: ignore[arg-type]
        try:
            hashes = [client.contract.functions.request(model_id, p.encode()).transact(
                {"from": user.address, "value": fee}) for p in prompts]
            self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]
        finally:
            self.w3.provider.make_request("evm_setAutomine", [True])  # type: ignore[arg-type]
        event = client.contract.events.DPromptRequested()
        return [int(event.process_receipt(self.w3.eth.get_transaction_receipt(h))[0].args.requestId) for h in hashes]

    def advance(self, seconds: int) -> None:
        self.w3.provider.make_request("evm_increaseTime", [seconds])  # type: ignore[arg-type]
        self.w3.provider.make_request("evm_mine", [])  # type: ignore[arg-type]


def _wait(what: str, ready, proc: subprocess.Popen, log: Path, timeout: float = UP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up in {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


def _stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def _http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as res:
            return res.status == 200
    except OSError:
        return False


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
            _wait("zkrevox web", lambda: _http_ok(url + "/api/health"), web, web_log)
            _wait("the node", lambda: '"event": "up"' in node_log.read_text(errors="replace"), node, node_log)
            from zkrevox.chain.deploy import load_deployment

            dep = load_deployment(31337, work, w3=w3)
            assert DPromptClient(w3, dep.dprompt.address).provider(
                dep.models["ticker"].model_id, provider.address).eligible
            yield Stack(w3, chain.url, proxy, dep, url, work, agent)
        finally:
            _stop(web)
            _stop(node)


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


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


