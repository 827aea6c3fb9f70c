-- Web-form intake: sources with hashed tokens, per-minute rate windows, idempotency records and
-- the quarantine of suspect submissions.

CREATE TABLE intake_sources (
    id                     uuid        PRIMARY KEY,
    name                   text        NOT NULL CHECK (length(name) BETWEEN 1 AND 200),
    channel                text        NOT NULL,
    rate_limit_per_minute  integer     NOT NULL CHECK (rate_limit_per_minute BETWEEN 1 AND 100000),
    -- SHA-256 of the token; the token itself is shown once, at creation.
    token_hash             bytea       NOT NULL UNIQUE,
    created_by             uuid        REFERENCES users (id),
    created_at             timestamptz NOT NULL,
    deleted_at             timestamptz
);

-- Requests per source per minute (fixed windows), counted across all instances.
CREATE TABLE intake_rate_windows (
    source_id     uuid        NOT NULL REFERENCES intake_sources (id),
    window_start  timestamptz NOT NULL,
    count         integer     NOT NULL,
    PRIMARY KEY (source_id, window_start)
);

-- One row per Idempotency-Key: claimed before the work, completed in the same transaction as it.
CREATE TABLE idempotency_keys (
    source_id      uuid        NOT NULL REFERENCES intake_sources (id),
    key            text        NOT NULL,
    -- A keyed hash of the body (a plain hash of a short form could be reversed by brute force).
    request_hash   bytea       NOT NULL,
    -- Who holds the key now: a retry that takes over an abandoned key gets a new claim, and the
    -- first request, should it still finish, can no longer complete or release it.
    claim          uuid        NOT NULL,
    -- NULL while the first request is being processed.
    status         smallint,
    -- The first answer, encrypted (it is replayed for retries).
    response_enc   bytea,
    created_at     timestamptz NOT NULL,
    completed_at   timestamptz,
    PRIMARY KEY (source_id, key)
);
CREATE INDEX idempotency_keys_created_idx ON idempotency_keys (source_id, created_at);

CREATE TABLE intake_quarantine (
    id           uuid        PRIMARY KEY,
    source_id    uuid        NOT NULL REFERENCES intake_sources (id),
    payload_enc  bytea       NOT NULL,
    reasons      text[]      NOT NULL,
    status       text        NOT NULL CHECK (status IN ('pending', 'accepted', 'discarded')),
    lead_id      uuid        REFERENCES leads (id),
    decided_by   uuid        REFERENCES users (id),
    decided_at   timestamptz,
    created_at   timestamptz NOT NULL
);
CREATE INDEX intake_quarantine_status_idx ON intake_quarantine (status, id);

ALTER TABLE lead_touches ADD COLUMN intake_source_id uuid REFERENCES intake_sources (id);
