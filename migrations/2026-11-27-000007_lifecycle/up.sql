-- The lead lifecycle: follow-ups, the stored recycle state of every owned lead, approvals of
-- releases and transfers, and recycle warnings.

-- The current hold of an owned lead, and when (and why) it goes back to its pool. Recomputed in the
-- same transaction as every claim, follow-up, stage change and rule change.
ALTER TABLE leads
    ADD COLUMN claimed_at                 timestamptz,
    ADD COLUMN claimed_from_pool          boolean     NOT NULL DEFAULT false,
    ADD COLUMN last_follow_up_at          timestamptz,
    ADD COLUMN follow_ups_since_progress  integer     NOT NULL DEFAULT 0,
    ADD COLUMN next_follow_up_at          timestamptz,
    ADD COLUMN recycle_at                 timestamptz,
    ADD COLUMN recycle_reason             text CHECK (recycle_reason IN
        ('recycled_no_contact', 'recycled_no_first_follow_up', 'recycled_no_progress', 'recycled_no_deal')),
    -- When the owner was warned about the current recycle_at (cleared when it moves).
    ADD COLUMN recycle_warned_at          timestamptz,
    ADD CONSTRAINT leads_recycle_pair CHECK ((recycle_at IS NULL) = (recycle_reason IS NULL));

-- Holds that started before this migration start now.
UPDATE leads l SET claimed_at = c.started_at,
                   claimed_from_pool = c.started_how IN ('self_claim', 'round_robin', 'capability', 'manager_assign')
  FROM claims c WHERE c.lead_id = l.id AND c.ended_at IS NULL;

-- The sweep takes due leads oldest due first; the agenda reads one person's leads.
CREATE INDEX leads_recycle_due_idx ON leads (recycle_at) WHERE state = 'owned' AND recycle_at IS NOT NULL;
CREATE INDEX leads_owner_recycle_idx ON leads (owner_id, recycle_at) WHERE state = 'owned' AND recycle_at IS NOT NULL;
CREATE INDEX leads_owner_next_follow_up_idx ON leads (owner_id, next_follow_up_at)
    WHERE state = 'owned' AND next_follow_up_at IS NOT NULL;

-- Follow-ups: append-only; a correction is a new record that names the one it corrects.
CREATE TABLE follow_ups (
    id                 uuid        PRIMARY KEY,
    lead_id            uuid        NOT NULL REFERENCES leads (id),
    claim_id           uuid        REFERENCES claims (id),
    user_id            uuid        NOT NULL REFERENCES users (id),
    type               text        NOT NULL CHECK (type IN ('call', 'visit', 'wechat', 'email', 'sms', 'meeting', 'other')),
    content            text        NOT NULL CHECK (length(content) BETWEEN 1 AND 10000),
    feedback           text,
    outcome            text,
    stage_from         text,
    stage_to           text,
    next_follow_up_at  timestamptz,
    corrects_id        uuid        REFERENCES follow_ups (id),
    created_at         timestamptz NOT NULL
);
CREATE INDEX follow_ups_lead_idx ON follow_ups (lead_id, id);
CREATE INDEX follow_ups_user_idx ON follow_ups (user_id, id);
CREATE INDEX follow_ups_created_idx ON follow_ups (created_at, id);

CREATE FUNCTION follow_ups_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'follow-ups are append-only: record a correction instead' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER follow_ups_append_only BEFORE UPDATE OR DELETE ON follow_ups
    FOR EACH ROW EXECUTE FUNCTION follow_ups_append_only();

-- Release and transfer requests that wait for a manager.
CREATE TABLE approvals (
    id            uuid        PRIMARY KEY,
    kind          text        NOT NULL CHECK (kind IN ('release', 'transfer')),
    lead_id       uuid        NOT NULL REFERENCES leads (id),
    -- The hold the request is about: if it ends meanwhile, the request is obsolete.
    claim_id      uuid        NOT NULL REFERENCES claims (id),
    requester_id  uuid        NOT NULL REFERENCES users (id),
    status        text        NOT NULL CHECK (status IN ('pending', 'approved', 'rejected', 'cancelled', 'obsolete')),
    reason_code   text,
    note          text,
    to_pool_id    uuid        REFERENCES pools (id),
    to_user_id    uuid        REFERENCES users (id),
    decided_by    uuid        REFERENCES users (id),
    comment       text,
    decided_at    timestamptz,
    created_at    timestamptz NOT NULL,
    CONSTRAINT approvals_decided CHECK ((status = 'pending') = (decided_at IS NULL))
);
-- One pending request per lead.
CREATE UNIQUE INDEX approvals_one_pending_per_lead ON approvals (lead_id) WHERE status = 'pending';
CREATE INDEX approvals_requester_idx ON approvals (requester_id, id);
CREATE INDEX approvals_status_idx ON approvals (status, id);
CREATE INDEX approvals_lead_idx ON approvals (lead_id, id);
