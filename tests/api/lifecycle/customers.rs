//! A won lead becomes its owner's customer: kept, read in full by its owner, followed up after
//! the sale, counted toward no quota and never recycled.

use chrono::Duration;
use leadpool::clock::Clock;
use serde_json::json;

use super::world;
use crate::claims::assert_owners_match_claims;

#[actix_web::test]
async fn a_won_lead_stays_with_its_owner_as_a_customer() {
    let mut w = world(json!({"max_owned_per_user": 1})).await;
    let (lead, claimed) = w.claimed_lead(&w.sales).await;
    let phone = claimed["phone"].as_str().unwrap().to_string();
    assert!(
        !phone.contains('*'),
        "the owner sees the phone in full: {phone}"
    );
    let won = w
        .follow_up(
            lead,
            &w.sales,
            json!({"type": "meeting", "content": "签约", "stage": "won"}),
        )
        .await
        .ok(201);
    assert_eq!(won["lead"]["state"], "converted");

    // The owner reads their customer in full and finds it with the lead filters.
    let path = format!("/api/v1/leads/{lead}");
    let mine = w.app.get(&path, &w.sales.token).await.ok(200);
    assert_eq!(mine["state"], "converted");
    assert_eq!(mine["owner_id"], w.sales.id.to_string());
    assert_eq!(mine["phone"], phone.as_str());
    assert_eq!(mine["recycle_at"], json!(null));
    let listed = w
        .app
        .get("/api/v1/leads?state=converted", &w.sales.token)
        .await
        .ok(200);
    let ids: Vec<&str> = listed["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|l| l["id"].as_str())
        .collect();
    assert_eq!(ids, vec![lead.to_string().as_str()]);
    // Their manager sees the team's customer (masked); another salesperson does not.
    let managed = w.app.get(&path, &w.manager.token).await.ok(200);
    assert_eq!(managed["owner_id"], w.sales.id.to_string());
    assert!(managed["phone"].as_str().unwrap().contains('*'));
    w.app
        .get(&path, &w.other.token)
        .await
        .problem(404, "not_found");

    // A customer counts toward no quota: with at most one owned lead, the owner takes another.
    let (_, second) = w.claimed_lead(&w.sales).await;
    assert_eq!(second["state"], "owned");

    // After the sale: visits and renewal calls, without moving the stage.
    let visit = w
        .follow_up(
            lead,
            &w.sales,
            json!({"type": "visit", "content": "回访，续约意向"}),
        )
        .await
        .ok(201);
    assert_eq!(visit["follow_up"]["claim_id"], json!(null));
    assert_eq!(visit["lead"]["state"], "converted");
    let moved = w
        .follow_up(
            lead,
            &w.sales,
            json!({"type": "call", "content": "x", "stage": "negotiation"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(moved["errors"][0]["field"], "stage");
    w.follow_up(lead, &w.other, json!({"type": "call", "content": "x"}))
        .await
        .problem(404, "not_found");
    let follow_ups = w
        .app
        .get(&format!("{path}/follow-ups"), &w.sales.token)
        .await
        .ok(200);
    assert_eq!(follow_ups["items"].as_array().unwrap().len(), 2);

    // Never recycled: a year on, the sweep leaves the customer with its owner.
    let later = w.app.clock.now() + Duration::days(365);
    w.travel(later);
    w.sweep().await;
    let kept = w.app.get(&path, &w.sales.token).await.ok(200);
    assert_eq!(kept["state"], "converted");
    assert_eq!(kept["owner_id"], w.sales.id.to_string());
    let claims = w
        .app
        .get(
            &format!("/api/v1/claims?lead_id={lead}"),
            &w.app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(claims["items"].as_array().unwrap().len(), 1);
    assert_eq!(claims["items"][0]["end_reason"], "converted");
    assert_owners_match_claims(&w.app);
}

/// Customers converted before migration 000026 lost their owner; the migration's backfill gives
/// each the person whose hold converted it (run here on such a lead, from the migration's text).
#[actix_web::test]
async fn customers_converted_before_the_migration_get_their_owner_back() {
    let w = world(json!({})).await;
    let (lead, _) = w.claimed_lead(&w.sales).await;
    w.follow_up(
        lead,
        &w.sales,
        json!({"type": "meeting", "content": "签约", "stage": "won"}),
    )
    .await
    .ok(201);
    let (untouched, _) = w.claimed_lead(&w.other).await;
    // As such a lead was before: converted, no owner.
    w.app.sql(&format!(
        "UPDATE leads SET owner_id = NULL WHERE id = '{lead}'"
    ));
    let up =
        include_str!("../../../migrations/2026-12-04-000026_customers_keep_their_owner/up.sql");
    let backfill = &up[up.find("UPDATE leads l").expect("the backfill")..];
    w.app.sql(backfill);
    let sales = w.sales.id;
    assert_eq!(
        w.app.count(&format!(
            "leads WHERE id = '{lead}' AND state = 'converted' AND owner_id = '{sales}'"
        )),
        1
    );
    let other = w.other.id;
    assert_eq!(
        w.app.count(&format!(
            "leads WHERE id = '{untouched}' AND state = 'owned' AND owner_id = '{other}'"
        )),
        1
    );
    assert_owners_match_claims(&w.app);
}

/// Closing and reopening a customer is a manager's: closed, it leaves its owner; reopened, it is
/// the same person's customer again. Audited and on the timeline.
#[actix_web::test]
async fn managers_close_and_reopen_customers() {
    let w = world(json!({})).await;
    let (lead, _) = w.claimed_lead(&w.sales).await;
    w.follow_up(
        lead,
        &w.sales,
        json!({"type": "meeting", "content": "签约", "stage": "won"}),
    )
    .await
    .ok(201);
    let close = format!("/api/v1/leads/{lead}/close");
    let reopen = format!("/api/v1/leads/{lead}/reopen");
    let why = json!({"reason": "客户公司注销"});
    w.app
        .post(&close, &w.sales.token, &why)
        .await
        .problem(403, "forbidden");
    // Reopening what is not closed is a conflict.
    w.app
        .post(&reopen, &w.manager.token, &json!({}))
        .await
        .problem(409, "conflict");
    let closed = w.app.post(&close, &w.manager.token, &why).await.ok(200);
    assert_eq!(closed["state"], "closed");
    assert_eq!(closed["owner_id"], json!(null));
    assert_eq!(closed["stage"], "won");
    w.app
        .get(&format!("/api/v1/leads/{lead}"), &w.sales.token)
        .await
        .problem(404, "not_found");
    w.app
        .post(&reopen, &w.sales.token, &json!({}))
        .await
        .problem(403, "forbidden");
    let reopened = w
        .app
        .post(&reopen, &w.manager.token, &json!({}))
        .await
        .ok(200);
    assert_eq!(reopened["state"], "converted");
    assert_eq!(reopened["owner_id"], w.sales.id.to_string());
    let mine = w
        .app
        .get(&format!("/api/v1/leads/{lead}"), &w.sales.token)
        .await
        .ok(200);
    assert_eq!(mine["state"], "converted");
    let timeline = w
        .app
        .get(&format!("/api/v1/leads/{lead}/timeline"), &w.sales.token)
        .await
        .ok(200);
    let kinds: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["kind"].as_str())
        .collect();
    assert!(kinds.ends_with(&["closed", "reopened"]), "{kinds:?}");
    let audit = w
        .app
        .get(&format!("/api/v1/audit?lead_id={lead}"), &w.app.admin.token)
        .await
        .ok(200);
    let actions: Vec<&str> = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|e| e["action"].as_str())
        .collect();
    assert!(
        actions.contains(&"lead.closed") && actions.contains(&"lead.reopened"),
        "{actions:?}"
    );
    // A lead closed before it was won stays closed.
    let (never_won, _) = w.claimed_lead(&w.other).await;
    w.app
        .post(
            &format!("/api/v1/leads/{never_won}/close"),
            &w.manager.token,
            &why,
        )
        .await
        .ok(200);
    w.app
        .post(
            &format!("/api/v1/leads/{never_won}/reopen"),
            &w.app.admin.token,
            &json!({}),
        )
        .await
        .problem(409, "conflict");
    assert_owners_match_claims(&w.app);
}
