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
    -- The lead is read only for what needs it: the stage of a hold still open, the source filter.
    SELECT c.id, c.started_at, l.stage AS stage_now
      FROM claims c
      LEFT JOIN leads l ON l.id = c.lead_id AND c.ended_at IS NULL AND l.state = 'owned'
     WHERE c.started_at >= $1 AND c.started_at < $2
       AND ($3::uuid[] IS NULL OR c.user_id = ANY($3))
       AND ($4::uuid IS NULL OR c.pool_id = $4)
       AND ($5::text IS NULL
            OR EXISTS (SELECT 1 FROM leads s WHERE s.id = c.lead_id AND s.source_channel = $5))
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
    SELECT greatest(coalesce(c.first_from,
                             array_position(ARRAY['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won'], h.stage_now),
                             1),
                    coalesce(c.max_to, 1)) AS reached_pos,
           coalesce(c.lost, false) AS lost
      FROM holds h
      LEFT JOIN (SELECT claim_id,
                        min(p_from) FILTER (WHERE nth = 1) AS first_from,
                        max(p_to) AS max_to,
                        bool_or(stage_to = 'lost') AS lost
                   FROM changes
                  GROUP BY claim_id) c ON c.claim_id = h.id
), reached AS (
    SELECT count(*) AS r1,
           count(*) FILTER (WHERE reached_pos >= 2) AS r2,
           count(*) FILTER (WHERE reached_pos >= 3) AS r3,
           count(*) FILTER (WHERE reached_pos >= 4) AS r4,
           count(*) FILTER (WHERE reached_pos >= 5) AS r5,
           count(*) FILTER (WHERE reached_pos >= 6) AS r6,
           count(*) FILTER (WHERE lost) AS r7
      FROM per_hold
), medians AS (
    SELECT stage_from AS stage, percentile_cont(0.5) WITHIN GROUP (ORDER BY hours) AS hours
      FROM changes
     WHERE p_to > p_from OR stage_to = 'lost'
     GROUP BY stage_from
)
SELECT s.stage, s.pos::int4 AS position,
       (ARRAY[r.r1, r.r2, r.r3, r.r4, r.r5, r.r6, r.r7])[s.pos]::int8 AS reached,
       m.hours::float8 AS median_hours
  FROM unnest(ARRAY['new', 'contacted', 'qualified', 'proposal', 'negotiation', 'won', 'lost'])
       WITH ORDINALITY AS s (stage, pos)
 CROSS JOIN reached r
  LEFT JOIN medians m ON m.stage = s.stage
 ORDER BY s.pos;
