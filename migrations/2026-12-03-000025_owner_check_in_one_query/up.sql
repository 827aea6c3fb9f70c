-- The owner/open-claim agreement, checked at commit for each lead whose owner changed and each
-- claim opened or ended, is one query per check (both look-ups in one statement) instead of two:
-- a sweep batch or a claim runs two checks per lead, so this halves the statements they cost.
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
