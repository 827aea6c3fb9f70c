-- Generates the reports benchmark's history, in the service's schema (run by bench/reports):
-- :leads leads created evenly over :days days up to now, about 3 claims per lead (15% never
-- claimed; the last hold converts 12%, closes 5%, is still open 28%, otherwise ends), and about
-- 1.8 follow-ups per claim: 1M leads give ~3M claims and ~5M follow-ups.
-- Deterministic (hashes of the row numbers), so two runs compare. Facts only: triggers are off
-- (session_replication_role) and the derived columns they would keep are computed here.
\set ON_ERROR_STOP 1
SET session_replication_role = replica;
SET synchronous_commit = off;

CREATE FUNCTION pg_temp.h(a bigint, salt bigint) RETURNS bigint LANGUAGE sql IMMUTABLE
    AS $$ SELECT (hashint8(a * 1000003 + salt) & 2147483647)::bigint $$;
CREATE FUNCTION pg_temp.uuid7(t timestamptz, seed text) RETURNS uuid LANGUAGE sql IMMUTABLE
    AS $$ SELECT (lpad(to_hex((extract(epoch FROM t) * 1000)::bigint), 12, '0') || '7'
                  || substr(md5(seed), 1, 3) || '8' || substr(md5(seed), 4, 15))::uuid $$;

-- 10 teams of 20 salespeople, each with a manager; 4 pools all of them belong to.
INSERT INTO users (id, name, email, role, password_hash, created_at, updated_at)
SELECT pg_temp.uuid7(now() - interval '4 years', 'm' || n), 'Manager ' || n, 'manager' || n || '@bench.example',
       'manager', (SELECT password_hash FROM users LIMIT 1), now() - interval '4 years', now()
  FROM generate_series(1, 10) n;
INSERT INTO teams (id, name, manager_id, created_at, updated_at)
SELECT pg_temp.uuid7(now() - interval '4 years', 't' || n), 'Team ' || n,
       (SELECT id FROM users WHERE email = 'manager' || n || '@bench.example'), now() - interval '4 years', now()
  FROM generate_series(1, 10) n;
UPDATE users u SET team_id = t.id FROM teams t WHERE t.manager_id = u.id;
INSERT INTO users (id, name, email, role, team_id, password_hash, created_at, updated_at)
SELECT pg_temp.uuid7(now() - interval '4 years', 's' || n), '销售 ' || n, 'sales' || n || '@bench.example', 'sales',
       (SELECT id FROM teams WHERE name = 'Team ' || (1 + n % 10)), (SELECT password_hash FROM users LIMIT 1),
       now() - interval '4 years', now()
  FROM generate_series(1, 200) n;
CREATE TABLE bench_sales AS
    SELECT row_number() OVER (ORDER BY email) - 1 AS n, id FROM users WHERE role = 'sales' AND email LIKE '%@bench.example';
CREATE UNIQUE INDEX ON bench_sales (n);
INSERT INTO pools (id, name, description, is_default, routing_priority, routing, created_at, updated_at)
SELECT pg_temp.uuid7(now() - interval '4 years', 'p' || n), 'Bench pool ' || n, '', false, n, '[]', now(), now()
  FROM generate_series(1, 4) n;
CREATE TABLE bench_pools AS SELECT row_number() OVER (ORDER BY name) - 1 AS n, id FROM pools WHERE name LIKE 'Bench pool %';
INSERT INTO pool_member_teams (pool_id, team_id) SELECT p.id, t.id FROM bench_pools p, teams t;

-- Leads and their holds.
CREATE TEMP TABLE g AS
SELECT i, now() - :days * interval '1 day' + (i::float8 / :leads) * :days * interval '1 day' AS t, pg_temp.h(i, 1) AS h
  FROM generate_series(1, :leads) i;
CREATE UNIQUE INDEX ON g (i);
ANALYZE g;
CREATE TEMP TABLE gc AS
SELECT g.i, g.h, j, k, s.started_at,
       least(s.started_at + (1 + pg_temp.h(g.i * 10 + j, 2) % 15) * interval '1 day'
             + (pg_temp.h(g.i * 10 + j, 3) % 24) * interval '1 hour', now()) AS end_at
  FROM g
  CROSS JOIN LATERAL (SELECT CASE WHEN g.h % 100 < 15 THEN 0 ELSE 1 + (g.h / 100) % 6 END AS k) kk
  CROSS JOIN LATERAL generate_series(1, kk.k) j
  CROSS JOIN LATERAL (SELECT g.t + (g.h % 72) * interval '1 hour' + (j - 1) * interval '16 days' AS started_at) s
 WHERE s.started_at < now();
