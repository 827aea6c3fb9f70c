-- The sales funnel of the holds started in the instants [$1, $2) (claims, assignments,
-- transfers, hand-overs), of the holders $3 (everyone when NULL), the pool $4 and the lead
-- source $5 (NULL: any): per stage, how many of them reached it (up to now) and the median hours
-- they spent in it.
--
-- A hold reached a stage when it started there or beyond (a transfer or hand-over takes the lead
-- at its stage: the stage of its first change, else the lead's stage while it is held, else
-- `new`) or a follow-up moved it there or beyond (new → proposal reaches contacted and qualified
-- too); `lost` when a follow-up moved it to lost. So each stage counts at most as many holds as
-- the one before. Time in a stage: from entering it (the hold's stage change before, or its
-- start) to the follow-up that moved it on (forward, or to lost), over the holds that left it;
-- exact medians over the facts (follow_ups_claim_stage_idx).
WITH holds AS (
    SELECT c.id, c.started_at,
           CASE WHEN c.ended_at IS NULL AND l.state = 'owned' THEN l.stage END AS stage_now
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
           row_number() OVER w AS nth,
           extract(epoch FROM f.created_at - coalesce(lag(f.created_at) OVER w, h.started_at)) / 3600.0 AS hours
      FROM holds h
      JOIN follow_ups f ON f.claim_id = h.id
     WHERE f.stage_to IS NOT NULL AND f.stage_to IS DISTINCT FROM f.stage_from
    WINDOW w AS (PARTITION BY f.claim_id ORDER BY f.created_at, f.id)
), per_hold AS (
    SELECT h.id,
           greatest(
               coalesce((SELECT c.p_from FROM changes c WHERE c.claim_id = h.id AND c.nth = 1),
                        array_position(ARRAY['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won'], h.stage_now),
                        1),
               coalesce((SELECT max(c.p_to) FROM changes c WHERE c.claim_id = h.id), 1)) AS reached_pos,
           EXISTS (SELECT 1 FROM changes c WHERE c.claim_id = h.id AND c.stage_to = 'lost') AS lost
      FROM holds h
)
SELECT s.stage, s.pos::int4 AS position,
       CASE
           WHEN s.stage = 'lost' THEN (SELECT count(*) FROM per_hold WHERE lost)
           ELSE (SELECT count(*) FROM per_hold WHERE reached_pos >= s.pos)
       END::int8 AS reached,
       (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY hours)
          FROM changes
         WHERE stage_from = s.stage AND (p_to > s.pos OR stage_to = 'lost'))::float8 AS median_hours
  FROM unnest(ARRAY['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost'])
       WITH ORDINALITY AS s (stage, pos)
 ORDER BY s.pos;
