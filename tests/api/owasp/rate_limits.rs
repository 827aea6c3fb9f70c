//! API4 and API6: the per-person claim rate and the quotas stop a script taking a whole pool.

use leadpool::clock::Clock;
use serde_json::json;

use super::code;
use crate::common::TestApp;

/// API4 and API6: a script claiming a whole pool as fast as it can is stopped by the per-person
/// claim rate (429 with Retry-After, counted across attempts that fail too) and by the quotas;
/// the next minute it may try again, and it never holds more than its quota.
#[actix_web::test]
async fn a_script_claiming_a_whole_pool_is_stopped_by_rate_and_quota() {
    // The production default (the other tests claim in bursts with a high limit).
    let mut app =
        TestApp::spawn_with_settings(&[("LEADPOOL_CLAIM_ATTEMPTS_PER_MINUTE", "30")]).await;
    let team = app.team("Bots", None).await;
    let bot = app.user("sales", Some(team)).await;
    let pool = app.pool("Big pool", true, &[team], &[]).await;
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"max_owned_per_user": 40, "max_claims_per_day": 1000}),
    )
    .await
    .ok(200);
    let mut leads = Vec::new();
    for i in 0..70 {
        leads.push(
            app.lead(pool, json!({"phone": format!("1360000{i:04}")}))
                .await,
        );
    }
    // Land at the start of a minute, so the whole burst falls in one window.
    let now = app.clock.now();
    let next_minute = now + chrono::Duration::seconds(60 - now.timestamp() % 60);
    app.travel_to(next_minute);

    let limit = app.state.config.claim_attempts_per_minute as usize;
    assert_eq!(limit, 30);
    let mut statuses = Vec::new();
    let mut retry_after = None;
    for lead in &leads {
        let res = app
            .post(
                &format!("/api/v1/leads/{lead}/claim"),
                &bot.token,
                &json!({}),
            )
            .await;
        if res.status == 429 {
            retry_after = res.header("retry-after").map(str::to_string);
            res.problem(429, "rate_limited");
        }
        statuses.push(res.status);
    }
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        limit,
        "{statuses:?}"
    );
    assert!(statuses[limit..].iter().all(|s| *s == 429), "{statuses:?}");
    let wait: u64 = retry_after.unwrap().parse().unwrap();
    assert!((1..=60).contains(&wait), "Retry-After {wait}");
    // Next-lead counts against the same limit.
    app.post(
        &format!("/api/v1/pools/{pool}/next-lead"),
        &bot.token,
        &json!({}),
    )
    .await
    .problem(429, "rate_limited");

    // Each following minute the bot may go on, until the quota stops it for good.
    let mut held = limit;
    let mut next = limit;
    let mut refusals = Vec::new();
    for round in 1..4 {
        app.travel_to(next_minute + chrono::Duration::minutes(round));
        while next < leads.len() {
            let lead = leads[next];
            let res = app
                .post(
                    &format!("/api/v1/leads/{lead}/claim"),
                    &bot.token,
                    &json!({}),
                )
                .await;
            match res.status {
                200 => {
                    held += 1;
                    next += 1;
                }
                429 => break,
                _ => {
                    refusals.push(code(&res));
                    next += 1;
                }
            }
        }
    }
    assert_eq!(held, 40, "the quota caps what the script holds");
    assert!(!refusals.is_empty());
    assert!(
        refusals
            .iter()
            .all(|r| *r == (422, "claim_quota_exceeded".to_string())),
        "{refusals:?}"
    );
    let mine = app
        .get("/api/v1/leads?state=owned&limit=200", &bot.token)
        .await
        .ok(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 40);
}
