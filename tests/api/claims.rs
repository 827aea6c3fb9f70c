//! The pool engine: the masked pool view, first-come claims and their quotas, capability tiers,
//! manager assignment, claim records and explained refusals.

use chrono::{DateTime, Duration, Utc};
use futures_util::future::join_all;
use leadpool::clock::Clock;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{TestApp, TestUser};

async fn set_rules(app: &TestApp, pool: Uuid, rules: Value) -> Value {
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &rules,
    )
    .await
    .ok(200)
}

async fn claim(app: &TestApp, lead: Uuid, user: &TestUser) -> crate::common::Response {
    app.post(
        &format!("/api/v1/leads/{lead}/claim"),
        &user.token,
        &json!({}),
    )
    .await
}

fn count(app: &TestApp, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(format!("SELECT ({sql})::bigint AS n"))
        .get_result::<N>(&mut **conn)
        .unwrap()
        .n
}

fn reasons(candidate: &Value) -> Vec<String> {
    candidate["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

/// Every owned lead has exactly one open claim, for its owner, and no other lead has one.
pub fn assert_owners_match_claims(app: &TestApp) {
    let broken = count(
        app,
        "SELECT count(*) FROM leads l FULL JOIN (SELECT * FROM claims WHERE ended_at IS NULL) c
           ON c.lead_id = l.id
         WHERE l.owner_id IS DISTINCT FROM c.user_id",
    );
    assert_eq!(broken, 0, "owners and open claims disagree");
}

#[actix_web::test]
async fn a_claim_takes_a_pooled_lead_records_it_and_reveals_it_to_the_new_owner_only() {
    let app = TestApp::spawn().await;
    let team = app.team("East", None).await;
    let a = app.user("sales", Some(team)).await;
    let b = app.user("sales", Some(team)).await;
    let outsider = app.user("sales", None).await;
    let pool = app.pool("East pool", true, &[team], &[]).await;
    let lead = app
        .lead(
            pool,
            json!({"name": "张伟", "company": "星辰科技", "phone": "138 1234 5678",
                   "email": "Zhang.Wei@Example.com", "wechat": "wxid_abc123", "grade": "B"}),
        )
        .await;

    // Members browse the pool with contact data masked.
    let page = app
        .get(&format!("/api/v1/pools/{pool}/leads"), &a.token)
        .await;
    let body = String::from_utf8_lossy(&page.body).to_string();
    let page = page.ok(200);
    let item = &page["items"][0];
    assert_eq!(item["id"], lead.to_string());
    assert_eq!(item["phone"], "138****5678");
    assert_eq!(item["email"], "z***@example.com");
    assert_eq!(item["wechat"], "w***3");
    assert_eq!(item["company"], "星辰科技");
    for secret in ["13812345678", "zhang.wei", "wxid_abc123"] {
        assert!(!body.contains(secret), "{secret} leaked: {body}");
    }
    app.get(&format!("/api/v1/pools/{pool}/leads"), &outsider.token)
        .await
        .problem(404, "not_found");
    claim(&app, lead, &outsider).await.problem(404, "not_found");
    // A pooled lead is not one of a salesperson's leads.
    app.get(&format!("/api/v1/leads/{lead}"), &a.token)
        .await
        .problem(404, "not_found");

    let taken = claim(&app, lead, &a).await.ok(200);
    assert_eq!(taken["lead"]["state"], "owned");
    assert_eq!(taken["lead"]["stage"], "new");
    assert_eq!(taken["lead"]["owner_id"], a.id.to_string());
    assert_eq!(taken["lead"]["phone"], "+8613812345678");
    assert_eq!(taken["claim"]["started_how"], "self_claim");
    assert_eq!(taken["claim"]["active"], true);
    assert_eq!(taken["claim"]["user_id"], a.id.to_string());
    let full = app
        .get(&format!("/api/v1/leads/{lead}"), &a.token)
        .await
        .ok(200);
    assert_eq!(full["email"], "zhang.wei@example.com");
    let page = app
        .get(&format!("/api/v1/pools/{pool}/leads"), &b.token)
        .await
        .ok(200);
    assert_eq!(page["items"], json!([]));

    // The loser learns nothing about a colleague's lead: it answers like an id no lead has, and
    // no decision is stored for the attempt.
    claim(&app, lead, &b).await.problem(404, "not_found");
    let none = app
        .get("/api/v1/claim-decisions?outcome=refused", &b.token)
        .await
        .ok(200);
    assert_eq!(none["items"], json!([]));
    // The holder, who may read the lead, is told it is taken, with the stored explanation.
    let refused = claim(&app, lead, &a)
        .await
        .problem(409, "lead_already_claimed");
    assert_eq!(reasons(&refused["explanation"][0]), ["already_claimed"]);
    let decision_id = refused["decision_id"].as_str().unwrap();
    let decision = app
        .get(&format!("/api/v1/claim-decisions/{decision_id}"), &a.token)
        .await
        .ok(200);
    assert_eq!(decision["outcome"], "refused");
    assert_eq!(decision["code"], "lead_already_claimed");
    assert_eq!(decision["kind"], "claim");
    app.get(&format!("/api/v1/claim-decisions/{decision_id}"), &b.token)
        .await
        .problem(404, "not_found");
    app.get(
        &format!("/api/v1/claim-decisions/{decision_id}"),
        &app.admin.token,
    )
    .await
    .ok(200);
    let mine = app
        .get("/api/v1/claim-decisions?outcome=refused", &a.token)
        .await
        .ok(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    app.get(
        &format!("/api/v1/claim-decisions?user_id={}", a.id),
        &b.token,
    )
    .await
    .problem(403, "forbidden");

    // The record: on the timeline, in the claim list (scoped), in the audit trail.
    let timeline = app
        .get(&format!("/api/v1/leads/{lead}/timeline"), &a.token)
        .await
        .ok(200);
    let kinds: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "claimed"]);
    let claims = app.get("/api/v1/claims", &a.token).await.ok(200);
    assert_eq!(claims["items"].as_array().unwrap().len(), 1);
    assert_eq!(claims["items"][0]["lead_id"], lead.to_string());
    let none = app.get("/api/v1/claims", &b.token).await.ok(200);
    assert_eq!(none["items"], json!([]));
    let open = app
        .get(
            &format!("/api/v1/claims?lead_id={lead}&active=true"),
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(open["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM audit_log WHERE action = 'lead.claimed' AND lead_id = '{lead}'"
            )
        ),
        1
    );
    assert_owners_match_claims(&app);
}

#[actix_web::test]
async fn of_a_hundred_parallel_claims_on_one_lead_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let team = app.team("Crowd", None).await;
    let people = app.quick_users(100, "sales", Some(team));
    let pool = app.pool("Crowded", true, &[team], &[]).await;
    let lead = app.lead(pool, json!({"phone": "13900000001"})).await;
    let answers = join_all(people.iter().map(|p| claim(&app, lead, p))).await;
    let won = answers.iter().filter(|r| r.status == 200).count();
    assert_eq!(won, 1);
    // A loser that read the lead while it was pooled lost the race (409); one that read it after
    // the winner took it is answered like an unknown id (404).
    let mut lost_races = 0;
    for answer in answers.iter().filter(|r| r.status != 200) {
        if answer.status == 404 {
            answer.problem(404, "not_found");
        } else {
            answer.problem(409, "lead_already_claimed");
            lost_races += 1;
        }
    }
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM claims WHERE lead_id = '{lead}'")
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM claim_decisions WHERE lead_id = '{lead}' AND outcome = 'refused'"
            )
        ),
        lost_races,
        "a decision is stored for each lost race, none for a lead already out of the pool"
    );
    assert_owners_match_claims(&app);
}

