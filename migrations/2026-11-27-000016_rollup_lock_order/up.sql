-- Rollup rows are locked in one order by every transaction: the leads rollups (the pool backlog
-- first) before the claims rollups (hold, person and pool days). A new lead took the pool's day
-- row before its backlog row, the opposite of a claim (which updates the lead, then inserts the
-- claim), and the two deadlocked under load (bench/multi).
CREATE OR REPLACE FUNCTION report_leads_inserted() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE tz text := report_time_zone();
BEGIN
INSERT INTO report_pool_backlog AS r (pool_id, shard, pooled)
SELECT pool_id, shard, sum(delta) FROM (SELECT n.pool_id, (hashtext(n.id::text) & 63)::smallint, 1 FROM new_rows n WHERE n.state = 'pooled') AS d (pool_id, shard, delta)
 GROUP BY 1, 2 ORDER BY 1, 2
ON CONFLICT (pool_id, shard) DO UPDATE SET pooled = r.pooled + EXCLUDED.pooled;
INSERT INTO report_pool_days AS r (day, pool_id, shard, created_intake, created_import, created_manual)
SELECT (n.created_at AT TIME ZONE tz)::date, n.pool_id, (hashtext(n.id::text) & 7)::smallint,
       count(*) FILTER (WHERE n.import_id IS NULL AND n.created_by IS NULL),
       count(*) FILTER (WHERE n.import_id IS NOT NULL),
       count(*) FILTER (WHERE n.import_id IS NULL AND n.created_by IS NOT NULL)
  FROM new_rows n WHERE n.pool_id IS NOT NULL
 GROUP BY 1, 2, 3 ORDER BY 1, 2, 3
ON CONFLICT (day, pool_id, shard) DO UPDATE SET
        created_intake = r.created_intake + EXCLUDED.created_intake,
        created_import = r.created_import + EXCLUDED.created_import,
        created_manual = r.created_manual + EXCLUDED.created_manual;
    RETURN NULL;
END $$;
