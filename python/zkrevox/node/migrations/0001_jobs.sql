-- zkrevox PostgreSQL job store, migration 1: the node's jobs, their history, its place in the chain,
-- and nonce-gap fillers (the same contract as the SQLite store, schema 3). One scope per deployment.
CREATE TABLE scopes (scope TEXT PRIMARY KEY, info TEXT NOT NULL, created_at DOUBLE PRECISION NOT NULL);
CREATE TABLE jobs (
    scope TEXT NOT NULL, request_id BIGINT NOT NULL, state TEXT NOT NULL,
    model_id BIGINT NOT NULL, requester TEXT NOT NULL, prompt BYTEA NOT NULL, deadline BIGINT NOT NULL,
    fee_wei TEXT NOT NULL, block_number BIGINT NOT NULL, block_hash TEXT NOT NULL, request_tx TEXT NOT NULL,
    requested_at BIGINT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, proof_path TEXT,
    prove_seconds DOUBLE PRECISION, nonce BIGINT, tx_hashes TEXT NOT NULL DEFAULT '[]', raw_tx TEXT,
    tx_fees TEXT NOT NULL DEFAULT '{}', sent_at DOUBLE PRECISION, fulfil_tx TEXT, gas_used BIGINT, reason TEXT,
    last_error TEXT, next_attempt_at DOUBLE PRECISION NOT NULL DEFAULT 0, seen_at DOUBLE PRECISION NOT NULL,
    updated_at DOUBLE PRECISION NOT NULL, confirmed_at DOUBLE PRECISION, batch TEXT,
    timeouts INTEGER NOT NULL DEFAULT 0, optimistic INTEGER, answer TEXT, window_end BIGINT, finalize_tx TEXT,
    PRIMARY KEY (scope, request_id)
);
CREATE INDEX jobs_by_state ON jobs (scope, state, deadline);
CREATE TABLE transitions (
    id BIGSERIAL PRIMARY KEY, scope TEXT NOT NULL, request_id BIGINT NOT NULL,
    src TEXT, dst TEXT NOT NULL, at DOUBLE PRECISION NOT NULL, detail TEXT NOT NULL
);
CREATE INDEX transitions_by_request ON transitions (scope, request_id);
CREATE TABLE cursors (scope TEXT PRIMARY KEY, block BIGINT NOT NULL, recent TEXT NOT NULL);
CREATE TABLE fillers (
    scope TEXT NOT NULL, nonce BIGINT NOT NULL, tx_hashes TEXT NOT NULL, raw_tx TEXT NOT NULL, fees TEXT NOT NULL,
    sent_at DOUBLE PRECISION NOT NULL, outcome TEXT, PRIMARY KEY (scope, nonce)
);
