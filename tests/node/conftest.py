"""Node test fixtures: one anvil and one real ticker deployment per session, chain state reverted
after each test (``evm_snapshot``/``evm_revert``), so tests are independent and the
deployment (the large ticker verifier) is paid once.

Everything is real: anvil, the contracts, the ticker circuit's ezkl proofs, the node and its
worker processes. Nothing is mocked.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import pytest
from eth_account import Account
from web3 import Web3

sys.path.insert(0, str(Path(__file__).parent))  # nodeenv, tcpproxy

from nodeenv import BATCH, STAKE, NodeEnv

from zkrevox import Prover
from zkrevox.chain.anvil import Anvil
from zkrevox.chain.deploy import ModelParams, current_verifier, deploy, model_params
from zkrevox.chain.keys import ANVIL_DEV_KEYS


@pytest.fixture(scope="session")
def node_anvil():
    with Anvil() as chain:
        yield chain


@pytest.fixture(scope="session")
def node_deployed(prover, node_anvil, tmp_path_factory) -> NodeEnv:
    """The ticker model deployed on the session's anvil (``prover`` makes sure its artifacts are built)."""
    return _deployed(node_anvil, tmp_path_factory.mktemp("node-deployments"), model_params("ticker"))


def _deployed(anvil: Anvil, directory: Path, params: ModelParams, **options) -> NodeEnv:
    w3 = Web3(Web3.HTTPProvider(anvil.url))
    owner, provider, provider2, user, other = (Account.from_key(k) for k in ANVIL_DEV_KEYS)
    dep = deploy(w3, owner, params, verifier_sol=current_verifier(params), directory=directory, **options)
    return NodeEnv(w3, anvil.url, dep, directory, dep.models["ticker"].model_id, owner, provider, provider2,
                   user, other)


@pytest.fixture(scope="session")
def node_batch_deployed(prover, node_anvil, tmp_path_factory) -> NodeEnv:
    """A second deployment on the session's anvil with the batch-4 verifier registered too (packed
    features), for the batching tests (built once if missing)."""
    Prover.load_or_build("ticker", batch=BATCH)
    return _deployed(node_anvil, tmp_path_factory.mktemp("node-batch-deployments"), model_params("ticker"),
                     batch_sizes=[BATCH])


@pytest.fixture()
def benv(node_batch_deployed: NodeEnv):
    """The batch deployment, reverted to its pristine state after the test."""
    yield from _reverted(node_batch_deployed)


@pytest.fixture()
def env(node_deployed: NodeEnv):
    """The deployed environment, reverted to its pristine state after the test."""
    yield from _reverted(node_deployed)


def _reverted(deployed: NodeEnv):
    w3 = deployed.w3
    snap = w3.provider.make_request("evm_snapshot", [])["result"]
    try:
        yield deployed
    finally:
        # a test that failed half-way can leave transactions in the pool: drop them before automining
        # is back on, or they are mined into the chain the revert is about to discard
        w3.provider.make_request("anvil_dropAllTransactions", [])
        w3.provider.make_request("evm_setAutomine", [True])
        assert w3.provider.make_request("evm_revert", [snap]).get("result") is True, "evm_revert refused"
        # evm_revert also winds anvil's clock back to the snapshot: without this the chain's time falls
        # behind the wall clock by every test's duration, until requests look expired on arrival
        w3.provider.make_request("anvil_setTime", [int(time.time())])
        head = w3.eth.block_number
        block = w3.eth.get_block(head)
        assert block["number"] == head, "anvil's head block is missing after evm_revert"
        # evm_revert keeps anvil's next base fee (a test that set it leaves it there), while clients price
        # from the head block: the next block is priced from the head again
        w3.provider.make_request("anvil_setNextBlockBaseFeePerGas", [hex(int(block["baseFeePerGas"]))])


@pytest.fixture(scope="session")
def node_bond_deployed(prover, node_anvil, tmp_path_factory) -> NodeEnv:
    """A deployment whose answer bond is the whole minimum stake: a provider staked at the minimum
    can hold one optimistic answer at a time (the bond rule), for the node's fallback to a proof."""
    from dataclasses import replace

    params = model_params("ticker")
    return _deployed(node_anvil, tmp_path_factory.mktemp("node-bond-deployments"),
                     replace(params, answer_bond_wei=params.min_stake_wei))


@pytest.fixture()
def bond_env(node_bond_deployed: NodeEnv):
    """The one-bond deployment, reverted to its pristine state after the test."""
    yield from _reverted(node_bond_deployed)


@pytest.fixture()
def staked(env: NodeEnv) -> NodeEnv:
    """``env`` with ``env.provider`` staked by hand (no node): the only provider, so every request is its."""
    env.client(env.provider).stake(env.model_id, STAKE)
    return env


# ------------------------------------------------------------ PostgreSQL (issue 21)


@pytest.fixture(scope="session")
def pg_cluster():
    """A throwaway PostgreSQL 15 cluster (``initdb`` + ``pg_ctl`` in a temp folder, as the ``postgres``
    user when root), started once per session and removed at its end."""
    import shutil
    import tempfile

    from zkrevox.node.pgcluster import Cluster, free_port

    root = Path(tempfile.mkdtemp(prefix="zkrevox-pg-"))
    cluster = Cluster(root, free_port())
    cluster.init()
    cluster.start()
    try:
        yield cluster
    finally:
        cluster.stop("immediate")
        shutil.rmtree(root, ignore_errors=True)


@pytest.fixture()
def pg_url(pg_cluster, request) -> str:
    """The URL of a new, empty database on the session's cluster (dropped after the test)."""
    import re
    import uuid

    import psycopg

    name = "t_" + re.sub(r"\W", "", request.node.name.lower())[:40] + "_" + uuid.uuid4().hex[:6]
    admin = f"postgresql://postgres@127.0.0.1:{pg_cluster.port}/postgres"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    yield f"postgresql://postgres@127.0.0.1:{pg_cluster.port}/{name}"
    with psycopg.connect(admin, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(params=["sqlite", "postgresql"])
def make_store(request, tmp_path):
    """``make_store(scope)``: a job store of each backend (one SQLite file, or one PostgreSQL database
    per test); every store it opened is closed after the test."""
    from zkrevox.node.store import SqliteJobStore
    from zkrevox.node.store_pg import PostgresJobStore

    url = request.getfixturevalue("pg_url") if request.param == "postgresql" else None
    opened = []

    def opener(scope: str = "31337:0xgen:0xdprompt:0xme"):
        s = PostgresJobStore(url, scope) if url else SqliteJobStore(tmp_path / "jobs.db", scope)
        opened.append(s)
        return s

    opener.backend = request.param
    yield opener
    for s in opened:
        s.close()
