-- Migration 2: proof jobs for remote provers (`zkrevox prover`). A row is one proof (one request, or
-- one batch proof); a prover claims it with FOR UPDATE SKIP LOCKED and holds a lease (lease_until, in
-- the database's clock) that its heartbeat renews; `lease` counts the claims, and a result is accepted
-- only with the lease number it was claimed under (a late result of an expired lease is dropped).
--   queued --claim--> claimed --result--> done --node collects--> collected
--      ^                 |  \--error, tries left--> queued
--      +--lease expired--+   \--tries spent, or a bad prompt--> failed --node collects--> collected
-- The node cancels what it no longer wants (cancelled).
CREATE TABLE proof_jobs (
    id BIGSERIAL PRIMARY KEY,
    scope TEXT NOT NULL,
    model TEXT NOT NULL,
    size INTEGER NOT NULL,
    vk_sha256 TEXT,
    request_ids BIGINT[] NOT NULL,
    prompts BYTEA[] NOT NULL,
    deadline BIGINT NOT NULL,
    state TEXT NOT NULL DEFAULT 'queued',
    tries INTEGER NOT NULL DEFAULT 0,
    max_tries INTEGER NOT NULL,
    lease INTEGER NOT NULL DEFAULT 0,
    lease_seconds DOUBLE PRECISION NOT NULL,
    lease_until TIMESTAMPTZ,
    prover TEXT,
    proof BYTEA,
    prove_seconds DOUBLE PRECISION,
    error TEXT,
    error_kind TEXT,
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    claimed_at TIMESTAMPTZ,
    finished_at TIMESTAMPTZ
);
CREATE INDEX proof_jobs_queued ON proof_jobs (model, deadline, id) WHERE state = 'queued';
CREATE INDEX proof_jobs_claimed ON proof_jobs (lease_until) WHERE state = 'claimed';
CREATE INDEX proof_jobs_by_scope ON proof_jobs (scope, state);
-- Each prover process says it is alive (and how many proofs it can run at once): the node's
-- back-pressure counts the live slots.
CREATE TABLE provers (
    name TEXT PRIMARY KEY, models TEXT[] NOT NULL, workers INTEGER NOT NULL,
    started_at TIMESTAMPTZ NOT NULL DEFAULT now(), seen_at TIMESTAMPTZ NOT NULL DEFAULT now()
);