#[actix_web::test]
async fn quotas_hold_under_fifty_parallel_claims_by_one_person() {
    let app = TestApp::spawn().await;
    let me = app.user("sales", None).await;
    let pool = app.pool("Quota", true, &[], &[me.id]).await;
    let mut leads = Vec::new();
    for i in 0..100 {
        leads.push(
            app.lead(pool, json!({"phone": format!("1390000{i:04}")}))
                .await,
        );
    }
    // Defaults: 10 claims a day.
    let answers = join_all(leads[..50].iter().map(|l| claim(&app, *l, &me))).await;
    assert_eq!(answers.iter().filter(|r| r.status == 200).count(), 10);
    for refused in answers.iter().filter(|r| r.status != 200) {
        let body = refused.problem(422, "daily_claim_limit_reached");
        assert_eq!(body["explanation"][0]["claimed_today"], 10);
        assert_eq!(body["explanation"][0]["max_claims_per_day"], 10);
    }
    // At most 12 held: two more of 50 tries.
    set_rules(
        &app,
        pool,
        json!({"max_owned_per_user": 12, "max_claims_per_day": 1000}),
    )
    .await;
    let answers = join_all(leads[50..].iter().map(|l| claim(&app, *l, &me))).await;
    assert_eq!(answers.iter().filter(|r| r.status == 200).count(), 2);
    for refused in answers.iter().filter(|r| r.status != 200) {
        refused.problem(422, "claim_quota_exceeded");
    }
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM leads WHERE owner_id = '{}'", me.id)
        ),
        12
    );
    let profile = app.get("/api/v1/me", &me.token).await.ok(200);
    assert_eq!(profile["pools"][0]["owned"], 12);
    assert_eq!(profile["pools"][0]["owned_left"], 0);
    assert_eq!(profile["pools"][0]["claimed_today"], 12);
    assert_owners_match_claims(&app);
}

