-- Departure hand-overs (POST /api/v1/users/{id}/hand-over): everything a person holds, moved lead
-- by lead in its own transaction (each move conditional on the person still holding the lead, so
-- their own last actions and the sweep race it safely). Only the runner that owns a hand-over
-- writes its row (the heartbeat, once per lead, in that lead's transaction); its counts are read
-- from the items. A runner whose heartbeat stops is taken over by another instance.
CREATE TABLE hand_overs (
    id              uuid        PRIMARY KEY,
    user_id         uuid        NOT NULL REFERENCES users (id),
    requested_by    uuid        NOT NULL REFERENCES users (id),
    -- Receivers in turn (open leads and customers); empty when everything goes to to_pool_id.
    to_user_ids     uuid[]      NOT NULL DEFAULT '{}',
    -- Open leads go back to this pool when set (customers still need a receiver).
    to_pool_id      uuid        REFERENCES pools (id),
    override_quota  boolean     NOT NULL DEFAULT false,
    reason          text        CHECK (length(reason) <= 500),
    status          text        NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    started_at      timestamptz NOT NULL,
    heartbeat_at    timestamptz NOT NULL,
    finished_at     timestamptz,
    error           text,
    CONSTRAINT hand_overs_somewhere CHECK (cardinality(to_user_ids) > 0 OR to_pool_id IS NOT NULL),
    CONSTRAINT hand_overs_finished CHECK ((status = 'running') = (finished_at IS NULL))
);
CREATE INDEX hand_overs_user_idx ON hand_overs (user_id, started_at);
CREATE INDEX hand_overs_running_idx ON hand_overs (heartbeat_at) WHERE status = 'running';

-- What became of each lead: written in the same transaction as its move (or refusal).
CREATE TABLE hand_over_items (
    hand_over_id  uuid        NOT NULL REFERENCES hand_overs (id),
    lead_id       uuid        NOT NULL REFERENCES leads (id),
    kind          text        NOT NULL CHECK (kind IN ('lead', 'customer')),
    outcome       text        NOT NULL CHECK (outcome IN ('moved', 'skipped', 'failed')),
    to_user_id    uuid        REFERENCES users (id),
    to_pool_id    uuid        REFERENCES pools (id),
    code          text,
    detail        text,
    at            timestamptz NOT NULL,
    PRIMARY KEY (hand_over_id, lead_id),
    CONSTRAINT hand_over_items_moved_somewhere
        CHECK (outcome <> 'moved' OR to_user_id IS NOT NULL OR to_pool_id IS NOT NULL),
    CONSTRAINT hand_over_items_refusal_coded CHECK ((outcome = 'moved') = (code IS NULL))
);
