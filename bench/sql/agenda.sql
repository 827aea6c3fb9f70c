-- Mirrors (keep in step with): the service builds this SQL in Rust (diesel's query builder, or
-- SQL text in the code), not in a .sql file it includes, so it is written here by hand.
--   src/routes/lifecycle/agenda_view.rs   agenda (one connection, no transaction)
--   src/service/lifecycle/agenda.rs       agenda
--   src/repo/lifecycle.rs                 agenda (AgendaLead::as_select())
--
-- pgbench: the SQL of one agenda (GET /agenda?within_hours=720), as the service runs it
-- (bench/sweep): the caller's owned leads with a next follow-up or a recycle time within the
-- horizon (sorted in the service), one statement outside any transaction. Variables: uid.
SELECT id, name, company, stage, next_follow_up_at, recycle_at, recycle_reason
  FROM leads
 WHERE owner_id = ':uid' AND state = 'owned'
   AND (next_follow_up_at <= now() + interval '720 hours' OR recycle_at <= now() + interval '720 hours');
