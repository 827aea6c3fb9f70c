//! Manager assignment: to their own team only, and quota overrides by admins only.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{assert_owners_match_claims, count, set_rules};
use crate::common::TestApp;

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
