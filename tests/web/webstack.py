"""What the browser tests share besides fixtures (a module of its own: ``conftest`` is a name every test
folder uses): the Chromium binary and its flags, the session's stack, screenshots."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from eth_account import Account
from web3 import Web3

from zkrevox.chain.client import DPromptClient
from zkrevox.chain.deploy import Deployment
from zkrevox.chain.keys import ANVIL_DEV_KEYS
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
    proxy: Any  # tests/node/tcpproxy.py TcpProxy: the pages' RPC, which a test can take down
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


def wait_for(what: str, ready, proc: subprocess.Popen, log: Path, timeout: float = UP_TIMEOUT_S) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{what} exited ({proc.returncode}):\n{log.read_text(errors='replace')[-3000:]}")
        if ready():
            return
        time.sleep(0.2)
    raise RuntimeError(f"{what} did not come up in {timeout}s:\n{log.read_text(errors='replace')[-3000:]}")


def stop(proc: subprocess.Popen) -> None:
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def http_ok(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as res:
            return res.status == 200
    except OSError:
        return False


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


