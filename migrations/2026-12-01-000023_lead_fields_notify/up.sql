-- Each instance keeps the active custom field definitions in memory to show leads; every change
-- of a definition tells them (LISTEN leadpool_lead_fields), whatever path made it.
CREATE FUNCTION lead_fields_changed() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('leadpool_lead_fields', '');
    RETURN NULL;
END $$;
CREATE TRIGGER lead_fields_changed
    AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON lead_fields
    FOR EACH STATEMENT EXECUTE FUNCTION lead_fields_changed();
