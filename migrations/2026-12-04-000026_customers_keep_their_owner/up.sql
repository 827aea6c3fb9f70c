-- A converted lead is its owner's customer: it keeps `owner_id` (the person who won it) with no
-- open claim (the hold ended `converted`, as before). Owners read and follow up their customers;
-- quotas, the agenda and the sweep look at `owned` leads only, so customers count toward none.
--
-- 1. The owner/state check allows an owner on a converted lead. Added NOT VALID (no scan under
--    this transaction's lock); 000027 validates it in a transaction of its own, which takes only
--    a SHARE UPDATE EXCLUSIVE lock (writers go on).
ALTER TABLE leads DROP CONSTRAINT leads_owner_matches_state;
ALTER TABLE leads ADD CONSTRAINT leads_owner_matches_state CHECK (
    CASE state
        WHEN 'owned' THEN owner_id IS NOT NULL
        WHEN 'converted' THEN true
        ELSE owner_id IS NULL
    END
) NOT VALID;

-- 2. Owner ⇔ open claim, for leads that are not customers: an owned lead's owner is the person
--    of its one open claim; a customer has no open claim, whoever owns it.
CREATE OR REPLACE FUNCTION leads_owner_has_claim() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_state text;
    current_owner uuid;
    open_user uuid;
BEGIN
    SELECT (SELECT state FROM leads WHERE id = NEW.id),
           (SELECT owner_id FROM leads WHERE id = NEW.id),
           (SELECT user_id FROM claims WHERE lead_id = NEW.id AND ended_at IS NULL)
      INTO current_state, current_owner, open_user;
    IF (current_state = 'converted' AND open_user IS NOT NULL)
       OR (current_state IS DISTINCT FROM 'converted' AND current_owner IS DISTINCT FROM open_user) THEN
        RAISE EXCEPTION 'lead % (%) is owned by % but its open claim is for %', NEW.id, current_state, current_owner, open_user
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION claims_match_owner() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_state text;
    current_owner uuid;
    open_user uuid;
BEGIN
    SELECT (SELECT state FROM leads WHERE id = NEW.lead_id),
           (SELECT owner_id FROM leads WHERE id = NEW.lead_id),
           (SELECT user_id FROM claims WHERE lead_id = NEW.lead_id AND ended_at IS NULL)
      INTO current_state, current_owner, open_user;
    IF (current_state = 'converted' AND open_user IS NOT NULL)
       OR (current_state IS DISTINCT FROM 'converted' AND current_owner IS DISTINCT FROM open_user) THEN
        RAISE EXCEPTION 'claim % leaves lead % (%) owned by % with open claim for %', NEW.id, NEW.lead_id, current_state, current_owner, open_user
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

-- 3. Customers converted before this migration get back the owner whose hold converted them.
UPDATE leads l
   SET owner_id = c.user_id
  FROM (SELECT DISTINCT ON (lead_id) lead_id, user_id
          FROM claims
         WHERE end_reason = 'converted'
         ORDER BY lead_id, ended_at DESC) c
 WHERE l.id = c.lead_id AND l.state = 'converted' AND l.owner_id IS NULL;
