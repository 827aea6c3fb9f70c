CREATE OR REPLACE FUNCTION leads_owner_has_claim() RETURNS trigger LANGUAGE plpgsql AS $$
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

CREATE OR REPLACE FUNCTION claims_match_owner() RETURNS trigger LANGUAGE plpgsql AS $$
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
