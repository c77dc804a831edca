"""A throwaway PostgreSQL cluster on this machine: ``initdb`` + ``pg_ctl`` in a folder (``zkrevox db
up``, and the tests' session fixture). Debian's PostgreSQL 15 binaries (``/usr/lib/postgresql/15/bin``,
package ``postgresql-15``); ``initdb`` refuses to run as root, so as root the cluster is made and run
as the ``postgres`` system user the package creates.

The cluster listens on ``host`` (127.0.0.1 by default; ``0.0.0.0`` for provers on other machines,
with ``trust`` only from ``trust_cidr``: a test or a private network, never the internet) and on a
Unix socket in its folder.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

from zkrevox.errors import InputError

PG_BIN_DIRS = ("/usr/lib/postgresql/15/bin", "/usr/lib/postgresql/16/bin", "/usr/lib/postgresql/17/bin")
INSTALL_HINT = "install PostgreSQL 15: `apt-get install -y postgresql-15` (make setup does it)"


def pg_bin(name: str) -> str:
    """The path of a PostgreSQL server binary (``initdb``, ``pg_ctl``); raises ``InputError`` if missing."""
    for d in PG_BIN_DIRS:
        p = Path(d) / name
        if p.is_file():
            return str(p)
    found = shutil.which(name)
    if found:
        return found
    raise InputError(f"PostgreSQL's {name} not found in {', '.join(PG_BIN_DIRS)} or on PATH; {INSTALL_HINT}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Cluster:
    """One cluster: its folder, port and superuser; ``url`` is what ``--store`` takes."""

    root: Path
    port: int
    host: str = "127.0.0.1"
    user: str = "postgres"
    dbname: str = "zkrevox"

    @property
    def data(self) -> Path:
        return self.root / "data"

    @property
    def url(self) -> str:
        host = "127.0.0.1" if self.host in ("0.0.0.0", "*") else self.host
        return f"postgresql://{self.user}@{host}:{self.port}/{self.dbname}"

    def _run(self, args: list[str], *, check: bool = True, timeout: float = 60) -> subprocess.CompletedProcess:
        if os.geteuid() == 0:  # initdb/postgres refuse root: run them as the package's system user
            args = ["runuser", "-u", "postgres", "--", *args]
        return subprocess.run(args, capture_output=True, text=True, check=check, timeout=timeout)

    def init(self, *, trust_cidr: str = "127.0.0.1/32") -> None:
        """``initdb`` (trust authentication: local tests and private networks only)."""
        self.root.mkdir(parents=True, exist_ok=True)
        if os.geteuid() == 0:
            try:
                pw = pwd.getpwnam("postgres")
            except KeyError:
                raise InputError(f"no 'postgres' system user to run the cluster as; {INSTALL_HINT}") from None
            os.chown(self.root, pw.pw_uid, pw.pw_gid)
            for parent in self.root.parents:  # the postgres user must reach the folder
                if parent == Path("/"):
                    break
                mode = parent.stat().st_mode
                if not mode & 0o001:
                    os.chmod(parent, mode | 0o001)
        if (self.data / "PG_VERSION").is_file():
            return
        out = self._run([pg_bin("initdb"), "-D", str(self.data), "-U", self.user, "-A", "trust", "-E", "UTF8",
                         "--no-sync"], check=False, timeout=120)
        if out.returncode != 0:
            raise InputError(f"initdb in {self.data} failed: {out.stderr.strip()[-400:]}")
        with (self.data / "pg_hba.conf").open("a") as f:
            f.write(f"host all all {trust_cidr} trust\n")

    def start(self, *, timeout: float = 30.0) -> Cluster:
        """Start the server and create the database; returns self once it accepts connections."""
        opts = f"-p {self.port} -k {self.root} -c listen_addresses='{self.host}' -c max_connections=200 -c fsync=on"
        out = self._run([pg_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.root / "server.log"), "-o", opts,
                         "-w", "-t", str(int(timeout)), "start"], check=False, timeout=timeout + 10)
        if out.returncode != 0:
            log = (self.root / "server.log").read_text(errors="replace")[-600:] if (
                self.root / "server.log").exists() else ""
            raise InputError(f"PostgreSQL in {self.data} did not start on port {self.port}: "
                             f"{out.stderr.strip()[-300:]} {log}; is the port taken? pass another --port")
        self._createdb()
        return self

    def _createdb(self) -> None:
        import psycopg

        deadline = time.monotonic() + 10
        while True:
            try:
                with psycopg.connect(f"postgresql://{self.user}@127.0.0.1:{self.port}/postgres",
                                     autocommit=True, connect_timeout=3) as conn:
                    have = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (self.dbname,)).fetchone()
                    if not have:
                        conn.execute(f'CREATE DATABASE "{self.dbname}"')
                return
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)

    def stop(self, mode: str = "fast", timeout: float = 30.0) -> None:
        """Stop the server (``fast``: disconnect clients, checkpoint; ``immediate``: no checkpoint). By a
        signal to the postmaster named in ``postmaster.pid`` (what ``pg_ctl stop`` does), so it works
        whoever may read the folder."""
        pid_file = self.data / "postmaster.pid"
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return  # not running
        try:
            os.kill(pid, signal.SIGQUIT if mode == "immediate" else signal.SIGINT)
        except ProcessLookupError:
            return
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            try:
                os.kill(pid, 0)
            except ProcessLookupError:
                return
            time.sleep(0.05)
        raise InputError(f"PostgreSQL (pid {pid}) in {self.data} did not stop within {timeout:.0f}s")

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        self.stop("immediate")
        shutil.rmtree(self.root, ignore_errors=True)


def up(root: Path, port: int = 5432, host: str = "127.0.0.1", trust_cidr: str = "127.0.0.1/32") -> Cluster:
    """Make (if new) and start a cluster in ``root``; ``zkrevox db up``."""
    cluster = Cluster(Path(root).resolve(), port, host)
    cluster.init(trust_cidr=trust_cidr)
    return cluster.start()
