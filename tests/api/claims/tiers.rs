//! Capability tiers: the grades and quotas of a tier, and the tier policy that computes tiers.

use chrono::Duration;
use leadpool::clock::Clock;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{assert_owners_match_claims, claim, reasons, set_rules};
use crate::common::TestApp;

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
