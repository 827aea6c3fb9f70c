//! API1: object-level authorization: nobody reaches another's objects through any operation.

use serde_json::{Map, json};
use uuid::Uuid;

use super::{Access, access_of, call, code, document, operations};
use crate::common::{TestApp, TestUser};

/// API1: for every operation that takes an id, a salesperson reaching for a colleague's or
/// another team's object, and a manager for another team's, gets exactly the answer a made-up id
/// gets (404, or 403 where the role may not call the operation at all): nothing tells that the
/// object exists. The owner and their manager do reach the same objects (the matrix is not empty
/// because everything is refused).
#[actix_web::test]
async fn object_level_matrix_nobody_reaches_anothers_objects() {
    let app = TestApp::spawn_without_jobs().await;
    let doc = document();
    let manager1 = app.user("manager", None).await;
    let team1 = app.team("East", Some(manager1.id)).await;
    let owner = app.user("sales", Some(team1)).await;
    let colleague = app.user("sales", Some(team1)).await;
    let manager2 = app.user("manager", None).await;
    let team2 = app.team("West", Some(manager2.id)).await;
    let stranger = app.user("sales", Some(team2)).await;
    let pool1 = app.pool("East pool", true, &[team1], &[]).await;
    app.pool("West pool", false, &[team2], &[]).await;

    // The owner's objects: a lead with a follow-up, its claim decision, a pending release, a
    // rejected transfer (which leaves them a notification), and an import by their manager.
    let lead = app
        .lead(pool1, json!({"name": "王五", "phone": "13700000001"}))
        .await;
    let second = app.lead(pool1, json!({"phone": "13700000002"})).await;
    let claimed = app
        .post(
            &format!("/api/v1/leads/{lead}/claim"),
            &owner.token,
            &json!({}),
        )
        .await
        .ok(200);
    let decision = claimed["decision_id"].as_str().unwrap().to_string();
    app.post(
        &format!("/api/v1/leads/{second}/claim"),
        &owner.token,
        &json!({}),
    )
    .await
    .ok(200);
    app.post(
        &format!("/api/v1/leads/{lead}/follow-ups"),
        &owner.token,
        &json!({"type": "call", "content": "聊了需求"}),
    )
    .await
    .ok(201);
    let release = app
        .post(
            &format!("/api/v1/leads/{lead}/release"),
            &owner.token,
            &json!({"reason_code": "no_need"}),
        )
        .await
        .ok(202);
    let approval = release["approval"]["id"].as_str().unwrap().to_string();
    let transfer = app
        .post(
            &format!("/api/v1/leads/{second}/transfer"),
            &owner.token,
            &json!({"to_user_id": colleague.id}),
        )
        .await
        .ok(202);
    let transfer_id = transfer["approval"]["id"].as_str().unwrap();
    app.post(
        &format!("/api/v1/approvals/{transfer_id}/reject"),
        &manager1.token,
        &json!({"comment": "no"}),
    )
    .await
    .ok(200);
    let notes = app.get("/api/v1/notifications", &owner.token).await.ok(200);
    let notification = notes["items"][0]["id"].as_str().unwrap().to_string();
    let import = crate::imports::upload(
        &app,
        &manager1.token,
        "姓名,手机\n赵六,13700000003\n".as_bytes(),
        &[],
        true,
    )
    .await
    .ok(202)["id"]
        .as_str()
        .unwrap()
        .to_string();

    let sweep = app
        .post("/api/v1/admin/sweep", &app.admin.token, &json!({}))
        .await
        .ok(200)["id"]
        .as_str()
        .unwrap()
        .to_string();

    // A hand-over by the manager of someone in their team (who holds nothing: it moves nothing).
    let hand_over = app
        .post(
            &format!("/api/v1/users/{}/hand-over", colleague.id),
            &manager1.token,
            &json!({"to_pool_id": pool1}),
        )
        .await
        .ok(202)["id"]
        .as_str()
        .unwrap()
        .to_string();

    // Which object each family of paths is about, and who legitimately reads it.
    let object_of = |path: &str| -> Option<(String, &TestUser)> {
        let rest = path.strip_prefix("/api/v1/")?;
        let family = rest.split('/').next()?;
        Some(match family {
            "leads" => (lead.to_string(), &owner),
            "approvals" => (approval.clone(), &owner),
            "claim-decisions" => (decision.clone(), &owner),
            "notifications" => (notification.clone(), &owner),
            "imports" => (import.clone(), &manager1),
            "users" => (owner.id.to_string(), &manager1),
            "pools" => (pool1.to_string(), &owner),
            "teams" => (team1.to_string(), &app.admin),
            "lead-fields" => ("budget".to_string(), &app.admin),
            "intake-sources" | "intake" => (Uuid::now_v7().to_string(), &app.admin),
            "admin" => (sweep.clone(), &app.admin),
            "hand-overs" => (hand_over.clone(), &manager1),
            _ => return None,
        })
    };
    app.post(
        "/api/v1/lead-fields",
        &app.admin.token,
        &json!({"key": "budget", "label": "Budget", "type": "number"}),
    )
    .await
    .ok(201);

    let mut checked = 0;
    let mut failures = Vec::new();
    let ops = operations(&doc);
    for op in ops.iter().filter(|op| op.path.contains('{')) {
        let (object, reader) = object_of(&op.path)
            .unwrap_or_else(|| panic!("{}: which object is this about?", op.name()));
        // Pool members share their pool: the colleague is one of them, and may try to claim its
        // leads (and learn that someone was quicker: 409).
        let outsiders: Vec<&TestUser> =
            if op.path.starts_with("/api/v1/pools/") || op.path.ends_with("/claim") {
                vec![&stranger, &manager2]
            } else {
                vec![&colleague, &stranger, &manager2]
            };
        let made_up = if op.path.contains("{key}") {
            "no_such_field".to_string()
        } else {
            Uuid::now_v7().to_string()
        };
        let mut extra = Map::new();
        if op.path.ends_with("/transfer") {
            extra.insert("to_user_id".into(), json!(colleague.id));
        }
        if op.path.ends_with("/assign") {
            extra.insert("user_id".into(), json!(colleague.id));
        }
        if op.path.ends_with("/hand-over") {
            extra.insert("to_pool_id".into(), json!(pool1));
        }
        if op.path.ends_with("/release") {
            extra.insert("reason_code".into(), json!("no_need"));
        }
        for outsider in outsiders {
            let theirs = call(&app, &doc, op, Some(&outsider.token), &object, &extra).await;
            let nobodys = call(&app, &doc, op, Some(&outsider.token), &made_up, &extra).await;
            let (status, code_of_theirs) = code(&theirs);
            if (status, code_of_theirs.clone()) != code(&nobodys)
                || !(status == 404 || status == 403)
            {
                failures.push(format!(
                    "{} as {}: {} {} (a made-up id: {:?})",
                    op.name(),
                    outsider.email,
                    status,
                    String::from_utf8_lossy(&theirs.body),
                    code(&nobodys)
                ));
            }
            checked += 1;
        }
        // The legitimate reader gets through on reads.
        let reader = match access_of(op) {
            Access::Admin => &app.admin,
            Access::Manager if reader.id == owner.id => &manager1,
            _ => reader,
        };
        if op.method == "GET" {
            let res = call(&app, &doc, op, Some(&reader.token), &object, &Map::new()).await;
            if res.status != 200 {
                failures.push(format!(
                    "{} as its reader: {} {}",
                    op.name(),
                    res.status,
                    String::from_utf8_lossy(&res.body)
                ));
            }
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 80, "only {checked} checks");
}
