-- The sales funnel of the instants [$1, $2): per stage, the holds that reached it in the period,
-- and the median hours holds spent in it before they left it in the period. Scope: the holders
-- $3 (everyone when NULL), the pool $4, the lead source $5 (NULL: any).
--
-- Reaching: `new` is a hold started in the period (a claim, an assignment, a transfer...); a
-- later stage, a follow-up of the period that moved a hold into it or past it (new → proposal
-- reaches contacted and qualified too); `lost`, a follow-up that moved a hold to lost. Each hold
-- counts once per stage. Time in a stage: from the hold's entering it (the stage change before,
-- or the hold's start for `new`) to the follow-up of the period that moved it on (forward, or to
-- lost); exact medians over the facts (follow_ups_stage_changes_idx, follow_ups_claim_stage_idx).
WITH holds AS (
    SELECT c.id
      FROM claims c
      JOIN leads l ON l.id = c.lead_id
     WHERE c.started_at >= $1 AND c.started_at < $2
       AND ($3::uuid[] IS NULL OR c.user_id = ANY($3))
       AND ($4::uuid IS NULL OR c.pool_id = $4)
       AND ($5::text IS NULL OR l.source_channel = $5)
), changes AS (
    SELECT f.claim_id, f.stage_from, f.stage_to,
           array_position(ARRAY['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won'], f.stage_from) AS p_from,
           array_position(ARRAY['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won'], f.stage_to) AS p_to,
           extract(epoch FROM f.created_at - coalesce(before.created_at, c.started_at)) / 3600.0 AS hours
      FROM follow_ups f
      JOIN claims c ON c.id = f.claim_id
      JOIN leads l ON l.id = f.lead_id
      LEFT JOIN LATERAL (
          SELECT p.created_at
            FROM follow_ups p
           WHERE p.claim_id = f.claim_id AND p.stage_to IS NOT NULL
             AND p.stage_to IS DISTINCT FROM p.stage_from
             AND (p.created_at, p.id) < (f.created_at, f.id)
           ORDER BY p.created_at DESC, p.id DESC
           LIMIT 1) before ON true
     WHERE f.created_at >= $1 AND f.created_at < $2
       AND f.stage_to IS NOT NULL AND f.stage_to IS DISTINCT FROM f.stage_from
       AND ($3::uuid[] IS NULL OR c.user_id = ANY($3))
       AND ($4::uuid IS NULL OR c.pool_id = $4)
       AND ($5::text IS NULL OR l.source_channel = $5)
)
SELECT s.stage, s.pos::int4 AS position,
       CASE
           WHEN s.stage = 'new' THEN (SELECT count(*) FROM holds)
           WHEN s.stage = 'lost' THEN (SELECT count(DISTINCT claim_id) FROM changes WHERE stage_to = 'lost')
           ELSE (SELECT count(DISTINCT claim_id) FROM changes WHERE p_from < s.pos AND p_to >= s.pos)
       END::int8 AS reached,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY hours)
          FROM changes
         WHERE stage_from = s.stage AND (p_to > s.pos OR stage_to = 'lost'))::float8 AS median_hours
  FROM unnest(ARRAY['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost'])
       WITH ORDINALITY AS s (stage, pos)
 ORDER BY s.pos;
