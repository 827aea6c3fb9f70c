//! Releases and transfers, at once or through an approval, and every decision on an approval.

use chrono::Duration;
use leadpool::clock::Clock;
use serde_json::json;

use super::world;
use crate::claims::assert_owners_match_claims;

#[actix_web::test]
async fn releases_with_and_without_approval_and_every_decision_path() {
    let mut w = world(json!({"release_requires_approval": false})).await;
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let path = format!("/api/v1/leads/{lead}/release");
    w.app
        .post(&path, &w.sales.token, &json!({"reason_code": "bored"}))
        .await
        .problem(422, "validation_failed");
    w.app
        .post(&path, &w.sales.token, &json!({"reason_code": "other"}))
        .await
        .problem(422, "validation_failed");
    w.app
        .post(
            &path,
            &w.other.token,
            &json!({"reason_code": "unreachable"}),
        )
        .await
        .problem(404, "not_found");
    let done = w
        .app
        .post(
            &path,
            &w.sales.token,
            &json!({"reason_code": "unreachable"}),
        )
        .await
        .ok(200);
    assert_eq!(done["lead"]["state"], "pooled");
    w.app
        .post(
            &path,
            &w.sales.token,
            &json!({"reason_code": "unreachable"}),
        )
        .await
        .problem(404, "not_found");

    // With approval: 202, the lead stays; approve, reject, cancel, twice, by the wrong person.
    w.app
        .json(
            "PUT",
            &format!("/api/v1/pools/{}/rules", w.pool),
            Some(&w.app.admin.token),
            &json!({}),
        )
        .await
        .ok(200);
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let path = format!("/api/v1/leads/{lead}/release");
    let pending = w
        .app
        .post(&path, &w.sales.token, &json!({"reason_code": "budget"}))
        .await;
    assert_eq!(pending.status, 202);
    let approval = pending.json()["approval"].clone();
    assert_eq!(approval["status"], "pending");
    let id = approval["id"].as_str().unwrap().to_string();
    assert_eq!(w.lead(lead).await["state"], "owned");
    w.app
        .post(&path, &w.sales.token, &json!({"reason_code": "budget"}))
        .await
        .problem(409, "approval_pending");
    // Salespeople never approve: 403 whoever's the request.
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/approve"),
            &w.other.token,
            &json!({}),
        )
        .await
        .problem(403, "forbidden");
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/approve"),
            &w.sales.token,
            &json!({}),
        )
        .await
        .problem(403, "forbidden");
    let mine = w
        .app
        .get(
            "/api/v1/approvals?role=approver&status=pending",
            &w.manager.token,
        )
        .await
        .ok(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    w.app
        .get("/api/v1/approvals?role=approver", &w.sales.token)
        .await
        .problem(403, "forbidden");
    let approved = w
        .app
        .post(
            &format!("/api/v1/approvals/{id}/approve"),
            &w.manager.token,
            &json!({"comment": "同意"}),
        )
        .await
        .ok(200);
    assert_eq!(approved["approval"]["status"], "approved");
    assert_eq!(approved["approval"]["decided_by"], w.manager.id.to_string());
    // The answer carries the lead as the decision left it, as a read of it shows.
    assert_eq!(approved["lead"]["state"], "pooled");
    assert_eq!(approved["lead"]["owner_id"], json!(null));
    assert_eq!(w.lead(lead).await["state"], "pooled");
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/reject"),
            &w.manager.token,
            &json!({}),
        )
        .await
        .problem(409, "approval_already_decided");

    // Rejected: the lead stays. Cancelled by the requester while pending.
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let id = w.request_release(lead, &w.sales).await;
    let rejected = w
        .app
        .post(
            &format!("/api/v1/approvals/{id}/reject"),
            &w.manager.token,
            &json!({"comment": "再跟一下"}),
        )
        .await
        .ok(200);
    assert_eq!(rejected["approval"]["status"], "rejected");
    assert_eq!(rejected["lead"]["owner_id"], w.sales.id.to_string());
    assert_eq!(w.lead(lead).await["owner_id"], w.sales.id.to_string());
    let id = w.request_release(lead, &w.sales).await;
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/cancel"),
            &w.manager.token,
            &json!({}),
        )
        .await
        .problem(403, "forbidden");
    let cancelled = w
        .app
        .post(
            &format!("/api/v1/approvals/{id}/cancel"),
            &w.sales.token,
            &json!({}),
        )
        .await
        .ok(200);
    assert_eq!(cancelled["status"], "cancelled");
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/cancel"),
            &w.sales.token,
            &json!({}),
        )
        .await
        .problem(409, "approval_already_decided");

    // Obsolete: the lead is recycled while the request waits.
    let id = w.request_release(lead, &w.sales).await;
    w.app.travel_to(w.app.clock.now() + Duration::days(30));
    let admin = w.app.admin.clone();
    w.sweep().await;
    let got = w
        .app
        .get(&format!("/api/v1/approvals/{id}"), &admin.token)
        .await
        .ok(200);
    assert_eq!(got["status"], "obsolete");
    let manager = w.app.fresh(&w.manager);
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/approve"),
            &manager.token,
            &json!({}),
        )
        .await
        .problem(409, "approval_already_decided");
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn transfers_by_request_or_by_a_manager_with_the_receivers_quota() {
    let w = world(json!({"max_owned_per_user": 2})).await;
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let path = format!("/api/v1/leads/{lead}/transfer");
    let pending = w
        .app
        .post(
            &path,
            &w.sales.token,
            &json!({"to_user_id": w.other.id, "reason": "他更懂这个行业"}),
        )
        .await;
    assert_eq!(pending.status, 202);
    let id = pending.json()["approval"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let approved = w
        .app
        .post(
            &format!("/api/v1/approvals/{id}/approve"),
            &w.manager.token,
            &json!({}),
        )
        .await
        .ok(200);
    assert_eq!(approved["approval"]["status"], "approved");
    assert_eq!(approved["lead"]["owner_id"], w.other.id.to_string());
    let moved = w.lead(lead).await;
    assert_eq!(moved["owner_id"], w.other.id.to_string());
    // The new hold is not "from a pool": no first-follow-up rule, three days without contact.
    assert_eq!(moved["recycle_reason"], "recycled_no_contact");
    let claims = w.claims_of(lead).await;
    assert_eq!(claims[0]["started_how"], "transfer");
    assert_eq!(claims[1]["end_reason"], "transferred");

    // The manager transfers at once; the receiver's quota is checked.
    let back = w
        .app
        .post(&path, &w.manager.token, &json!({"to_user_id": w.sales.id}))
        .await
        .ok(200);
    assert_eq!(back["lead"]["owner_id"], w.sales.id.to_string());
    w.claimed_lead(&w.other).await;
    w.claimed_lead(&w.other).await;
    w.app
        .post(&path, &w.manager.token, &json!({"to_user_id": w.other.id}))
        .await
        .problem(422, "claim_quota_exceeded");
    w.app
        .post(&path, &w.other.token, &json!({"to_user_id": w.other.id}))
        .await
        .problem(404, "not_found");
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn approvals_filter_by_lead() {
    let w = world(json!({"release_requires_approval": true})).await;
    let mut ids = Vec::new();
    let mut leads = Vec::new();
    for _ in 0..2 {
        let (lead, _) = w.claimed_lead(&w.sales).await;
        let pending = w
            .app
            .post(
                &format!("/api/v1/leads/{lead}/release"),
                &w.sales.token,
                &json!({"reason_code": "budget"}),
            )
            .await
            .ok(202);
        ids.push(pending["approval"]["id"].as_str().unwrap().to_string());
        leads.push(lead);
    }
    for (lead, id) in leads.iter().zip(&ids) {
        for token in [&w.manager.token, &w.sales.token] {
            let page = w
                .app
                .get(&format!("/api/v1/approvals?lead_id={lead}"), token)
                .await
                .ok(200);
            let items = page["items"].as_array().unwrap();
            assert_eq!(items.len(), 1, "{page}");
            assert_eq!(items[0]["id"], id.as_str());
            assert_eq!(items[0]["lead_id"], lead.to_string());
        }
    }
    w.app
        .get("/api/v1/approvals?lead_id=nope", &w.manager.token)
        .await
        .problem(422, "validation_failed");
}
