UPDATE leads SET owner_id = NULL WHERE state = 'converted' AND owner_id IS NOT NULL;

CREATE OR REPLACE FUNCTION leads_owner_has_claim() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_owner uuid;
    open_user uuid;
BEGIN
    SELECT (SELECT owner_id FROM leads WHERE id = NEW.id),
           (SELECT user_id FROM claims WHERE lead_id = NEW.id AND ended_at IS NULL)
      INTO current_owner, open_user;
    IF current_owner IS DISTINCT FROM open_user THEN
        RAISE EXCEPTION 'lead % is owned by % but its open claim is for %', NEW.id, current_owner, open_user
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

CREATE OR REPLACE FUNCTION claims_match_owner() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    current_owner uuid;
    open_user uuid;
BEGIN
    SELECT (SELECT owner_id FROM leads WHERE id = NEW.lead_id),
           (SELECT user_id FROM claims WHERE lead_id = NEW.lead_id AND ended_at IS NULL)
      INTO current_owner, open_user;
    IF current_owner IS DISTINCT FROM open_user THEN
        RAISE EXCEPTION 'claim % leaves lead % owned by % with open claim for %', NEW.id, NEW.lead_id, current_owner, open_user
            USING ERRCODE = 'integrity_constraint_violation';
    END IF;
    RETURN NULL;
END $$;

ALTER TABLE leads DROP CONSTRAINT leads_owner_matches_state;
ALTER TABLE leads ADD CONSTRAINT leads_owner_matches_state CHECK ((state = 'owned') = (owner_id IS NOT NULL));
