-- When the held lead was created, on each hold (it never changes): a manager's or salesperson's
-- conversion cohort is read from their own holds of leads created in the period, without
-- visiting every lead they held.
ALTER TABLE claims ADD COLUMN lead_created_at timestamptz;
UPDATE claims c SET lead_created_at = l.created_at FROM leads l WHERE l.id = c.lead_id;
ALTER TABLE claims ALTER COLUMN lead_created_at SET NOT NULL;

CREATE FUNCTION claims_lead_created_at() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    SELECT created_at INTO NEW.lead_created_at FROM leads WHERE id = NEW.lead_id;
    RETURN NEW;
END $$;
CREATE TRIGGER claims_lead_created_at
    BEFORE INSERT ON claims
    FOR EACH ROW EXECUTE FUNCTION claims_lead_created_at();

DROP INDEX claims_report_user_idx;
CREATE INDEX claims_report_user_idx ON claims (user_id, lead_created_at) INCLUDE (lead_id, end_reason);
