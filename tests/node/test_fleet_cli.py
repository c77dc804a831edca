"""The fleet's command lines: ``zkrevox db up``/``down`` start and stop a real cluster; ``zkrevox node``
and ``zkrevox prover`` refuse a missing or wrong store with exit 1 and a message naming the fix."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import psycopg

from zkrevox.node.pgcluster import free_port


def zk(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-c", "from zkrevox.cli import main; main()", *args], capture_output=True,
                          text=True, timeout=120, env={**os.environ, "ZKREVOX_RPC_URL": "http://127.0.0.1:9"})


def test_dbUp_startsAClusterTheStoreUrlReaches_dbDownStopsIt():
    root = Path(tempfile.mkdtemp(prefix="zkrevox-dbup-"))
    port = free_port()
    up = zk("db", "up", "--path", str(root / "pg"), "--port", str(port), "--json")
    try:
        assert up.returncode == 0, up.stderr
        url = json.loads(up.stdout)["url"]
        assert url == f"postgresql://postgres@127.0.0.1:{port}/zkrevox"
        with psycopg.connect(url) as c:
            assert c.execute("SELECT 1").fetchone() == (1,)
    finally:
        down = zk("db", "down", "--path", str(root / "pg"))
    assert down.returncode == 0
    shutil.rmtree(root, ignore_errors=True)
    bad = zk("prover", "--store", url)
    assert bad.returncode == 1 and "cannot be reached" in bad.stderr and "zkrevox db up" in bad.stderr


def test_node_refusesNoStore_workersZeroWithoutPostgres_andAStoreThatIsNotAUrl(tmp_path):
    none = zk("node")
    assert none.returncode == 1 and "--db PATH" in none.stderr and "--store postgresql://" in none.stderr
    zero = zk("node", "--db", str(tmp_path / "j.db"), "--workers", "0")
    assert zero.returncode == 1 and "needs --store postgresql://" in zero.stderr
    wrong = zk("node", "--store", str(tmp_path / "j.db"))
    assert wrong.returncode == 1 and "must be a postgresql:// URL" in wrong.stderr
    prover = zk("prover", "--store", "postgresql://postgres@127.0.0.1:notaport/x")
    assert prover.returncode == 1 and "not a PostgreSQL URL" in prover.stderr
