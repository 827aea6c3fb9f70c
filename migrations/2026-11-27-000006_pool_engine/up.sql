-- The pool engine: versioned rule sets, claim records (the one path of every ownership change),
-- explained decisions, round-robin rotation state, computed tiers and the audit trail.

-- The current rule set of each pool (`rules` as stored JSON; fields left out take their defaults)
-- and its version. Every change makes a row in pool_rule_versions.
ALTER TABLE pools
    ADD COLUMN rules          jsonb   NOT NULL DEFAULT '{}',
    ADD COLUMN rules_version  integer NOT NULL DEFAULT 1 CHECK (rules_version >= 1);

CREATE TABLE pool_rule_versions (
    pool_id     uuid        NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    version     integer     NOT NULL CHECK (version >= 1),
    rules       jsonb       NOT NULL,
    -- What changed from the previous version: {field: {from, to}}.
    diff        jsonb       NOT NULL DEFAULT '{}',
    changed_by  uuid        REFERENCES users (id),
    changed_at  timestamptz NOT NULL,
    PRIMARY KEY (pool_id, version)
);
INSERT INTO pool_rule_versions (pool_id, version, rules, changed_at)
SELECT id, 1, rules, created_at FROM pools;

-- A person's tier: set by an admin (pinned) or computed from their record (not pinned).
ALTER TABLE users ADD COLUMN tier_pinned boolean NOT NULL DEFAULT false;
UPDATE users SET tier_pinned = true WHERE tier IS NOT NULL;

-- Settings of the organisation that are not per pool (the tier policy).
CREATE TABLE settings (
    key         text        PRIMARY KEY,
    value       jsonb       NOT NULL,
    updated_by  uuid        REFERENCES users (id),
    updated_at  timestamptz NOT NULL
);

-- Why a lead went to someone, or why someone was refused: the candidates considered and the
-- reasons each was skipped.
CREATE TABLE claim_decisions (
    id              uuid        PRIMARY KEY,
    kind            text        NOT NULL CHECK (kind IN ('claim', 'next_lead', 'assign', 'distribute')),
    pool_id         uuid        REFERENCES pools (id) ON DELETE SET NULL,
    lead_id         uuid        REFERENCES leads (id),
    actor_id        uuid        REFERENCES users (id),
    outcome         text        NOT NULL CHECK (outcome IN ('assigned', 'refused')),
    chosen_user_id  uuid        REFERENCES users (id),
    -- For refusals: the error code answered.
    code            text,
    -- [{user_id, eligible, reasons: [...], details}]
    candidates      jsonb       NOT NULL DEFAULT '[]',
    created_at      timestamptz NOT NULL,
    CHECK ((outcome = 'assigned') = (chosen_user_id IS NOT NULL))
);
CREATE INDEX claim_decisions_pool_idx ON claim_decisions (pool_id, id);
CREATE INDEX claim_decisions_lead_idx ON claim_decisions (lead_id, id);
CREATE INDEX claim_decisions_actor_idx ON claim_decisions (actor_id, id);

-- Every stretch of ownership of a lead: how it started, how it ended, by whom.
CREATE TABLE claims (
    id              uuid        PRIMARY KEY,
    lead_id         uuid        NOT NULL REFERENCES leads (id),
    -- The pool the lead was taken from (quotas are counted per pool).
    pool_id         uuid        REFERENCES pools (id) ON DELETE SET NULL,
    user_id         uuid        NOT NULL REFERENCES users (id),
    started_at      timestamptz NOT NULL,
    -- The calendar day of started_at in the organisation's time zone (daily quotas).
    started_day     date        NOT NULL,
    started_how     text        NOT NULL CHECK (started_how IN
        ('self_claim', 'round_robin', 'capability', 'manager_assign', 'transfer', 'intake_route')),
    started_by      uuid        REFERENCES users (id),
    -- An admin assigned over the quotas.
    quota_override  boolean     NOT NULL DEFAULT false,
    decision_id     uuid        REFERENCES claim_decisions (id),
    ended_at        timestamptz,
    end_reason      text        CHECK (end_reason IN
        ('released', 'recycled_no_contact', 'recycled_no_first_follow_up', 'recycled_no_progress',
         'recycled_no_deal', 'transferred', 'converted', 'closed', 'reassigned')),
    ended_by        uuid        REFERENCES users (id),
    CONSTRAINT claims_end_pair CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
    CONSTRAINT claims_end_after_start CHECK (ended_at IS NULL OR ended_at >= started_at)
);
-- At most one open claim per lead: two people can never hold a lead at once.
CREATE UNIQUE INDEX claims_one_open_per_lead ON claims (lead_id) WHERE ended_at IS NULL;
-- Quotas: a person's claims of a day, per pool.
CREATE INDEX claims_user_day_idx ON claims (user_id, started_day, pool_id);
CREATE INDEX claims_lead_idx ON claims (lead_id, started_at);
CREATE INDEX claims_user_started_idx ON claims (user_id, started_at);
CREATE INDEX claims_started_at_idx ON claims (started_at, id);

