-- A claim that starts a hold is written together with the lead's update (one statement, see
-- src/repo/holds.rs) and carries the lead's `pooled_at` and `created_at` itself. The triggers
-- that looked them up now do so only for the inserts that leave them unset (transfers, intake
-- routing, hand-written SQL), so a claim no longer reads its lead a second and third time.
DROP TRIGGER claims_pooled_since ON claims;
CREATE TRIGGER claims_pooled_since
    BEFORE INSERT ON claims
    FOR EACH ROW WHEN (NEW.pooled_since IS NULL
                       AND NEW.started_how IN ('self_claim', 'round_robin', 'capability', 'manager_assign'))
    EXECUTE FUNCTION claims_pooled_since();

DROP TRIGGER claims_lead_created_at ON claims;
CREATE TRIGGER claims_lead_created_at
    BEFORE INSERT ON claims
    FOR EACH ROW WHEN (NEW.lead_created_at IS NULL)
    EXECUTE FUNCTION claims_lead_created_at();
