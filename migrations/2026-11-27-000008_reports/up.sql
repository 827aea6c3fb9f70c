-- Reports read recorded facts (leads, claims, follow-ups). These additions keep those facts where
-- the report queries can read them without visiting every row.

-- When the first follow-up of a hold was recorded (first-follow-up latency). Set by a trigger in
-- the transaction that records the follow-up, whatever path records it.
ALTER TABLE claims ADD COLUMN first_follow_up_at timestamptz;
UPDATE claims c SET first_follow_up_at = f.first
  FROM (SELECT claim_id, min(created_at) AS first FROM follow_ups WHERE claim_id IS NOT NULL GROUP BY claim_id) f
 WHERE f.claim_id = c.id;

CREATE FUNCTION claims_first_follow_up() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    UPDATE claims SET first_follow_up_at = NEW.created_at
     WHERE id = NEW.claim_id AND (first_follow_up_at IS NULL OR first_follow_up_at > NEW.created_at);
    RETURN NULL;
END $$;
CREATE TRIGGER follow_ups_first_of_claim
    AFTER INSERT ON follow_ups
    FOR EACH ROW WHEN (NEW.claim_id IS NOT NULL)
    EXECUTE FUNCTION claims_first_follow_up();

-- The owner/claim agreement only depends on who holds a claim and whether it is open: recording
-- a first follow-up need not re-check it.
DROP TRIGGER claims_match_owner ON claims;
CREATE CONSTRAINT TRIGGER claims_match_owner
    AFTER INSERT OR UPDATE OF lead_id, user_id, ended_at ON claims
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION claims_match_owner();

-- When a lead last entered a pool, when it was first claimed, and when it converted: set by
-- triggers from the row's own changes (updated_at is the time of the change), so every path
-- (API, sweep, import, hand-written SQL) records them alike.
ALTER TABLE leads
    ADD COLUMN pooled_at         timestamptz,
    ADD COLUMN first_claimed_at  timestamptz,
    ADD COLUMN converted_at      timestamptz;
-- How long the lead had waited in the pool when this hold started (time in pool before a claim).
ALTER TABLE claims ADD COLUMN pooled_since timestamptz;

UPDATE leads l SET
    first_claimed_at = c.first_start,
    converted_at = c.converted,
    pooled_at = CASE WHEN l.state = 'pooled' THEN coalesce(c.last_end, l.created_at) END
  FROM (SELECT lead_id, min(started_at) AS first_start, max(ended_at) AS last_end,
               max(ended_at) FILTER (WHERE end_reason = 'converted') AS converted
          FROM claims GROUP BY lead_id) c
 WHERE c.lead_id = l.id;
UPDATE leads SET pooled_at = created_at WHERE state = 'pooled' AND pooled_at IS NULL;
UPDATE claims c SET pooled_since = coalesce(
        (SELECT max(p.ended_at) FROM claims p WHERE p.lead_id = c.lead_id AND p.started_at < c.started_at),
        (SELECT l.created_at FROM leads l WHERE l.id = c.lead_id))
 WHERE c.started_how IN ('self_claim', 'round_robin', 'capability', 'manager_assign');

CREATE FUNCTION leads_report_facts() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.state = 'pooled' AND (TG_OP = 'INSERT' OR OLD.state <> 'pooled') THEN
        NEW.pooled_at := NEW.updated_at;
    END IF;
    IF NEW.owner_id IS NOT NULL AND NEW.first_claimed_at IS NULL THEN
        NEW.first_claimed_at := coalesce(NEW.claimed_at, NEW.updated_at);
    END IF;
    IF NEW.state = 'converted' AND NEW.converted_at IS NULL THEN
        NEW.converted_at := NEW.updated_at;
    END IF;
    RETURN NEW;
END $$;
CREATE TRIGGER leads_report_facts_insert
    BEFORE INSERT ON leads
    FOR EACH ROW WHEN (NEW.state <> 'closed')
    EXECUTE FUNCTION leads_report_facts();
-- Only rows whose state changes pay for it.
CREATE TRIGGER leads_report_facts_update
    BEFORE UPDATE OF state ON leads
    FOR EACH ROW WHEN (OLD.state IS DISTINCT FROM NEW.state)
    EXECUTE FUNCTION leads_report_facts();

CREATE FUNCTION claims_pooled_since() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT pooled_at INTO NEW.pooled_since FROM leads WHERE id = NEW.lead_id;
    RETURN NEW;
END $$;
CREATE TRIGGER claims_pooled_since
    BEFORE INSERT ON claims
    FOR EACH ROW WHEN (NEW.started_how IN ('self_claim', 'round_robin', 'capability', 'manager_assign'))
    EXECUTE FUNCTION claims_pooled_since();