CREATE TEMP TABLE last_j AS SELECT i, max(j) AS j FROM gc GROUP BY i;
CREATE UNIQUE INDEX ON last_j (i);
CREATE TEMP TABLE gc2 AS
SELECT gc.*, pg_temp.uuid7(gc.started_at, 'c' || gc.i || '.' || gc.j) AS id,
       (SELECT id FROM bench_sales WHERE n = (gc.h + gc.j * 37) % 200) AS user_id,
       CASE WHEN lj.j = gc.j THEN
           CASE WHEN gc.end_at >= now() THEN 'open'
                WHEN (gc.h / 7) % 100 < 12 THEN 'converted'
                WHEN (gc.h / 7) % 100 < 17 THEN 'closed'
                WHEN (gc.h / 7) % 100 < 45 THEN 'open'
                WHEN (gc.h / 7) % 100 < 70 THEN 'released'
                ELSE 'recycled_no_contact' END
       ELSE
           CASE WHEN pg_temp.h(gc.i * 10 + gc.j, 4) % 100 < 25 THEN 'released'
                WHEN pg_temp.h(gc.i * 10 + gc.j, 4) % 100 < 40 THEN 'transferred'
                WHEN pg_temp.h(gc.i * 10 + gc.j, 4) % 100 < 55 THEN 'recycled_no_contact'
                WHEN pg_temp.h(gc.i * 10 + gc.j, 4) % 100 < 70 THEN 'recycled_no_first_follow_up'
                WHEN pg_temp.h(gc.i * 10 + gc.j, 4) % 100 < 85 THEN 'recycled_no_progress'
                ELSE 'recycled_no_deal' END
       END AS outcome,
       CASE WHEN gc.j > 1 AND pg_temp.h(gc.i * 10 + gc.j - 1, 4) % 100 BETWEEN 25 AND 39 THEN 'transfer'
            WHEN pg_temp.h(gc.i * 10 + gc.j, 5) % 100 < 60 THEN 'self_claim'
            WHEN pg_temp.h(gc.i * 10 + gc.j, 5) % 100 < 75 THEN 'round_robin'
            WHEN pg_temp.h(gc.i * 10 + gc.j, 5) % 100 < 85 THEN 'capability'
            ELSE 'manager_assign' END AS started_how,
       CASE WHEN pg_temp.h(gc.i * 10 + gc.j, 6) % 10 = 0 THEN 0 ELSE 1 + pg_temp.h(gc.i * 10 + gc.j, 6) % 3 END AS m
  FROM gc JOIN last_j lj ON lj.i = gc.i;
