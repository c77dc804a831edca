-- Migration 3: content-addressed circuit artifacts (a new prover machine fetches what it lacks).
-- A build is named by its verifying key's sha256; its files are blobs named by their own sha256.
CREATE TABLE artifact_blobs (sha256 TEXT PRIMARY KEY, data BYTEA NOT NULL, size BIGINT NOT NULL);
CREATE TABLE artifact_builds (
    model TEXT NOT NULL, size INTEGER NOT NULL, vk_sha256 TEXT NOT NULL,
    files TEXT NOT NULL,  -- JSON {relative path: blob sha256}
    created_at TIMESTAMPTZ NOT NULL DEFAULT now(),
    PRIMARY KEY (model, size, vk_sha256)
);
