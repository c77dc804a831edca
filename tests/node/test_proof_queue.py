"""Proof jobs in PostgreSQL, without proving: claims are exclusive (SKIP LOCKED), an expired lease is
swept back to the queue and its late result dropped, a poison job fails after bounded tries, and
one node holds the active lock. A real PostgreSQL cluster."""

from __future__ import annotations

import threading
import time

import psycopg
import pytest

from zkrevox.node.leader import Leader
from zkrevox.node.queue import ProofQueue
from zkrevox.node.store_pg import PgConnection


@pytest.fixture()
def queue(pg_url):
    db = PgConnection(pg_url)
    yield ProofQueue(db)
    db.close()


def _files(tmp_path, text="proof"):
    d = tmp_path / "out"
    d.mkdir(exist_ok=True)
    (d / "proof.json").write_text(text)
    return d


def test_claims_areExclusiveAcrossConnections_earliestDeadlineFirst(pg_url, queue):
    for i in range(60):
        queue.enqueue("s", "ticker", [i], [b"p"], deadline=1000 - i, vk_sha256=None)
    taken: list[int] = []
    lock = threading.Lock()

    def worker() -> None:
        db = PgConnection(pg_url)
        q = ProofQueue(db)
        while (job := q.claim(["ticker"], threading.current_thread().name)) is not None:
            with lock:
                taken.append(job.request_ids[0])
        db.close()

    threads = [threading.Thread(target=worker, name=f"p{i}") for i in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
        assert not t.is_alive()
    assert sorted(taken) == list(range(60))  # each exactly once
    assert queue.claim(["ticker"], "late") is None
    assert queue.claim(["intent"], "other") is None  # another model's prover takes none


def test_expiredLease_isRequeued_theLateResultDropped_theNewOneCollectedOnce(queue, tmp_path):
    jid = queue.enqueue("s", "ticker", [7], [b"swap"], deadline=1, vk_sha256="ab", lease_s=300)
    first = queue.claim(["ticker"], "a", lease_s=3)  # the prover's lease, not the node's default
    assert (first.id, first.lease, first.vk_sha256) == (jid, 1, "ab")
    assert queue.renew([(jid, first.lease)]) == []  # held
    assert queue.sweep() == (0, 0)
    with psycopg.connect(queue.db.url) as c:
        (left,) = c.execute("SELECT EXTRACT(EPOCH FROM lease_until - now()) FROM proof_jobs WHERE id = %s",
                            (jid,)).fetchone()
    assert 0 < left <= 3
    with psycopg.connect(queue.db.url, autocommit=True) as c:  # the lease runs out (a stalled prover)
        c.execute("UPDATE proof_jobs SET lease_until = now() - interval '1 second' WHERE id = %s", (jid,))
    assert queue.sweep() == (1, 0)
    second = queue.claim(["ticker"], "b")
    assert (second.id, second.lease, second.tries) == (jid, 2, 2)
    assert queue.renew([(jid, first.lease)]) == [jid]  # the stalled one learns it lost the lease
    assert queue.complete(jid, first.lease, _files(tmp_path, "late"), 1.0) is False  # dropped
    assert queue.complete(jid, second.lease, _files(tmp_path, "good"), 2.0) is True
    (done,) = queue.finished([jid])
    assert done.state == "done" and done.files == {"proof.json": "good"} and done.prove_seconds == 2.0
    assert queue.finished([jid]) == []  # collected once


def test_poisonJob_failsAfterItsTries_withoutBlockingOthers(queue):
    bad = queue.enqueue("s", "ticker", [1], [b"bad"], deadline=1, vk_sha256=None, max_tries=3)
    good = queue.enqueue("s", "ticker", [2], [b"good"], deadline=2, vk_sha256=None)
    states = []
    for _ in range(3):
        job = queue.claim(["ticker"], "a")
        assert job.id == bad  # earliest deadline
        states.append(queue.give_back(job.id, job.lease, "ProofError: boom", "proof"))
    assert states == ["queued", "queued", "failed"]
    assert queue.claim(["ticker"], "a").id == good
    (failed,) = queue.finished([bad])
    assert failed.state == "failed" and failed.error_kind == "proof"
    one = queue.enqueue("s", "ticker", [3], [b"x"], deadline=3, vk_sha256=None)
    job = queue.claim(["ticker"], "a")
    assert queue.give_back(job.id, job.lease, "InputError: not a prompt", "input", final=True) == "failed"
    assert queue.finished([one])[0].error_kind == "input"


def test_giveBackUntried_andCancel_andDepth(queue):
    jid = queue.enqueue("s", "ticker", [1], [b"x"], deadline=1, vk_sha256="cd")
    job = queue.claim(["ticker"], "a")
    assert queue.give_back(job.id, job.lease, "no build", "artifacts", untried=True) == "queued"
    assert queue.claim(["ticker"], "b").tries == 1  # the prover's fault did not spend a try
    assert queue.depth("s") == {"queued": 0, "claimed": 1, "oldest_queued_s": 0.0}
    assert queue.cancel(scope="s") == 1
    assert queue.finished([jid]) == []
    queue.hello("p1", ["ticker"], 2)
    queue.hello("p2", ["ticker", "intent"], 3)
    assert queue.live_slots("ticker") == 5 and queue.live_slots("intent") == 3
    queue.goodbye("p2")
    assert queue.live_slots("ticker") == 2
    assert abs(queue.clock_skew()) < 1.0


def test_leader_oneActive_theStandbyTakesOverWhenItsSessionEnds(pg_url):
    stop = threading.Event()
    a, b = Leader(pg_url, "31337:0xg:0xd:0xp", poll=0.1), Leader(pg_url, "31337:0xg:0xd:0xp", poll=0.1)
    assert a.acquire(stop) and a.held()
    got: list[float] = []
    t = threading.Thread(target=lambda: got.append(b.acquire(stop) and time.monotonic()))
    t.start()
    time.sleep(0.5)
    assert not got  # standby while a holds it
    lost_at = time.monotonic()
    a.release()  # as a SIGKILL would: the session ends, the server drops the lock
    t.join(timeout=10)
    assert got and got[0] - lost_at < 1.0 and b.held() and not a.held()
    other = Leader(pg_url, "another scope")
    assert other.acquire(stop)  # another provider's lock is its own
    for leader in (b, other):
        leader.release()
