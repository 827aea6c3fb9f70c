DROP TRIGGER lead_fields_changed ON lead_fields;
DROP FUNCTION lead_fields_changed();
