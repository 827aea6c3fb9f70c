-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/service/imports/process.rs        process_chunk (the created leads, their "created" events)
--   src/repo/leads.rs                     insert_many_if_new, insert_events
-- (Not a request of the service: the floor of an import, PostgreSQL alone storing its rows.)
--
-- PostgreSQL alone storing what an import stored: the leads the import created (already cleaned,
-- encrypted and blind-indexed) go into leads_floor, a table built like leads (its columns,
-- defaults, every index, its triggers and foreign keys), with their "created" timeline rows in
-- lead_events_floor (built like lead_events), one transaction per 2,000 rows as the service
-- commits. No cleaning, no encryption, no dedupe: the floor an import into this schema cannot go
-- below on this machine. The tables are dropped afterwards, but the triggers have counted the
-- rows in the report rollups a second time: run it last on a benchmark database.
--   psql -v import_id=<uuid> -f bench/sql/import_floor.sql   (prints the seconds it took)
\set ON_ERROR_STOP on
DROP TABLE IF EXISTS lead_events_floor, leads_floor, floor_rows;
CREATE TABLE leads_floor (LIKE leads INCLUDING ALL);
CREATE TABLE lead_events_floor (LIKE lead_events INCLUDING ALL);
DO $$
DECLARE r record;
BEGIN
    FOR r IN SELECT pg_get_triggerdef(oid) AS def FROM pg_trigger
              WHERE tgrelid = 'leads'::regclass AND NOT tgisinternal LOOP
        EXECUTE replace(r.def, ' ON public.leads ', ' ON public.leads_floor ');
    END LOOP;
    FOR r IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
              WHERE conrelid = 'leads'::regclass AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE leads_floor ADD CONSTRAINT %I %s', r.conname || '_floor', r.def);
    END LOOP;
    FOR r IN SELECT conname, pg_get_constraintdef(oid) AS def FROM pg_constraint
              WHERE conrelid = 'lead_events'::regclass AND contype = 'f' LOOP
        EXECUTE format('ALTER TABLE lead_events_floor ADD CONSTRAINT %I %s', r.conname || '_floor',
                       replace(r.def, 'REFERENCES leads(', 'REFERENCES leads_floor('));
    END LOOP;
END $$;
-- The rows, numbered in id order (the service's ids are time-ordered, as these stay).
CREATE TABLE floor_rows AS
SELECT (row_number() OVER (ORDER BY id) - 1) / 2000 AS batch, l.*
  FROM leads l WHERE l.import_id = :'import_id';
CREATE INDEX ON floor_rows (batch);
ANALYZE floor_rows;
SELECT max(batch) AS last_batch FROM floor_rows \gset
SELECT clock_timestamp() AS started \gset
SELECT format($f$
BEGIN;
INSERT INTO leads_floor SELECT %s FROM floor_rows WHERE batch = %s ON CONFLICT DO NOTHING;
INSERT INTO lead_events_floor (id, lead_id, kind, actor_id, details, created_at)
SELECT gen_random_uuid(), id, 'created', created_by,
       jsonb_build_object('via', 'import', 'import_id', import_id, 'row', batch,
                          'source_channel', source_channel, 'pool_id', pool_id), created_at
  FROM floor_rows WHERE batch = %s;
COMMIT;
$f$, (SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
       WHERE attrelid = 'leads'::regclass AND attnum > 0 AND NOT attisdropped), b, b)
  FROM generate_series(0, :last_batch) AS b \gexec
SELECT round(extract(epoch FROM clock_timestamp() - :'started'::timestamptz)::numeric, 2) AS floor_seconds;
DROP TABLE lead_events_floor, leads_floor, floor_rows;
