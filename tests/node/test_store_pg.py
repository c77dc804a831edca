"""The PostgreSQL job store's own cases (the shared contract is in test_store*.py, run on both
backends): migrations one per file and applied once, a newer schema refused, bad URLs named with
their fix, and a server restart survived. A real PostgreSQL 15 cluster (``pg_cluster``)."""

from __future__ import annotations

import psycopg
import pytest
from test_store import seen

from zkrevox.errors import InputError
from zkrevox.node.jobs import State
from zkrevox.node.pgcluster import free_port
from zkrevox.node.store_pg import SCHEMA_VERSION, PostgresJobStore, StoreUnavailable, migrations, open_store


def test_migrations_oneFileEach_appliedOnceInOrder(pg_url):
    files = migrations()
    assert [v for v, _n, _s in files] == list(range(1, len(files) + 1)) and len(files) == SCHEMA_VERSION
    for _ in range(2):  # a second open applies nothing
        PostgresJobStore(pg_url, "s").close()
    with psycopg.connect(pg_url) as conn:
        rows = conn.execute("SELECT version, name FROM schema_migrations ORDER BY version").fetchall()
    assert rows == [(v, n) for v, n, _s in files]


def test_aDatabaseOfANewerSchema_isRefusedNamingTheFix(pg_url):
    PostgresJobStore(pg_url, "s").close()
    with psycopg.connect(pg_url, autocommit=True) as conn:
        conn.execute("INSERT INTO schema_migrations (version, name) VALUES (99, '0099_future')")
    with pytest.raises(InputError, match=r"schema version 99.*upgrade zkrevox"):
        PostgresJobStore(pg_url, "s")


def test_badUrls_areInputErrorsNamingTheFix(pg_cluster):
    with pytest.raises(InputError, match=r"cannot be reached.*zkrevox db up"):
        PostgresJobStore(f"postgresql://postgres@127.0.0.1:{free_port()}/zkrevox", "s")
    with pytest.raises(InputError, match=r"does not exist.*createdb"):
        PostgresJobStore(f"postgresql://postgres@127.0.0.1:{pg_cluster.port}/no_such_db", "s")
    with pytest.raises(InputError, match="not a PostgreSQL URL"):
        PostgresJobStore("postgresql://postgres@127.0.0.1:notaport/x", "s")


def test_openStore_picksTheBackendByTheSpec(pg_url, tmp_path):
    pg, lite = open_store(pg_url, "s"), open_store(tmp_path / "j.db", "s")
    assert type(pg).__name__ == "PostgresJobStore" and type(lite).__name__ == "SqliteJobStore"
    pg.close()
    lite.close()


def test_serverRestart_isATransientFault_thenTheStoreWorksAgain(pg_cluster, pg_url):
    store = PostgresJobStore(pg_url, "s")
    store.insert(seen(1))
    pg_cluster.restart()
    with pytest.raises(StoreUnavailable):  # the old session is gone: one call fails, retried by the caller
        store.get(1)
    assert store.get(1).state == State.SEEN  # reconnected; nothing lost
    store.transition(1, State.PROVING, expect=State.SEEN)
    assert [t.dst for t in store.history(1)] == [State.SEEN, State.PROVING]
    store.close()
