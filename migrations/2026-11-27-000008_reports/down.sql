DROP TRIGGER claims_match_owner ON claims;
CREATE CONSTRAINT TRIGGER claims_match_owner
    AFTER INSERT OR UPDATE ON claims
    DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION claims_match_owner();
DROP TRIGGER follow_ups_first_of_claim ON follow_ups;
DROP FUNCTION claims_first_follow_up();
ALTER TABLE claims DROP COLUMN first_follow_up_at;
