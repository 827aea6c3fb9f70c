//! Recycling: each rule at its exact boundary, rule changes, two sweeps at once, and the what-if
//! preview of proposed rules.

use chrono::Duration;
use futures_util::future::join_all;
use leadpool::clock::Clock;
use serde_json::{Value, json};
use uuid::Uuid;

use super::{at, world};
use crate::claims::assert_owners_match_claims;

fn recycled_ids(report: &Value) -> Vec<String> {
    report["recycled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["lead_id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn each_recycle_rule_fires_at_its_boundary_and_not_before() {
    let mut w = world(json!({"no_deal_days": 10, "max_follow_ups_without_progress": 3})).await;
    // First follow-up: exactly 24 hours after the claim.
    let (first, lead) = w.claimed_lead(&w.sales).await;
    let due = at(&lead["recycle_at"]);
    w.travel(due - Duration::seconds(1));
    assert!(recycled_ids(&w.sweep().await).is_empty());
    w.travel(due);
    let report = w.sweep().await;
    assert_eq!(recycled_ids(&report), [first.to_string()]);
    assert_eq!(
        report["recycled"][0]["reason"],
        "recycled_no_first_follow_up"
    );
    assert_eq!(w.lead(first).await["state"], "pooled");

    // No contact: three days after the last follow-up.
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let res = w
        .follow_up(lead, &w.sales, json!({"type": "call", "content": "hi"}))
        .await
        .ok(201);
    let due = at(&res["lead"]["recycle_at"]);
    assert_eq!(res["lead"]["recycle_reason"], "recycled_no_contact");
    w.travel(due - Duration::seconds(1));
    assert!(recycled_ids(&w.sweep().await).is_empty());
    w.travel(due);
    let report = w.sweep().await;
    assert_eq!(recycled_ids(&report), [lead.to_string()]);
    assert_eq!(report["recycled"][0]["reason"], "recycled_no_contact");

    // No progress: the third follow-up without a stage advance makes it due at once.
    let (lead, _) = w.claimed_lead(&w.sales).await;
    for i in 0..2 {
        let res = w
            .follow_up(
                lead,
                &w.sales,
                json!({"type": "call", "content": format!("try {i}")}),
            )
            .await
            .ok(201);
        assert_eq!(res["lead"]["recycle_reason"], "recycled_no_contact");
    }
    let res = w
        .follow_up(lead, &w.sales, json!({"type": "call", "content": "try 3"}))
        .await
        .ok(201);
    assert_eq!(res["lead"]["recycle_reason"], "recycled_no_progress");
    let report = w.sweep().await;
    assert_eq!(recycled_ids(&report), [lead.to_string()]);
    assert_eq!(report["recycled"][0]["reason"], "recycled_no_progress");

    // No deal: ten days after the claim, however diligent the follow-ups; exempt stages never.
    let (lead, claimed) = w.claimed_lead(&w.other).await;
    let (exempt, _) = w.claimed_lead(&w.other).await;
    w.follow_up(
        exempt,
        &w.other,
        json!({"type": "visit", "content": "谈判", "stage": "negotiation"}),
    )
    .await
    .ok(201);
    let deal_due = at(&claimed["claimed_at"]) + Duration::days(10);
    for (day, stage) in [
        (2, Some("contacted")),
        (4, None),
        (6, Some("qualified")),
        (8, None),
    ] {
        w.travel(at(&claimed["claimed_at"]) + Duration::days(day));
        w.follow_up(
            lead,
            &w.other,
            json!({"type": "call", "content": "still talking", "stage": stage}),
        )
        .await
        .ok(201);
    }
    let now_lead = w.lead(lead).await;
    assert_eq!(now_lead["recycle_reason"], "recycled_no_deal");
    assert_eq!(at(&now_lead["recycle_at"]), deal_due);
    w.travel(deal_due - Duration::seconds(1));
    assert!(recycled_ids(&w.sweep().await).is_empty());
    w.travel(deal_due);
    let report = w.sweep().await;
    assert_eq!(recycled_ids(&report), [lead.to_string()]);
    assert_eq!(report["recycled"][0]["reason"], "recycled_no_deal");
    w.travel(deal_due + Duration::days(60));
    assert!(recycled_ids(&w.sweep().await).is_empty());
    let exempt_lead = w.lead(exempt).await;
    assert_eq!(exempt_lead["state"], "owned");
    assert_eq!(exempt_lead["recycle_at"], Value::Null);

    // The owner was told; the timeline and the claim records say why.
    let notes = w
        .app
        .get("/api/v1/notifications", &w.sales.token)
        .await
        .ok(200);
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "recycled" && n["lead_id"] == first.to_string())
    );
    let timeline = w.timeline(first).await;
    let last = timeline.last().unwrap();
    assert_eq!(last["kind"], "claim_ended");
    assert_eq!(last["details"]["reason"], "recycled_no_first_follow_up");
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn a_rule_change_moves_recycle_times_at_once() {
    let w = world(json!({})).await;
    let (lead, claimed) = w.claimed_lead(&w.sales).await;
    w.app
        .json(
            "PUT",
            &format!("/api/v1/pools/{}/rules", w.pool),
            Some(&w.app.admin.token),
            &json!({"first_follow_up_hours": 2}),
        )
        .await
        .ok(200);
    let now = w.lead(lead).await;
    assert_eq!(
        at(&now["recycle_at"]) - at(&claimed["claimed_at"]),
        Duration::hours(2)
    );
}

#[actix_web::test]
async fn two_sweepers_at_once_recycle_each_due_lead_exactly_once() {
    let mut w = world(json!({})).await;
    let people = w.app.quick_users(6, "sales", None);
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    w.app
        .patch(
            &format!("/api/v1/pools/{}", w.pool),
            &w.app.admin.token,
            &json!({"member_user_ids": ids}),
        )
        .await
        .ok(200);
    let mut leads = Vec::new();
    for (i, p) in people.iter().cycle().take(60).enumerate() {
        let lead = w
            .app
            .lead(w.pool, json!({"phone": format!("1350000{i:04}")}))
            .await;
        w.app
            .post(&format!("/api/v1/leads/{lead}/claim"), &p.token, &json!({}))
            .await
            .ok(200);
        leads.push(lead);
    }
    w.travel(w.app.clock.now() + Duration::hours(25));
    let reports = join_all((0..3).map(|_| w.sweep())).await;
    let mut all: Vec<String> = reports.iter().flat_map(recycled_ids).collect();
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!((before, all.len()), (60, 60));
    let ended = {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(
            "SELECT count(*) AS n FROM claims WHERE end_reason = 'recycled_no_first_follow_up'",
        )
        .get_result::<N>(&mut **w.app.pool.get().unwrap())
        .unwrap()
        .n
    };
    assert_eq!(ended, 60);
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn the_what_if_shows_what_a_proposal_would_recycle_and_who_would_be_over_quota() {
    let w = world(json!({})).await;
    let (a, _) = w.claimed_lead(&w.sales).await;
    let (b, _) = w.claimed_lead(&w.sales).await;
    let (c, _) = w.claimed_lead(&w.other).await;
    w.follow_up(c, &w.other, json!({"type": "call", "content": "x"}))
        .await
        .ok(201);
    let path = format!("/api/v1/pools/{}/rules/preview", w.pool);
    w.app
        .post(&path, &w.sales.token, &json!({}))
        .await
        .problem(403, "forbidden");
    let preview = w
        .app
        .post(
            &path,
            &w.app.admin.token,
            &json!({"first_follow_up_hours": 1, "max_owned_per_user": 1}),
        )
        .await
        .ok(200);
    // Now: nothing under either; within 24 h: a and b under the proposal (1 h), also under the
    // current rules (24 h, at the edge); c (followed up) only in 3 days.
    assert_eq!(preview["current"]["count_now"], 0);
    assert_eq!(preview["proposed"]["count_within_24h"], 2);
    let ids: Vec<&str> = preview["proposed"]["within_24h"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lead_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&a.to_string().as_str()) && ids.contains(&b.to_string().as_str()));
    assert_eq!(preview["proposed"]["count_within_7d"], 3);
    assert_eq!(preview["over_quota"].as_array().unwrap().len(), 1);
    assert_eq!(preview["over_quota"][0]["user_id"], w.sales.id.to_string());
    assert_eq!(preview["over_quota"][0]["owned"], 2);
    // Nothing changed.
    let rules = w
        .app
        .get(
            &format!("/api/v1/pools/{}/rules", w.pool),
            &w.app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(rules["version"], 1);
    assert_eq!(rules["rules"]["first_follow_up_hours"], 24);
}
