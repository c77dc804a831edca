"""The job store's batch and nonce-gap records (each backend): a batch moves as one (all members or none), claims
of chosen requests, fillers recorded and settled, and a schema-1 store migrated in place. No chain."""

from __future__ import annotations

import sqlite3

import pytest
from test_store import seen

from zkrevox.node.jobs import Filler, State
from zkrevox.node.store import SCHEMA_VERSION, SqliteJobStore, StaleJobError

SCOPE = "31337:0xgen:0xdprompt:0xme"


@pytest.fixture()
def store(make_store):
    return make_store(SCOPE)


def _proving(store, ids):
    for rid in ids:
        store.insert(seen(rid))
    assert [j.request_id for j in store.claim_ids(ids, State.SEEN, State.PROVING)] == ids


def test_transitionMany_movesEveryMemberOrNone(store):
    _proving(store, [1, 2, 3, 4])
    jobs = store.transition_many([1, 2, 3, 4], State.PROVED, expect=State.PROVING, proof_path="/b", batch=[1, 2, 3, 4],
                                 each={2: {"attempts": 3}})
    assert {j.state for j in jobs} == {State.PROVED} and all(j.batch == [1, 2, 3, 4] for j in jobs)
    assert [j.attempts for j in jobs] == [0, 3, 0, 0] and jobs[0].unit == (1, 2, 3, 4)
    store.transition(3, State.SEEN, expect=State.PROVED)  # a member left (e.g. a reorg)
    with pytest.raises(StaleJobError, match="request 3"):
        store.transition_many([1, 2, 3, 4], State.SUBMITTED, expect=State.PROVED, nonce=9)
    assert [store.get(r).state for r in (1, 2, 4)] == [State.PROVED] * 3  # none moved
    assert store.get(1).nonce is None


def test_claimIds_takesOnlyThoseStillInTheSourceState(store):
    for rid in (1, 2, 3):
        store.insert(seen(rid))
    store.transition(2, State.SKIPPED, reason="deadline")
    assert [j.request_id for j in store.claim_ids([1, 2, 3], State.SEEN, State.PROVING)] == [1, 3]
    assert store.claim_ids([1, 3], State.SEEN, State.PROVING) == []


def test_fillers_recordedReplacedAndSettled(store):
    store.record_filler(Filler(7, ["0xa"], "02aa", {"gas": 21000, "maxFeePerGas": 5}, 1.0))
    store.record_filler(Filler(7, ["0xa", "0xb"], "02bb", {"gas": 21000, "maxFeePerGas": 6, "bumps": 1}, 2.0))
    (f,) = store.fillers()
    assert (f.nonce, f.tx_hashes, f.raw_tx, f.fees["maxFeePerGas"], f.outcome) == (7, ["0xa", "0xb"], "02bb", 6, None)
    store.settle_filler(7, "mined")
    assert store.fillers() == [] and store.fillers(live=False)[0].outcome == "mined"


def test_schemaOneStore_isMigratedInPlace(tmp_path):
    path = tmp_path / "old.db"
    old = SqliteJobStore(path, SCOPE)
    old.insert(seen(5))
    old.close()
    db = sqlite3.connect(path)  # make it look like a store written by the previous version
    db.execute("DROP TABLE fillers")
    db.execute("ALTER TABLE jobs DROP COLUMN batch")
    db.execute("ALTER TABLE jobs DROP COLUMN timeouts")
    db.execute("UPDATE meta SET value = '1' WHERE key = 'schema'")
    db.commit()
    db.close()
    store = SqliteJobStore(path, SCOPE)
    job = store.get(5)
    assert job.state == State.SEEN and job.batch is None and job.timeouts == 0 and store.fillers() == []
    store.close()
    schema = sqlite3.connect(path).execute("SELECT value FROM meta WHERE key = 'schema'").fetchone()
    assert schema == (str(SCHEMA_VERSION),)
