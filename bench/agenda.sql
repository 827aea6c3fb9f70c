-- pgbench: the SQL of one agenda (GET /agenda?within_hours=720), as the service runs it
-- (bench/sweep): the caller's owned leads with a next follow-up or a recycle time within the
-- horizon (sorted in the service). Variables: uid.
BEGIN;
SELECT id, pool_id, state, stage, owner_id, name, company, phone_enc, phone_bidx, email_enc, email_bidx,
       wechat_enc, wechat_bidx, identity_bidx, province, city, industry, company_size, needs, grade, source_channel,
       source_detail, tags, custom, created_by, created_at, updated_at, import_id, claimed_at, claimed_from_pool,
       last_follow_up_at, follow_ups_since_progress, next_follow_up_at, recycle_at, recycle_reason, recycle_warned_at
  FROM leads
 WHERE owner_id = ':uid' AND state = 'owned'
   AND (next_follow_up_at <= now() + interval '720 hours' OR recycle_at <= now() + interval '720 hours');
COMMIT;
