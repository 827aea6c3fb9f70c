//! Closing leads: who may, and what a closed lead answers.

use serde_json::json;

use super::world;
use crate::claims::assert_owners_match_claims;

#[actix_web::test]
async fn managers_close_leads_salespeople_cannot() {
    let w = world(json!({})).await;
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let path = format!("/api/v1/leads/{lead}/close");
    w.app
        .post(&path, &w.sales.token, &json!({"reason": "spam"}))
        .await
        .problem(403, "forbidden");
    let closed = w
        .app
        .post(&path, &w.manager.token, &json!({"reason": "spam"}))
        .await
        .ok(200);
    assert_eq!(closed["state"], "closed");
    // A closed lead has no owner: out of the manager's sight; an admin is told it is closed.
    w.app
        .post(&path, &w.manager.token, &json!({"reason": "spam"}))
        .await
        .problem(404, "not_found");
    w.app
        .post(&path, &w.app.admin.token, &json!({"reason": "spam"}))
        .await
        .problem(409, "lead_not_open");
    let pooled = w.app.lead(w.pool, json!({"phone": "13700000099"})).await;
    let closed = w
        .app
        .post(
            &format!("/api/v1/leads/{pooled}/close"),
            &w.app.admin.token,
            &json!({"reason": "invalid"}),
        )
        .await
        .ok(200);
    assert_eq!(closed["state"], "closed");
    assert_owners_match_claims(&w.app);
}
