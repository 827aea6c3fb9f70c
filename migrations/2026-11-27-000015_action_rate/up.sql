-- Per-person rate windows for actions a script could hammer (claims): one row per person and
-- action, counting attempts in the current fixed one-minute window. Kept in the database so every
-- instance counts the same attempts; unlogged, as a lost count after a crash only forgives a
-- minute.
CREATE UNLOGGED TABLE action_rate_windows (
    user_id       uuid        NOT NULL REFERENCES users (id) ON DELETE CASCADE,
    action        text        NOT NULL CHECK (length(action) <= 40),
    window_start  timestamptz NOT NULL,
    attempts      integer     NOT NULL CHECK (attempts >= 1),
    PRIMARY KEY (user_id, action)
);
