//! Warnings before a recycle, their notifications, and the agenda of what is due soonest.

use chrono::Duration;
use leadpool::clock::Clock;
use serde_json::json;

use super::{at, world};

#[actix_web::test]
async fn owners_are_warned_once_and_the_agenda_lists_what_is_due_soonest_first() {
    let mut w = world(json!({"first_follow_up_hours": 48, "warn_before_recycle_hours": 24})).await;
    let (a, claimed) = w.claimed_lead(&w.sales).await;
    let (b, _) = w.claimed_lead(&w.sales).await;
    let (c, _) = w.claimed_lead(&w.sales).await;
    let t0 = at(&claimed["claimed_at"]);
    // b: a follow-up planned in 30 hours; c: one planned in 2 hours that will be overdue.
    let now = w.app.clock.now();
    w.follow_up(
        b,
        &w.sales,
        json!({"type": "call", "content": "x", "next_follow_up_at": now + Duration::hours(30)}),
    )
    .await
    .ok(201);
    w.follow_up(
        c,
        &w.sales,
        json!({"type": "call", "content": "x", "next_follow_up_at": now + Duration::hours(2)}),
    )
    .await
    .ok(201);
    // Not yet within 24 hours of a's recycle time (t0 + 48h).
    w.travel(t0 + Duration::hours(23));
    assert_eq!(w.sweep().await["warned"], 0);
    w.travel(t0 + Duration::hours(25));
    assert_eq!(w.sweep().await["warned"], 1);
    assert_eq!(w.sweep().await["warned"], 0);
    let notes = w
        .app
        .get("/api/v1/notifications?unread=true", &w.sales.token)
        .await
        .ok(200);
    let warning = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "recycle_warning")
        .unwrap()
        .clone();
    assert_eq!(warning["lead_id"], a.to_string());
    let id = warning["id"].as_str().unwrap();
    w.app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &w.other.token,
            &json!({}),
        )
        .await
        .problem(404, "not_found");
    let read = w
        .app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &w.sales.token,
            &json!({}),
        )
        .await
        .ok(200);
    assert!(read["read_at"].is_string());

    // Agenda at t0 + 25h: c's follow-up overdue, b's due in ~5h, a recycled in ~23h.
    let agenda = w.app.get("/api/v1/agenda", &w.sales.token).await.ok(200);
    let items: Vec<(String, String, bool)> = agenda["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["lead_id"].as_str().unwrap().to_string(),
                i["kind"].as_str().unwrap().to_string(),
                i["overdue"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            (c.to_string(), "follow_up".to_string(), true),
            (b.to_string(), "follow_up".to_string(), false),
            (a.to_string(), "recycle".to_string(), false),
        ]
    );
    assert_eq!(agenda["items"][2]["reason"], "recycled_no_first_follow_up");
    let other = w.app.get("/api/v1/agenda", &w.other.token).await.ok(200);
    assert_eq!(other["items"], json!([]));
}

#[actix_web::test]
async fn with_the_default_rules_a_new_claim_is_warned_halfway_to_its_deadline_not_at_once() {
    // Defaults: the first follow-up is due 24 hours after the claim, and the warning window is
    // 24 hours too; a warning as soon as the lead is taken would be noise.
    let mut w = world(json!({})).await;
    let (lead, claimed) = w.claimed_lead(&w.sales).await;
    let t0 = at(&claimed["claimed_at"]);
    assert_eq!(w.sweep().await["warned"], 0);
    w.travel(t0 + Duration::hours(11));
    assert_eq!(w.sweep().await["warned"], 0);
    w.travel(t0 + Duration::hours(13));
    assert_eq!(w.sweep().await["warned"], 1);
    let notes = w
        .app
        .get("/api/v1/notifications?unread=true", &w.sales.token)
        .await
        .ok(200);
    let warned: Vec<_> = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|n| n["kind"] == "recycle_warning")
        .map(|n| n["lead_id"].clone())
        .collect();
    assert_eq!(warned, vec![json!(lead.to_string())]);
}
