-- Failed sign-ins per account ('account:<email>') and per client address ('address:<ip>'): after
-- too many within the window, sign-ins for that key are refused (429) until the block ends.
-- Kept in the database so every instance counts the same failures.
CREATE TABLE login_failures (
    key            text        PRIMARY KEY CHECK (length(key) <= 400),
    failures       integer     NOT NULL CHECK (failures >= 1),
    window_start   timestamptz NOT NULL,
    blocked_until  timestamptz
);
CREATE INDEX login_failures_window_idx ON login_failures (window_start);
