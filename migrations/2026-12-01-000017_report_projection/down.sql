-- The report triggers of 000010-000016 are not brought back: their rollups were replaced by the
-- projection (src/repo/reports/), and reverting past this migration needs a restore from a backup
-- taken before it.
DO $$ BEGIN
    RAISE EXCEPTION 'migration 2026-12-01-000017_report_projection cannot be reverted; restore a backup taken before it';
END $$;
