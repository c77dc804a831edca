"""A local anvil chain from the pinned npm package, for tests, ``zkrevox chain up`` and the demo."""

from __future__ import annotations

import json
import socket
import subprocess
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path
from types import TracebackType

from zkrevox.chain.paths import foundry_tool
from zkrevox.errors import ChainError

LOCAL_CHAIN_ID = 31337
_START_TIMEOUT_S = 15.0


def free_port(host: str = "127.0.0.1") -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_free(port: int, host: str = "127.0.0.1") -> bool:
    """True when nothing listens on ``host:port`` (so anvil can take it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        # as a listening server binds: a closed connection lingering in TIME_WAIT does not hold the port
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind((host, port))
        except OSError:
            return False
        return True


class Anvil:
    """An anvil process on ``host`` at a free port; a context manager that stops it on exit.

    >>> with Anvil(chain_id=97) as chain:
    ...     chain.url
    """

    def __init__(
        self,
        *,
        chain_id: int = LOCAL_CHAIN_ID,
        host: str = "127.0.0.1",
        port: int | None = None,
        block_time: float | None = None,
        extra_args: tuple[str, ...] = (),
    ) -> None:
        self.chain_id = chain_id
        self.host = host
        self.port = port
        self.block_time = block_time
        self.extra_args = extra_args
        self._proc: subprocess.Popen[bytes] | None = None
        self._log_dir: tempfile.TemporaryDirectory[str] | None = None

    @property
    def url(self) -> str:
        if self.port is None:
            raise ChainError("anvil is not started")
        return f"http://{self.host}:{self.port}"

    @property
    def pid(self) -> int | None:
        return self._proc.pid if self._proc else None

    def start(self) -> Anvil:
        if self._proc is not None:
            return self
        binary = foundry_tool("anvil")
        self._log_dir = tempfile.TemporaryDirectory(prefix="zkrevox-anvil-")
        log_path = Path(self._log_dir.name) / "anvil.log"
        fixed_port = self.port
        for _attempt in range(5):
            self.port = fixed_port or free_port(self.host)
            cmd = [str(binary), "--host", self.host, "--port", str(self.port), "--chain-id", str(self.chain_id)]
            if self.block_time is not None:
                cmd += ["--block-time", str(self.block_time)]
            cmd += list(self.extra_args)
            with open(log_path, "ab") as log:
                self._proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL)
            if self._wait_ready(log_path):
                return self
            if fixed_port is not None:
                break
        tail = log_path.read_text(errors="replace")[-2000:] if log_path.exists() else ""
        self.stop()
        raise ChainError(f"anvil did not start on {self.host}:{self.port}:\n{tail}")

    def stop(self) -> None:
        proc, self._proc = self._proc, None
        if proc is not None and proc.poll() is None:
            proc.terminate()
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=5)
        if self._log_dir is not None:
            self._log_dir.cleanup()
            self._log_dir = None

    def wait(self) -> int:
        """Block until anvil exits (``zkrevox chain up`` runs in the foreground)."""
        if self._proc is None:
            return 0
        return self._proc.wait()

    def __enter__(self) -> Anvil:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def _wait_ready(self, log_path: Path) -> bool:
        assert self._proc is not None
        deadline = time.monotonic() + _START_TIMEOUT_S
        body = json.dumps({"jsonrpc": "2.0", "id": 1, "method": "eth_chainId", "params": []}).encode()
        while time.monotonic() < deadline:
            if self._proc.poll() is not None:
                return False
            try:
                req = urllib.request.Request(self.url, body, {"Content-Type": "application/json"})
                with urllib.request.urlopen(req, timeout=1) as resp:
                    if int(json.loads(resp.read())["result"], 16) == self.chain_id:
                        return True
            except (urllib.error.URLError, ConnectionError, OSError, ValueError, KeyError):
                pass
            time.sleep(0.05)
        self._proc.kill()
        self._proc.wait()
        return False
