"""The job store, on each backend (SQLite, PostgreSQL): transitions are checked and recorded, claims
are exclusive, state survives reopening, scopes never mix. No chain needed."""

from __future__ import annotations

import threading
import uuid

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from zkrevox.errors import InputError
from zkrevox.node.jobs import LIVE, TERMINAL, TRANSITIONS, SeenRequest, State, allowed
from zkrevox.node.store import SqliteJobStore, StaleJobError, read_jobs


def seen(rid: int, deadline: int = 2_000_000_000, prompt: bytes = b"swap bnb") -> SeenRequest:
    return SeenRequest(request_id=rid, model_id=1, requester="0x" + "11" * 20, provider="0x" + "22" * 20,
                       prompt=prompt, deadline=deadline, fee_wei=2**95, block_number=7, block_hash="0x" + "ab" * 32,
                       request_tx="0x" + "cd" * 32, requested_at=1_700_000_000)


@pytest.fixture()
def store(make_store):
    return make_store()


def test_insert_isIdempotentAndRoundTripsEveryField(store):
    assert store.insert(seen(1)) is True
    assert store.insert(seen(1, prompt=b"other")) is False
    job = store.get(1)
    assert job.state == State.SEEN and job.prompt == b"swap bnb" and job.fee_wei == 2**95
    job = store.transition(1, State.PROVING, expect=State.SEEN)
    job = store.transition(1, State.PROVED, proof_path="/p/1", prove_seconds=1.5)
    job = store.transition(1, State.SUBMITTED, nonce=4, tx_hashes=["0xaa"], raw_tx="02f8", tx_fees={"gas": 7})
    assert (job.nonce, job.tx_hashes, job.tx_fees, job.proof_path) == (4, ["0xaa"], {"gas": 7}, "/p/1")
    assert [t.dst for t in store.history(1)] == [State.SEEN, State.PROVING, State.PROVED, State.SUBMITTED]


def test_transition_refusesMovesTheStateMachineForbidsAndStaleExpectations(store):
    store.insert(seen(1))
    with pytest.raises(StaleJobError):
        store.transition(1, State.SUBMITTED)  # seen -> submitted skips the proof
    with pytest.raises(StaleJobError):
        store.transition(1, State.PROVED, expect=State.PROVING)  # it is seen, not proving
    store.transition(1, State.CONFIRMED)
    for dst in State:
        with pytest.raises(StaleJobError):
            store.transition(1, dst)  # terminal: nothing leaves confirmed
    with pytest.raises(StaleJobError):
        store.transition(99, State.PROVING)
    with pytest.raises(TypeError):
        store.update(1, no_such_field=1)


def test_claim_takesDueJobsEarliestDeadlineFirst_andNeverTwice(store):
    for rid, deadline in [(1, 300), (2, 100), (3, 200)]:
        store.insert(seen(rid, deadline))
    store.update(3, next_attempt_at=1e12)  # backing off
    assert [j.request_id for j in store.claim(State.SEEN, State.PROVING, 5)] == [2, 1]
    assert store.claim(State.SEEN, State.PROVING, 5) == []
    assert store.counts()["proving"] == 2 and store.counts()["seen"] == 1


def test_claim_isExclusiveAcrossConnections(make_store):
    first = make_store("s")
    for rid in range(1, 41):
        first.insert(seen(rid))
    stores = [make_store("s") for _ in range(4)]
    taken: list[int] = []
    lock = threading.Lock()

    def worker(s) -> None:
        while jobs := s.claim(State.SEEN, State.PROVING, 3):
            with lock:
                taken.extend(j.request_id for j in jobs)

    threads = [threading.Thread(target=worker, args=(s,)) for s in stores]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
        assert not t.is_alive()
    assert sorted(taken) == list(range(1, 41))  # every job claimed exactly once


def test_reopen_keepsJobsCursorAndHistory_scopesStayApart(make_store, tmp_path):
    a = make_store("chain-a")
    a.insert(seen(1))
    a.transition(1, State.PROVING)
    a.set_cursor(42, [(41, "0x41"), (42, "0x42")])
    a.close()
    a = make_store("chain-a")
    assert a.get(1).state == State.PROVING
    assert a.cursor() == (42, [(41, "0x41"), (42, "0x42")])
    b = make_store("chain-b")
    assert b.get(1) is None and b.cursor() is None
    b.insert(seen(1, prompt=b"new chain"))
    assert a.get(1).prompt == b"swap bnb"
    assert a.fail_live("chain-reset", "gone") == 1 and a.get(1).reason == "chain-reset"
    assert b.get(1).state == State.SEEN
    if make_store.backend == "sqlite":
        a.close()
        b.close()
        assert [j["prompt"] for j in read_jobs(tmp_path / "jobs.db")] == ["new chain"]  # the newest scope


def test_store_refusesAFileThatIsNotADatabase(tmp_path):
    bad = tmp_path / "bad.db"
    bad.write_bytes(b"not sqlite at all" * 100)
    with pytest.raises(InputError, match="cannot be opened"):
        SqliteJobStore(bad, "s")


def test_stateMachine_terminalStatesHaveNoExits_everyLiveStateCanFinish():
    assert all(not TRANSITIONS[s] for s in TERMINAL)
    for s in LIVE:
        assert {State.CONFIRMED, State.FAILED, State.SKIPPED} <= TRANSITIONS[s]


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.sampled_from(list(State)), max_size=25))
def test_anySequenceOfMoves_historyRecordsExactlyTheAllowedOnes(make_store, moves):
    store = make_store(f"s-{uuid.uuid4().hex}")  # a fresh scope per example
    store.insert(seen(1))
    state, applied = State.SEEN, [State.SEEN]
    for dst in moves:
        if allowed(state, dst):
            store.transition(1, dst, expect=state)
            state = dst
            applied.append(dst)
        else:
            with pytest.raises(StaleJobError):
                store.transition(1, dst, expect=state)
    assert store.get(1).state == state
    assert [t.dst for t in store.history(1)] == applied