#[actix_web::test]
async fn the_daily_limit_follows_the_local_day_and_releases_do_not_give_claims_back() {
    let mut app = TestApp::spawn().await;
    let me = app.user("sales", None).await;
    let pool = app.pool("Daily", true, &[], &[me.id]).await;
    set_rules(&app, pool, json!({"max_claims_per_day": 2})).await;
    let mut leads = Vec::new();
    for i in 0..4 {
        leads.push(
            app.lead(pool, json!({"phone": format!("1370000{i:04}")}))
                .await,
        );
    }
    // 23:58 in Shanghai (LEADPOOL_TIMEZONE defaults to Asia/Shanghai) is 15:58 UTC.
    let evening: DateTime<Utc> = "2026-11-27T15:58:00Z".parse().unwrap();
    app.travel_to(evening);
    let me = app.fresh(&me);
    claim(&app, leads[0], &me).await.ok(200);
    claim(&app, leads[1], &me).await.ok(200);
    claim(&app, leads[2], &me)
        .await
        .problem(422, "daily_claim_limit_reached");
    // Giving one back does not give a claim back.
    app.end_claim(leads[0], "released");
    claim(&app, leads[2], &me)
        .await
        .problem(422, "daily_claim_limit_reached");
    let profile = app.get("/api/v1/me", &me.token).await.ok(200);
    assert_eq!(profile["pools"][0]["claims_left_today"], 0);
    // 00:00:30 in Shanghai the next day, though still the 27th in UTC: a new day.
    app.travel_to("2026-11-27T16:00:30Z".parse().unwrap());
    let me = app.fresh(&me);
    claim(&app, leads[2], &me).await.ok(200);
    claim(&app, leads[3], &me).await.ok(200);
    let profile = app.get("/api/v1/me", &me.token).await.ok(200);
    assert_eq!(profile["pools"][0]["claimed_today"], 2);
    assert_owners_match_claims(&app);
}

#[actix_web::test]
async fn a_previous_owner_waits_out_the_cooldown() {
    let mut app = TestApp::spawn().await;
    let me = app.user("sales", None).await;
    let other = app.user("sales", None).await;
    let pool = app.pool("Cool", true, &[], &[me.id, other.id]).await;
    let lead = app.lead(pool, json!({"phone": "13600000000"})).await;
    claim(&app, lead, &me).await.ok(200);
    app.end_claim(lead, "released");
    let refused = claim(&app, lead, &me)
        .await
        .problem(422, "reclaim_cooldown");
    assert!(refused["explanation"][0]["cooldown_until"].is_string());
    // Someone else may take it at once.
    claim(&app, lead, &other).await.ok(200);
    app.end_claim(lead, "released");
    app.travel_to(app.clock.now() + Duration::days(7) + Duration::minutes(1));
    let me = app.fresh(&me);
    claim(&app, lead, &me).await.ok(200);
    // A cooldown of 0 turns it off.
    app.end_claim(lead, "released");
    claim(&app, lead, &me)
        .await
        .problem(422, "reclaim_cooldown");
    set_rules(&app, pool, json!({"reclaim_cooldown_days": 0})).await;
    claim(&app, lead, &me).await.ok(200);
}

