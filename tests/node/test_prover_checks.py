"""``zkrevox prover``'s checks and the keys it proves with: a job whose vk this machine lacks is given
back untouched and the prover stops naming the mismatch; a new machine fetches the deployment's
build from the store (hash-checked) and proves with it; a poison job ends failed after bounded
tries while the others are answered; a clock that is off is refused. Real PostgreSQL, real proofs."""

from __future__ import annotations

import contextlib
import os
import subprocess
import sys

import psycopg
import pytest
from nodeenv import NodeEnv, config, fulfilled_events, in_thread, node_thread, wait_for

from zkrevox.errors import ArtifactError, InputError
from zkrevox.node.artifact_store import fetch, publish
from zkrevox.node.prover_service import ProverConfig, RemoteProver
from zkrevox.node.queue import ProofQueue
from zkrevox.node.store_pg import PgConnection, PostgresJobStore

pytestmark = [pytest.mark.slow]


@pytest.fixture()
def db(pg_url):
    conn = PgConnection(pg_url)
    yield conn
    conn.close()


def test_aJobForAnotherVk_isGivenBack_andTheProverStopsNamingTheMismatch(prover, pg_url, db, tmp_path):
    queue = ProofQueue(db)
    jid = queue.enqueue("s", "ticker", [1], [b"price of eth"], deadline=1, vk_sha256="ab" * 32)
    service = RemoteProver(ProverConfig(store=pg_url, proofs_dir=tmp_path / "p", lease_seconds=3))
    with pytest.raises(ArtifactError, match=r"verifying key abababababab.*zkrevox build ticker"):
        service.run()
    with psycopg.connect(pg_url) as c:
        assert c.execute("SELECT state, tries, error_kind FROM proof_jobs WHERE id = %s", (jid,)).fetchone() == (
            "queued", 0, "artifacts")  # untouched: another prover with the right build takes it


def test_aClockOffTheDatabases_isRefused(pg_url, tmp_path):
    service = RemoteProver(ProverConfig(store=pg_url, proofs_dir=tmp_path / "p", max_skew=1e-9))
    with pytest.raises(InputError, match=r"clock is .* off the database server's.*sync it"):
        service.run()


def test_aTamperedBlob_isRefusedOnFetch(prover, db, tmp_path, monkeypatch):
    vk = prover.manifest["files"]["vk"]["sha256"]
    assert publish(db, "ticker", 1, vk) is True and publish(db, "ticker", 1, vk) is False
    db.run(lambda c: c.execute("UPDATE artifact_blobs SET data = 'x'::bytea WHERE sha256 = ("
                               "SELECT files::json->>'settings.json' FROM artifact_builds LIMIT 1)"))
    monkeypatch.setenv("ZKREVOX_ARTIFACTS", str(tmp_path / "empty"))
    with pytest.raises(ArtifactError, match="does not match its sha256"):
        fetch(db, "ticker", 1, vk)
    assert not (tmp_path / "empty" / "ticker" / "by-vk" / vk).exists()


def test_aNewMachine_fetchesTheDeploymentsBuild_andProvesWithIt(prover, pg_url, db, tmp_path):
    vk = prover.manifest["files"]["vk"]["sha256"]
    publish(db, "ticker", 1, vk)  # what a node with remote provers does at start
    jid = ProofQueue(db).enqueue("s", "ticker", [5], [b"swap 2 bnb for cake"], deadline=1, vk_sha256=vk)
    empty = tmp_path / "no-artifacts"
    cmd = [sys.executable, "-c", "from zkrevox.cli import main; main()", "prover", "--store", pg_url,
           "--proofs-dir", str(tmp_path / "proofs"), "--lease", "5"]
    with open(tmp_path / "prover.log", "wb") as log:
        proc = subprocess.Popen(cmd, stderr=log, stdout=subprocess.DEVNULL,
                                env={**os.environ, "ZKREVOX_ARTIFACTS": str(empty)})
    try:
        def state() -> str:
            with psycopg.connect(pg_url) as c:
                return c.execute("SELECT state FROM proof_jobs WHERE id = %s", (jid,)).fetchone()[0]

        wait_for(lambda: state() in ("done", "failed"), 240, "the proof job finished", interval=0.5)
    finally:
        proc.terminate()
        proc.wait(timeout=30)
    assert state() == "done", (tmp_path / "prover.log").read_text()[-2000:]
    assert (empty / "ticker" / "by-vk" / vk / "pk.key").is_file()
    (done,) = ProofQueue(db).finished([jid])
    assert '"vk_sha256": "' + vk in done.files["answer.json"].replace(" ", "").replace('":"', '": "')


@pytest.mark.chain
def test_aPoisonJob_endsFailedAfterBoundedTries_theOthersAreAnswered(env: NodeEnv, pg_url, tmp_path):
    import provefns

    start = env.w3.eth.block_number
    cfg = config(env, tmp_path / "node.db", store=pg_url, workers=0, max_attempts=1)
    service = RemoteProver(ProverConfig(store=pg_url, proofs_dir=tmp_path / "p", lease_seconds=3),
                           prove_fn=provefns.fails_on_poison)
    with contextlib.ExitStack() as stack:
        stack.enter_context(in_thread(service, service.ready.is_set, "prover", 90))
        node = stack.enter_context(node_thread(cfg, env.provider))
        bad, good = env.request("poison swap bnb for cake"), env.request("price of eth")
        scope = node.store.scope

        def done() -> dict[int, str] | None:
            store = PostgresJobStore(pg_url, scope)
            try:
                got = {j.request_id: j.state.value for j in store.jobs()}
            finally:
                store.close()
            return got if got.get(bad) == "failed" and got.get(good) == "confirmed" else None

        wait_for(done, 180, "the poison request failed and the other confirmed", interval=0.3)
    assert fulfilled_events(env, start) == {good: 1}
    with psycopg.connect(pg_url) as c:
        (tries,) = c.execute("SELECT tries FROM proof_jobs WHERE %s = ANY(request_ids)", (bad,)).fetchone()
    assert tries == 3 and service.metrics.failed._value.get() == 1 and service.metrics.requeued._value.get() == 2
