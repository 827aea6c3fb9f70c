//! What limits claiming: held and daily quotas (also under parallel claims), the local day, the
//! reclaim cooldown, leave and deactivation.

use chrono::{DateTime, Duration, Utc};
use futures_util::future::join_all;
use leadpool::clock::Clock;
use serde_json::json;

use super::{assert_owners_match_claims, claim, count, reasons, set_rules};
use crate::common::TestApp;

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