#[actix_web::test]
async fn people_on_leave_or_deactivated_cannot_claim() {
    let app = TestApp::spawn().await;
    let me = app.user("sales", None).await;
    let pool = app.pool("Leave", true, &[], &[me.id]).await;
    let lead = app.lead(pool, json!({"phone": "13500000000"})).await;
    let now = app.clock.now();
    app.patch(
        &format!("/api/v1/users/{}", me.id),
        &app.admin.token,
        &json!({"on_leave_from": now - Duration::hours(1), "on_leave_until": now + Duration::days(3)}),
    )
    .await
    .ok(200);
    let refused = claim(&app, lead, &me).await.problem(422, "user_on_leave");
    assert_eq!(reasons(&refused["explanation"][0]), ["on_leave"]);
    app.patch(
        &format!("/api/v1/users/{}", me.id),
        &app.admin.token,
        &json!({"on_leave_from": null, "on_leave_until": null, "active": false}),
    )
    .await
    .ok(200);
    // The access token is still within its lifetime, but deactivation ends the session at once.
    claim(&app, lead, &me)
        .await
        .problem(401, "account_disabled");
}

#[actix_web::test]
async fn capability_tiers_decide_grades_and_quotas() {
    let app = TestApp::spawn().await;
    let me = app.user("sales", None).await;
    let pool = app.pool("Tiers", true, &[], &[me.id]).await;
    set_rules(
        &app,
        pool,
        json!({
            "claim_mode": "capability", "default_tier": 2,
            "tiers": [
                {"tier": 1, "max_owned": 5, "max_claims_per_day": 5, "grades": ["A", "B"]},
                {"tier": 2, "max_owned": 2, "max_claims_per_day": 2, "grades": ["C", "D"]}
            ]
        }),
    )
    .await;
    let a = app
        .lead(pool, json!({"phone": "13400000001", "grade": "A"}))
        .await;
    let c = app
        .lead(pool, json!({"phone": "13400000002", "grade": "C"}))
        .await;
    let d = app
        .lead(pool, json!({"phone": "13400000003", "grade": "D"}))
        .await;
    let ungraded = app.lead(pool, json!({"phone": "13400000004"})).await;

    let refused = claim(&app, a, &me).await.problem(422, "grade_not_allowed");
    assert_eq!(refused["explanation"][0]["tier"], 2);
    let taken = claim(&app, c, &me).await.ok(200);
    assert_eq!(taken["claim"]["started_how"], "capability");
    let profile = app.get("/api/v1/me", &me.token).await.ok(200);
    let quota = &profile["pools"][0];
    assert_eq!(quota["claim_mode"], "capability");
    assert_eq!(quota["tier"], 2);
    assert_eq!(quota["grades"], json!(["C", "D"]));
    assert_eq!(quota["max_owned"], 2);
    assert_eq!(quota["owned_left"], 1);
    assert_eq!(quota["claims_left_today"], 1);
    claim(&app, d, &me).await.ok(200);
    // At the tier's limits (held and daily): the held limit is named first.
    let refused = claim(&app, ungraded, &me)
        .await
        .problem(422, "claim_quota_exceeded");
    assert_eq!(
        reasons(&refused["explanation"][0]),
        ["at_max_owned", "daily_limit"]
    );
    // Promoted by an admin: the first tier's grades and quotas.
    let user = app
        .patch(
            &format!("/api/v1/users/{}", me.id),
            &app.admin.token,
            &json!({"tier": 1}),
        )
        .await
        .ok(200);
    assert_eq!(user["tier_source"], "manual");
    claim(&app, a, &me).await.ok(200);
    // next-lead in a capability pool: the next lead of an allowed grade.
    let next = app
        .post(
            &format!("/api/v1/pools/{pool}/next-lead"),
            &me.token,
            &json!({}),
        )
        .await
        .ok(200);
    assert_eq!(next["lead"]["id"], ungraded.to_string());
    app.post(
        &format!("/api/v1/pools/{pool}/next-lead"),
        &me.token,
        &json!({}),
    )
    .await
    .problem(409, "pool_empty");
    assert_owners_match_claims(&app);
}