-- The owner of a lead and its open claim always agree, checked at commit: no path (API, import,
-- job or hand-written SQL) can change an owner without a claim record.
CREATE FUNCTION leads_owner_has_claim() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_owner uuid;
    open_user uuid;
BEGIN
    SELECT owner_id INTO current_owner FROM leads WHERE id = NEW.id;
    SELECT user_id INTO open_user FROM claims WHERE lead_id = NEW.id AND ended_at IS NULL;
    IF current_owner IS DISTINCT FROM open_user THEN
        RAISE EXCEPTION 'lead % is owned by % but its open claim is for %', NEW.id, current_owner, open_user
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

-- Only when an owner is set or changes, so data edits and bulk inserts of pooled leads pay nothing.
CREATE CONSTRAINT TRIGGER leads_owner_has_claim_insert
    AFTER INSERT ON leads
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (NEW.owner_id IS NOT NULL)
    EXECUTE FUNCTION leads_owner_has_claim();
CREATE CONSTRAINT TRIGGER leads_owner_has_claim_update
    AFTER UPDATE OF owner_id ON leads
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW WHEN (OLD.owner_id IS DISTINCT FROM NEW.owner_id)
    EXECUTE FUNCTION leads_owner_has_claim();

CREATE FUNCTION claims_match_owner() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_owner uuid;
    open_user uuid;
BEGIN
    SELECT owner_id INTO current_owner FROM leads WHERE id = NEW.lead_id;
    SELECT user_id INTO open_user FROM claims WHERE lead_id = NEW.lead_id AND ended_at IS NULL;
    IF current_owner IS DISTINCT FROM open_user THEN
        RAISE EXCEPTION 'claim % leaves lead % owned by % with open claim for %', NEW.id, NEW.lead_id, current_owner, open_user
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE CONSTRAINT TRIGGER claims_match_owner
    AFTER INSERT OR UPDATE ON claims
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION claims_match_owner();

-- Round-robin rotation (stride scheduling): the pool's virtual time and each member's pass.
-- The pool row is locked while a lead is handed out, so several instances take turns.
CREATE TABLE rotation_pools (
    pool_id  uuid    PRIMARY KEY REFERENCES pools (id) ON DELETE CASCADE,
    vtime    bigint  NOT NULL DEFAULT 0
);
CREATE TABLE rotation_members (
    pool_id        uuid    NOT NULL REFERENCES pools (id) ON DELETE CASCADE,
    user_id        uuid    NOT NULL REFERENCES users (id),
    pass           bigint  NOT NULL DEFAULT 0,
    -- Whether the member was eligible when last considered: someone who comes back (from
    -- leave, from a quota) rejoins at the pool's virtual time instead of catching up.
    was_eligible   boolean NOT NULL DEFAULT true,
    served         integer NOT NULL DEFAULT 0,
    PRIMARY KEY (pool_id, user_id)
);

-- The next lead to hand out: oldest first, or best grade first. The oldest-first queue orders by
-- the id's bytes (the same order as the id), which only this index provides: the planner cannot
-- pick the primary key instead and walk past every claimed lead at the head of the queue.
CREATE INDEX leads_pool_queue_idx ON leads (pool_id, uuid_send(id)) WHERE state = 'pooled';
CREATE INDEX leads_pooled_grade_idx ON leads (pool_id, grade, id) WHERE state = 'pooled';

-- The audit trail: append-only, written in the same transaction as the change.
CREATE TABLE audit_log (
    id           uuid        PRIMARY KEY,
    actor_id     uuid        REFERENCES users (id),
    action       text        NOT NULL,
    object_type  text        NOT NULL,
    object_id    uuid,
    lead_id      uuid        REFERENCES leads (id),
    before       jsonb,
    after        jsonb,
    created_at   timestamptz NOT NULL
);
CREATE INDEX audit_log_actor_idx ON audit_log (actor_id, id);
CREATE INDEX audit_log_lead_idx ON audit_log (lead_id, id);
CREATE INDEX audit_log_action_idx ON audit_log (action, id);

CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only' USING ERRCODE = 'insufficient_privilege';
END $$;
CREATE TRIGGER audit_log_append_only BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();
