-- CSV imports: the upload (rows stored encrypted, in chunks), progress and rejected rows. Each chunk
-- is processed in one transaction together with its counters, so an interrupted import resumes at
-- the first unfinished chunk and never leaves a half-written batch.

CREATE TABLE imports (
    id                  uuid        PRIMARY KEY,
    uploaded_by         uuid        NOT NULL REFERENCES users (id),
    dry_run             boolean     NOT NULL,
    status              text        NOT NULL CHECK (status IN ('queued', 'running', 'done', 'failed')),
    file_name           text,
    encoding            text        NOT NULL,
    header              text[]      NOT NULL,
    mapping             jsonb       NOT NULL,
    pool_id             uuid        REFERENCES pools (id),
    source_channel      text        NOT NULL,
    rows_total          integer     NOT NULL,
    rows_done           integer     NOT NULL DEFAULT 0,
    created             integer     NOT NULL DEFAULT 0,
    merged              integer     NOT NULL DEFAULT 0,
    rejected            integer     NOT NULL DEFAULT 0,
    duplicates_in_file  integer     NOT NULL DEFAULT 0,
    duplicates_in_db    integer     NOT NULL DEFAULT 0,
    chunks_total        integer     NOT NULL,
    chunks_done         integer     NOT NULL DEFAULT 0,
    lease_until         timestamptz,
    -- The worker holding the lease: each chunk transaction checks it, so a worker that lost its
    -- lease (it was too slow) stops instead of racing the one that took over.
    lease_token         uuid,
    error               text,
    created_at          timestamptz NOT NULL,
    updated_at          timestamptz NOT NULL,
    finished_at         timestamptz
);
CREATE INDEX imports_pending_idx ON imports (created_at) WHERE status IN ('queued', 'running');

CREATE TABLE import_chunks (
    import_id  uuid    NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    seq        integer NOT NULL,
    first_row  integer NOT NULL,
    rows_enc   bytea   NOT NULL,
    done       boolean NOT NULL DEFAULT false,
    PRIMARY KEY (import_id, seq)
);

CREATE TABLE import_rejects (
    import_id  uuid    NOT NULL REFERENCES imports (id) ON DELETE CASCADE,
    row_no     integer NOT NULL,
    raw_enc    bytea   NOT NULL,
    reason     text    NOT NULL,
    PRIMARY KEY (import_id, row_no)
);

ALTER TABLE leads ADD COLUMN import_id uuid REFERENCES imports (id);
ALTER TABLE lead_touches ADD COLUMN import_id uuid REFERENCES imports (id);