#[actix_web::test]
async fn the_tier_policy_computes_tiers_from_claims_and_conversions() {
    let app = TestApp::spawn().await;
    let strong = app.user("sales", None).await;
    let weak = app.user("sales", None).await;
    let pinned = app.user("sales", None).await;
    let pool = app.pool("History", true, &[], &[]).await;
    app.patch(
        &format!("/api/v1/users/{}", pinned.id),
        &app.admin.token,
        &json!({"tier": 3}),
    )
    .await
    .ok(200);
    // A history: strong held 4 leads in the window and converted 2; pinned the same.
    let now = app.clock.now();
    for (i, (who, converted)) in [
        (strong.id, true),
        (strong.id, true),
        (strong.id, false),
        (strong.id, false),
        (weak.id, false),
        (pinned.id, true),
        (pinned.id, true),
    ]
    .into_iter()
    .enumerate()
    {
        let lead = app
            .lead(pool, json!({"phone": format!("1330000{i:04}")}))
            .await;
        let reason = if converted { "converted" } else { "released" };
        app.sql(&format!(
            "INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how, ended_at, end_reason)
             VALUES ('{}', '{lead}', '{pool}', '{who}', '{}', '{}', 'self_claim', '{}', '{reason}')",
            Uuid::now_v7(),
            now - Duration::days(10),
            (now - Duration::days(10)).date_naive(),
            now - Duration::days(9),
        ));
    }
    app.json(
        "PUT",
        "/api/v1/tier-policy",
        Some(&strong.token),
        &json!({}),
    )
    .await
    .problem(403, "forbidden");
    app.json(
        "PUT",
        "/api/v1/tier-policy",
        Some(&app.admin.token),
        &json!({"window_days": 30, "levels": [{"tier": 1, "min_claims": 3, "min_conversion_rate": 0.5}], "fallback_tier": 2}),
    )
    .await
    .ok(200);
    let policy = app
        .get("/api/v1/tier-policy", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(policy["policy"]["levels"][0]["min_claims"], 3);
    let result = app
        .post(
            "/api/v1/tier-policy/recompute",
            &app.admin.token,
            &json!({}),
        )
        .await
        .ok(200);
    let changed: Vec<(String, Value)> = result["changed"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| (c["user_id"].as_str().unwrap().to_string(), c["to"].clone()))
        .collect();
    assert!(
        changed.contains(&(strong.id.to_string(), json!(1))),
        "{result}"
    );
    assert!(
        changed.contains(&(weak.id.to_string(), json!(2))),
        "{result}"
    );
    assert!(!changed.iter().any(|(u, _)| *u == pinned.id.to_string()));
    let me = app.get("/api/v1/me", &strong.token).await.ok(200);
    assert_eq!(me["tier"], 1);
    let user = app
        .get(&format!("/api/v1/users/{}", pinned.id), &app.admin.token)
        .await
        .ok(200);
    assert_eq!(
        (user["tier"].clone(), user["tier_source"].clone()),
        (json!(3), json!("manual"))
    );
    // A shorter window forgets the history.
    app.json(
        "PUT",
        "/api/v1/tier-policy",
        Some(&app.admin.token),
        &json!({"window_days": 5, "levels": [{"tier": 1, "min_claims": 3, "min_conversion_rate": 0.5}], "fallback_tier": 2}),
    )
    .await
    .ok(200);
    app.post(
        "/api/v1/tier-policy/recompute",
        &app.admin.token,
        &json!({}),
    )
    .await
    .ok(200);
    let me = app.get("/api/v1/me", &strong.token).await.ok(200);
    assert_eq!(me["tier"], 2);
}

#[actix_web::test]
async fn managers_assign_to_their_team_and_only_admins_override_quotas() {
    let app = TestApp::spawn().await;
    let manager = app.user("manager", None).await;
    let team = app.team("Mine", Some(manager.id)).await;
    let mine = app.user("sales", Some(team)).await;
    let other = app.user("sales", None).await;
    let pool = app
        .pool("Assign", true, &[team], &[manager.id, other.id])
        .await;
    set_rules(&app, pool, json!({"max_owned_per_user": 1})).await;
    let l1 = app.lead(pool, json!({"phone": "13200000001"})).await;
    let l2 = app.lead(pool, json!({"phone": "13200000002"})).await;
    let assign = |lead: Uuid, token: String, body: Value| {
        let app = &app;
        async move {
            app.post(&format!("/api/v1/leads/{lead}/assign"), &token, &body)
                .await
        }
    };
    assign(l1, mine.token.clone(), json!({"user_id": other.id}))
        .await
        .problem(403, "forbidden");
    let res = assign(l1, manager.token.clone(), json!({"user_id": other.id}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(res["errors"][0]["field"], "user_id");
    let taken = assign(l1, manager.token.clone(), json!({"user_id": mine.id}))
        .await
        .ok(200);
    assert_eq!(taken["claim"]["started_how"], "manager_assign");
    assert_eq!(taken["claim"]["started_by"], manager.id.to_string());
    assert_eq!(taken["lead"]["owner_id"], mine.id.to_string());
    assign(l1, manager.token.clone(), json!({"user_id": mine.id}))
        .await
        .problem(409, "lead_already_claimed");
    assign(l2, manager.token.clone(), json!({"user_id": mine.id}))
        .await
        .problem(422, "claim_quota_exceeded");
    assign(
        l2,
        manager.token.clone(),
        json!({"user_id": mine.id, "quota_override": true}),
    )
    .await
    .problem(403, "forbidden");
    assign(
        l2,
        app.admin.token.clone(),
        json!({"user_id": mine.id, "owner_id": mine.id}),
    )
    .await
    .problem(422, "validation_failed");
    let taken = assign(
        l2,
        app.admin.token.clone(),
        json!({"user_id": mine.id, "quota_override": true}),
    )
    .await
    .ok(200);
    assert_eq!(taken["claim"]["quota_override"], true);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM audit_log WHERE action = 'lead.assigned_over_quota' AND lead_id = '{l2}'"
            )
        ),
        1
    );
    // The manager reads the team's claims, not others'.
    let claims = app.get("/api/v1/claims", &manager.token).await.ok(200);
    assert_eq!(claims["items"].as_array().unwrap().len(), 2);
    assert_owners_match_claims(&app);
}

