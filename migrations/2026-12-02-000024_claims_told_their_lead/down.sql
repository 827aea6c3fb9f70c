DROP TRIGGER claims_pooled_since ON claims;
CREATE TRIGGER claims_pooled_since
    BEFORE INSERT ON claims
    FOR EACH ROW WHEN (NEW.started_how IN ('self_claim', 'round_robin', 'capability', 'manager_assign'))
    EXECUTE FUNCTION claims_pooled_since();

DROP TRIGGER claims_lead_created_at ON claims;
CREATE TRIGGER claims_lead_created_at
    BEFORE INSERT ON claims
    FOR EACH ROW EXECUTE FUNCTION claims_lead_created_at();
