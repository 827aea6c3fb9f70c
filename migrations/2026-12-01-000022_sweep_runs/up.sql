-- Recycle sweeps an admin asked for (POST /api/v1/admin/sweep): a large backlog drains in the
-- background, and its progress is read from here by any instance. Only the drain that owns a
-- row writes it (once per batch, in the batch's transaction, so the counts are exact).
CREATE TABLE sweep_runs (
    id                  uuid        PRIMARY KEY,
    requested_by        uuid        REFERENCES users (id),
    started_at          timestamptz NOT NULL,
    -- Moved by every batch: a run whose instance stopped shows as interrupted.
    heartbeat_at        timestamptz NOT NULL,
    finished_at         timestamptz,
    status              text        NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    recycled            integer     NOT NULL DEFAULT 0,
    recycled_by_reason  jsonb       NOT NULL DEFAULT '{}',
    warned              integer     NOT NULL DEFAULT 0,
    error               text,
    CONSTRAINT sweep_runs_finished CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX sweep_runs_started_idx ON sweep_runs (started_at);