-- A conversion is always recorded by a follow-up, and the hold ends with it (at its last
-- follow-up's time); the next hold of a lead waited in the pool since the previous one ended.
UPDATE gc2 SET m = 1 WHERE outcome = 'converted' AND m = 0;
UPDATE gc2 SET end_at = started_at + (end_at - started_at) * m / (m + 1) WHERE outcome = 'converted';
CREATE UNIQUE INDEX ON gc2 (i, j);
ANALYZE gc, gc2, last_j;
CREATE TEMP TABLE prev AS
SELECT i, j, lag(end_at) OVER (PARTITION BY i ORDER BY j) AS prev_end FROM gc2;
CREATE UNIQUE INDEX ON prev (i, j);
ANALYZE prev;

INSERT INTO leads (id, pool_id, state, stage, owner_id, name, company, province, city, industry, company_size,
                   grade, source_channel, tags, custom, created_at, updated_at, claimed_at, claimed_from_pool,
                   pooled_at, first_claimed_at, converted_at)
SELECT pg_temp.uuid7(g.t, 'l' || g.i),
       (SELECT id FROM bench_pools WHERE n = (g.h / 11) % 4),
       CASE c.outcome WHEN 'open' THEN 'owned' WHEN 'converted' THEN 'converted' WHEN 'closed' THEN 'closed' ELSE 'pooled' END,
       CASE c.outcome WHEN 'converted' THEN 'won' WHEN 'open' THEN 'contacted' WHEN 'closed' THEN 'lost' ELSE NULL END,
       CASE WHEN c.outcome = 'open' THEN c.user_id END,
       '客户' || g.i, '公司' || (g.i % 50000),
       (ARRAY['北京','上海','广东','浙江','江苏','四川','湖北','陕西'])[1 + (g.h / 13) % 8], NULL,
       (ARRAY['IT','制造','零售','教育','医疗','金融','物流','房地产','餐饮','咨询'])[1 + (g.h / 17) % 10],
       (ARRAY['1-20人','20-99人','100-499人','500-999人','1000人以上'])[1 + (g.h / 19) % 5],
       (ARRAY['A','B','C','D'])[1 + (g.h / 23) % 4],
       (ARRAY['website','social','ecommerce','ads','exhibition','event','visit','customer_service','marketing','referral','sales','import'])[1 + (g.h / 29) % 12],
       '{}', '{}', g.t, coalesce(c.end_at, g.t),
       CASE WHEN c.outcome = 'open' THEN c.started_at END, coalesce(c.outcome = 'open', false),
       CASE WHEN c.outcome IS NULL THEN g.t WHEN c.outcome NOT IN ('open', 'converted', 'closed') THEN c.end_at END,
       first.started_at, CASE WHEN c.outcome = 'converted' THEN c.end_at END
  FROM g LEFT JOIN last_j lj ON lj.i = g.i LEFT JOIN gc2 c ON c.i = lj.i AND c.j = lj.j
  LEFT JOIN gc2 first ON first.i = g.i AND first.j = 1;

INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how, ended_at, end_reason,
                    first_follow_up_at, pooled_since, lead_created_at)
SELECT c.id, pg_temp.uuid7(g.t, 'l' || g.i), bp.id, c.user_id,
       c.started_at, (c.started_at AT TIME ZONE :'tz')::date, c.started_how,
       CASE WHEN c.outcome <> 'open' THEN c.end_at END, nullif(c.outcome, 'open'),
       CASE WHEN c.outcome = 'converted' THEN c.started_at + (c.end_at - c.started_at) / c.m
            WHEN c.m > 0 THEN c.started_at + (c.end_at - c.started_at) / (c.m + 1) END,
       CASE WHEN c.started_how <> 'transfer' THEN coalesce(p.prev_end, g.t) END, g.t
  FROM gc2 c JOIN g ON g.i = c.i JOIN prev p ON p.i = c.i AND p.j = c.j JOIN bench_pools bp ON bp.n = (g.h / 11) % 4;

INSERT INTO follow_ups (id, lead_id, claim_id, user_id, type, content, outcome, stage_from, stage_to, created_at)
SELECT pg_temp.uuid7(at, 'f' || c.i || '.' || c.j || '.' || f), pg_temp.uuid7(g.t, 'l' || g.i), c.id, c.user_id,
       (ARRAY['call','call','call','wechat','wechat','visit','email','sms','meeting','other'])[1 + pg_temp.h(c.i * 100 + c.j * 10 + f, 7) % 10],
       '电话沟通，客户有兴趣', NULL,
       CASE WHEN c.outcome = 'converted' AND f = c.m THEN 'negotiation'
            WHEN pg_temp.h(c.i * 100 + c.j * 10 + f, 8) % 100 < 30 THEN (ARRAY['new','contacted','qualified'])[f] END,
       CASE WHEN c.outcome = 'converted' AND f = c.m THEN 'won'
            WHEN pg_temp.h(c.i * 100 + c.j * 10 + f, 8) % 100 < 30 THEN (ARRAY['contacted','qualified','proposal'])[f] END,
       at
  FROM gc2 c JOIN g ON g.i = c.i
  CROSS JOIN LATERAL generate_series(1, c.m) f
  CROSS JOIN LATERAL (SELECT CASE WHEN c.outcome = 'converted'
                                   THEN c.started_at + (c.end_at - c.started_at) * f / c.m
                                   ELSE c.started_at + (c.end_at - c.started_at) * f / (c.m + 1) END AS at) a;
SET session_replication_role = DEFAULT;
-- The report projection is rebuilt from these facts by the running service's projector at its
-- next fold (a watermark of NULL means "never built"); bench/reports waits for it.
UPDATE report_projection SET watermark = NULL;
