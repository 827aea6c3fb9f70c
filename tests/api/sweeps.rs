//! An admin's sweep: answered at once when quick, followed in the background when the backlog
//! is large (progress by reason, on any instance), and audited with who asked.

use std::time::{Duration, Instant};

use chrono::Duration as Hours;
use leadpool::clock::Clock;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::TestApp;

/// `n` leads claimed by one salesperson and due back (no first follow-up within the hour).
async fn due_leads(app: &mut TestApp, n: usize) -> Vec<Uuid> {
    let team = app.team("T", None).await;
    let sales = app.user("sales", Some(team)).await;
    let pool = app.pool("P", true, &[team], &[]).await;
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"first_follow_up_hours": 1, "max_claims_per_day": 1000, "max_owned_per_user": 1000}),
    )
    .await
    .ok(200);
    let mut leads = Vec::new();
    for i in 0..n {
        let lead = app
            .lead(pool, json!({"phone": format!("1360000{i:04}")}))
            .await;
        app.post(
            &format!("/api/v1/leads/{lead}/claim"),
            &sales.token,
            &json!({}),
        )
        .await
        .ok(200);
        leads.push(lead);
    }
    let later = app.clock.now() + Hours::hours(2);
    app.travel_to(later);
    leads
}

#[actix_web::test]
async fn a_large_sweep_drains_in_the_background_with_its_progress() {
    // Answer at once (0 ms) and two leads a batch: the drain always outlives the request.
    let mut app = TestApp::spawn_with_settings(&[
        ("LEADPOOL_SWEEP_ANSWER_MS", "0"),
        ("LEADPOOL_SWEEP_BATCH", "2"),
    ])
    .await;
    let leads = due_leads(&mut app, 5).await;
    let res = app
        .post("/api/v1/admin/sweep", &app.admin.token, &json!({}))
        .await;
    let started = res.ok(202);
    let location = res.header("location").unwrap().to_string();
    let id = started["id"].as_str().unwrap();
    assert_eq!(location, format!("/api/v1/admin/sweeps/{id}"));
    assert_eq!(started["requested_by"], app.admin.id.to_string());
    assert!(started["finished_at"].is_null(), "{started}");

    let deadline = Instant::now() + Duration::from_secs(20);
    let run: Value = loop {
        let run = app.get(&location, &app.admin.token).await.ok(200);
        if run["status"] != "running" {
            break run;
        }
        assert!(Instant::now() < deadline, "the sweep did not finish: {run}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(run["status"], "done", "{run}");
    assert_eq!(run["recycled_count"], 5);
    assert_eq!(
        run["recycled_by_reason"],
        json!({"recycled_no_first_follow_up": 5, "recycled_no_contact": 0,
               "recycled_no_progress": 0, "recycled_no_deal": 0})
    );
    assert!(run["finished_at"].is_string());
    for lead in leads {
        let lead = app
            .get(&format!("/api/v1/leads/{lead}"), &app.admin.token)
            .await
            .ok(200);
        assert_eq!(lead["state"], "pooled");
    }
    assert_eq!(
        app.count(&format!(
            "audit_log WHERE action = 'sweep.run' AND object_id = '{id}' AND actor_id = '{}'",
            app.admin.id
        )),
        1
    );
    // Any instance reads the same progress.
    let other = app.instance().await;
    assert_eq!(
        other.get(&location, &app.admin.token).await.ok(200)["recycled_count"],
        5
    );
}

#[actix_web::test]
async fn a_quick_sweep_answers_what_it_did() {
    let mut app = TestApp::spawn_without_jobs().await;
    let leads = due_leads(&mut app, 2).await;
    let done = app
        .post("/api/v1/admin/sweep", &app.admin.token, &json!({}))
        .await
        .ok(200);
    assert_eq!(done["status"], "done", "{done}");
    assert_eq!(done["recycled_count"], 2);
    let mut recycled: Vec<Uuid> = done["recycled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["lead_id"].as_str().unwrap().parse().unwrap())
        .collect();
    recycled.sort();
    let mut expected = leads.clone();
    expected.sort();
    assert_eq!(recycled, expected);
    // The run stays readable.
    let run = app
        .get(
            &format!("/api/v1/admin/sweeps/{}", done["id"].as_str().unwrap()),
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(run["recycled_by_reason"]["recycled_no_first_follow_up"], 2);
    // Unknown sweeps are 404; a run whose instance stopped shows as interrupted.
    app.get(
        &format!("/api/v1/admin/sweeps/{}", Uuid::now_v7()),
        &app.admin.token,
    )
    .await
    .problem(404, "not_found");
    let stale = Uuid::now_v7();
    let long_ago = app.clock.now() - Hours::minutes(5);
    app.sql(&format!(
        "INSERT INTO sweep_runs (id, started_at, heartbeat_at, status) VALUES ('{stale}', '{long_ago}', '{long_ago}', 'running')"
    ));
    let run = app
        .get(&format!("/api/v1/admin/sweeps/{stale}"), &app.admin.token)
        .await
        .ok(200);
    assert_eq!(run["status"], "interrupted", "{run}");
}

/// Warnings go out in batches too (each in its own transaction), and one sweep warns of every
/// lead in the window however many batches that takes — once each.
#[actix_web::test]
async fn a_sweep_warns_of_every_lead_due_soon_batch_by_batch() {
    let mut app = TestApp::spawn_with_settings(&[("LEADPOOL_SWEEP_BATCH", "2")]).await;
    let leads = due_leads(&mut app, 5).await;
    // Back to 35 minutes after the claims: the first follow-up is due in 25 minutes, inside the
    // default 24 h warning window and past half its hour, and nothing is due yet.
    let earlier = app.clock.now() - Hours::hours(2) + Hours::minutes(35);
    app.travel_to(earlier);
    let done = app
        .post("/api/v1/admin/sweep", &app.admin.token, &json!({}))
        .await
        .ok(200);
    assert_eq!(done["recycled_count"], 0, "{done}");
    assert_eq!(done["warned"], 5, "{done}");
    for lead in &leads {
        assert_eq!(
            app.count(&format!(
                "leads WHERE id = '{lead}' AND recycle_warned_at IS NOT NULL"
            )),
            1
        );
    }
    let again = app
        .post("/api/v1/admin/sweep", &app.admin.token, &json!({}))
        .await
        .ok(200);
    assert_eq!(again["warned"], 0, "each lead is warned of once: {again}");
}

/// Several workers drain one sweep side by side: each due lead is recycled once, and the run's
/// counts add up every worker's batches exactly.
#[actix_web::test]
async fn workers_drain_one_sweep_side_by_side_and_count_it_exactly() {
    let mut app = TestApp::spawn_with_settings(&[
        ("LEADPOOL_SWEEP_ANSWER_MS", "0"),
        ("LEADPOOL_SWEEP_BATCH", "3"),
        ("LEADPOOL_SWEEP_WORKERS", "4"),
        ("LEADPOOL_SWEEP_INTERVAL_SECS", "86400"),
    ])
    .await;
    let leads = due_leads(&mut app, 40).await;
    let res = app
        .post("/api/v1/admin/sweep", &app.admin.token, &json!({}))
        .await;
    let location = res.header("location").unwrap().to_string();
    res.ok(202);
    let deadline = Instant::now() + Duration::from_secs(30);
    let run: Value = loop {
        let run = app.get(&location, &app.admin.token).await.ok(200);
        if run["status"] != "running" {
            break run;
        }
        assert!(Instant::now() < deadline, "the sweep did not finish: {run}");
        actix_web::rt::time::sleep(Duration::from_millis(20)).await;
    };
    assert_eq!(run["status"], "done", "{run}");
    assert_eq!(run["recycled_count"], 40, "{run}");
    assert_eq!(run["recycled_by_reason"]["recycled_no_first_follow_up"], 40);
    for lead in &leads {
        assert_eq!(
            app.count(&format!(
                "lead_events WHERE lead_id = '{lead}' AND kind = 'claim_ended'"
            )),
            1
        );
    }
    assert_eq!(app.count("leads WHERE state = 'pooled'"), 40);
    assert_eq!(app.count("claims WHERE ended_at IS NULL"), 0);
}