#[actix_web::test]
async fn no_owner_changes_without_a_claim_record_whatever_the_path() {
    use diesel::connection::SimpleConnection;
    let app = TestApp::spawn().await;
    let me = app.user("sales", None).await;
    let pool = app.pool("Guarded", true, &[], &[me.id]).await;
    let lead = app.lead(pool, json!({"phone": "13100000000"})).await;
    let mut conn = app.pool.get().unwrap();
    // An owner set by hand, without a claim record: refused at commit.
    let err = conn
        .batch_execute(&format!(
            "UPDATE leads SET state = 'owned', stage = 'new', owner_id = '{}' WHERE id = '{lead}'",
            me.id
        ))
        .unwrap_err();
    assert!(err.to_string().contains("open claim"), "{err}");
    // A claim record without the owner: refused too.
    let err = conn
        .batch_execute(&format!(
            "INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how)
             VALUES ('{}', '{lead}', '{pool}', '{}', now(), current_date, 'self_claim')",
            Uuid::now_v7(),
            me.id
        ))
        .unwrap_err();
    assert!(err.to_string().contains("open claim"), "{err}");
    // Two open claims for one lead cannot exist.
    claim(&app, lead, &me).await.ok(200);
    let err = conn
        .batch_execute(&format!(
            "INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how)
             VALUES ('{}', '{lead}', '{pool}', '{}', now(), current_date, 'self_claim')",
            Uuid::now_v7(),
            me.id
        ))
        .unwrap_err();
    assert!(
        err.to_string().contains("claims_one_open_per_lead"),
        "{err}"
    );
    // The audit trail cannot be rewritten.
    let err = conn.batch_execute("DELETE FROM audit_log").unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_owners_match_claims(&app);
}
