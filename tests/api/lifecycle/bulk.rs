//! Bulk actions: many leads at once, each under its one-lead rules (scope, quotas, approvals,
//! audit), one transaction per lead, a result per lead.

use serde_json::{Value, json};
use uuid::Uuid;

use super::world;
use crate::claims::assert_owners_match_claims;

fn ids(items: &Value, outcome: &str) -> Vec<String> {
    items["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|i| i["outcome"] == outcome)
        .map(|i| i["lead_id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn a_manager_assigns_a_pool_s_leads_by_filter_until_the_receiver_s_quota_stops_them() {
    let w = world(json!({"max_owned_per_user": 3})).await;
    let mut leads = Vec::new();
    for i in 0..5 {
        leads.push(
            w.app
                .lead(
                    w.pool,
                    json!({"phone": format!("1390000{i:04}"), "company": format!("批量{i}")}),
                )
                .await,
        );
    }
    let done = w
        .app
        .post(
            "/api/v1/leads/bulk/assign",
            &w.manager.token,
            &json!({"filter": {"state": "pooled", "pool_id": w.pool}, "user_id": w.sales.id}),
        )
        .await
        .ok(200);
    assert_eq!(done["action"], "assign");
    assert_eq!(
        (
            done["selected"].as_i64(),
            done["done"].as_i64(),
            done["failed"].as_i64()
        ),
        (Some(5), Some(3), Some(2)),
        "{done}"
    );
    // In the list's order (oldest first): the first three went, the quota stopped the rest, each
    // with the problem its one-lead assignment would have answered.
    let order: Vec<String> = done["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| i["lead_id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(order, leads.iter().map(Uuid::to_string).collect::<Vec<_>>());
    for item in &done["items"].as_array().unwrap()[3..] {
        assert_eq!(item["status"], 422, "{item}");
        assert_eq!(item["problem"]["code"], "claim_quota_exceeded", "{item}");
        assert!(item["problem"]["decision_id"].is_string(), "{item}");
    }
    for lead in &leads[..3] {
        let now = w.lead(*lead).await;
        assert_eq!(now["owner_id"], w.sales.id.to_string());
        let claims = w.claims_of(*lead).await;
        assert_eq!(claims[0]["started_how"], "manager_assign");
    }
    for lead in &leads[3..] {
        assert_eq!(w.lead(*lead).await["state"], "pooled");
    }
    assert_owners_match_claims(&w.app);
    // The request itself is on the audit trail beside each lead's assignment.
    let audit = w.items("/api/v1/audit?action=lead.bulk").await;
    assert_eq!(audit.len(), 1, "{audit:?}");
    assert_eq!(audit[0]["after"]["done"], 3);
    assert_eq!(audit[0]["actor_id"], w.manager.id.to_string());
}

#[actix_web::test]
async fn release_transfer_update_and_close_many_leads_each_by_its_own_rules() {
    let w = world(json!({"release_requires_approval": true})).await;
    let mut mine = Vec::new();
    for _ in 0..4 {
        mine.push(w.claimed_lead(&w.sales).await.0);
    }
    // The owner's own release waits for approval, lead by lead.
    let asked = w
        .app
        .post(
            "/api/v1/leads/bulk/release",
            &w.sales.token,
            &json!({"lead_ids": [mine[0], mine[1], mine[0]], "reason_code": "no_need"}),
        )
        .await
        .ok(200);
    assert_eq!(
        (asked["selected"].as_i64(), asked["requested"].as_i64()),
        (Some(2), Some(2)),
        "{asked}"
    );
    for item in asked["items"].as_array().unwrap() {
        assert_eq!(item["status"], 202);
        let approval = item["approval_id"].as_str().unwrap();
        let a = w
            .app
            .get(&format!("/api/v1/approvals/{approval}"), &w.manager.token)
            .await
            .ok(200);
        assert_eq!(a["status"], "pending");
        assert_eq!(a["lead_id"], item["lead_id"]);
    }

    // Their manager releases at once (they are the approver); a lead already back in the pool
    // fails alone and changes nothing; the pending requests become obsolete.
    let released = w
        .app
        .post(
            "/api/v1/leads/bulk/release",
            &w.manager.token,
            &json!({"lead_ids": [mine[0], mine[1]], "reason_code": "unreachable"}),
        )
        .await
        .ok(200);
    assert_eq!(released["done"], 2, "{released}");
    for lead in &mine[..2] {
        assert_eq!(w.lead(*lead).await["state"], "pooled");
        let claims = w.claims_of(*lead).await;
        assert_eq!(claims[0]["end_reason"], "released");
    }
    let pending = w
        .items(&format!(
            "/api/v1/approvals?status=pending&lead_id={}",
            mine[0]
        ))
        .await;
    assert!(pending.is_empty(), "{pending:?}");
    let again = w
        .app
        .post(
            "/api/v1/leads/bulk/release",
            &w.manager.token,
            &json!({"lead_ids": [mine[0], mine[2]], "reason_code": "unreachable"}),
        )
        .await
        .ok(200);
    assert_eq!(ids(&again, "failed"), vec![mine[0].to_string()]);
    // As its one-lead release: a pooled lead is not among the leads a manager reads.
    assert_eq!(again["items"][0]["status"], 404);
    assert_eq!(again["items"][0]["problem"]["code"], "not_found");
    assert_eq!(ids(&again, "done"), vec![mine[2].to_string()]);

    // Grade and tags by filter: the owner's remaining lead gets them, merged with its tags.
    w.app
        .patch(
            &format!("/api/v1/leads/{}", mine[3]),
            &w.sales.token,
            &json!({"tags": ["老客户", "展会"]}),
        )
        .await
        .ok(200);
    let updated = w
        .app
        .post(
            "/api/v1/leads/bulk/update",
            &w.sales.token,
            &json!({"filter": {"owner_id": w.sales.id, "state": "owned"}, "grade": "A",
                    "add_tags": ["重点", "展会"], "remove_tags": ["老客户"]}),
        )
        .await
        .ok(200);
    assert_eq!(
        (updated["selected"].as_i64(), updated["done"].as_i64()),
        (Some(1), Some(1)),
        "{updated}"
    );
    let lead = w.lead(mine[3]).await;
    assert_eq!(lead["grade"], "A");
    assert_eq!(lead["tags"], json!(["展会", "重点"]));

    // The manager transfers at once; then closes, by ids.
    let moved = w
        .app
        .post(
            "/api/v1/leads/bulk/transfer",
            &w.manager.token,
            &json!({"lead_ids": [mine[3]], "to_user_id": w.other.id, "reason": "调岗"}),
        )
        .await
        .ok(200);
    assert_eq!(moved["done"], 1, "{moved}");
    assert_eq!(w.lead(mine[3]).await["owner_id"], w.other.id.to_string());
    let closed = w
        .app
        .post(
            "/api/v1/leads/bulk/close",
            &w.manager.token,
            &json!({"lead_ids": [mine[3], mine[2]], "reason": "无效线索"}),
        )
        .await
        .ok(200);
    assert_eq!(closed["done"], 2, "{closed}");
    assert_eq!(w.lead(mine[3]).await["state"], "closed");
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn bulk_actions_keep_to_the_caller_s_scope_and_role() {
    let w = world(json!({})).await;
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let stranger_manager = w.app.user("manager", None).await;
    w.app.team("Elsewhere", Some(stranger_manager.id)).await;
    let made_up = Uuid::now_v7();
    for path in ["/api/v1/leads/bulk/release", "/api/v1/leads/bulk/transfer"] {
        let body = json!({"lead_ids": [lead, made_up], "reason_code": "no_need", "to_user_id": w.other.id});
        let mut body = body.as_object().unwrap().clone();
        if path.ends_with("release") {
            body.remove("to_user_id");
        } else {
            body.remove("reason_code");
        }
        let res = w
            .app
            .post(path, &stranger_manager.token, &Value::Object(body))
            .await
            .ok(200);
        // Someone else's lead and a lead that does not exist look the same.
        for item in res["items"].as_array().unwrap() {
            assert_eq!(item["status"], 404, "{path}: {item}");
            assert_eq!(item["problem"]["code"], "not_found");
        }
    }
    assert_eq!(w.lead(lead).await["owner_id"], w.sales.id.to_string());
    // The other team's leads are not in a filter's reach either.
    let none = w
        .app
        .post(
            "/api/v1/leads/bulk/close",
            &stranger_manager.token,
            &json!({"filter": {"state": "owned"}, "reason": "x"}),
        )
        .await
        .ok(200);
    assert_eq!(none["selected"], 0);
    // Salespeople neither assign nor close, nor may a manager override quotas.
    w.app
        .post(
            "/api/v1/leads/bulk/close",
            &w.sales.token,
            &json!({"lead_ids": [lead], "reason": "x"}),
        )
        .await
        .problem(403, "forbidden");
    w.app
        .post(
            "/api/v1/leads/bulk/assign",
            &w.manager.token,
            &json!({"lead_ids": [lead], "user_id": w.other.id, "quota_override": true}),
        )
        .await
        .problem(403, "forbidden");
    // A pool the manager is not in.
    let other_pool = w.app.pool("Other", false, &[], &[]).await;
    let refused = w
        .app
        .post(
            "/api/v1/leads/bulk/assign",
            &stranger_manager.token,
            &json!({"filter": {"state": "pooled", "pool_id": other_pool}, "user_id": w.other.id}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(refused["errors"][0]["field"], "filter.pool_id");
}

#[actix_web::test]
async fn a_bad_bulk_request_names_every_bad_field() {
    let w = world(json!({})).await;
    let token = &w.manager.token;
    let both = w
        .app
        .post(
            "/api/v1/leads/bulk/update",
            token,
            &json!({"lead_ids": [Uuid::now_v7()], "filter": {}}),
        )
        .await
        .problem(422, "validation_failed");
    let fields: Vec<&str> = both["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(
        fields,
        ["add_tags", "filter", "grade", "lead_ids", "remove_tags"],
        "{both}"
    );
    let many: Vec<Uuid> = (0..1001).map(|_| Uuid::now_v7()).collect();
    let too_many = w
        .app
        .post(
            "/api/v1/leads/bulk/close",
            token,
            &json!({"lead_ids": many, "reason": " "}),
        )
        .await
        .problem(422, "validation_failed");
    let fields: Vec<&str> = too_many["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert_eq!(fields, ["lead_ids", "reason"], "{too_many}");
    let pooled = w
        .app
        .post(
            "/api/v1/leads/bulk/assign",
            token,
            &json!({"filter": {"state": "pooled"}, "user_id": w.sales.id}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(pooled["errors"][0]["field"], "filter.pool_id");
    let custom = w
        .app
        .post(
            "/api/v1/leads/bulk/release",
            token,
            &json!({"filter": {"custom": {"no_such": "1"}}, "reason_code": "no_need"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        custom["errors"][0]["field"], "filter.custom.no_such",
        "{custom}"
    );
    w.app
        .post(
            "/api/v1/leads/bulk/release",
            token,
            &json!({"lead_ids": [Uuid::now_v7()], "reason_code": "no_need", "owner": "x"}),
        )
        .await
        .problem(422, "validation_failed");
}

/// A manager's bulk transfer races the owner's own bulk release of the same leads: every lead
/// ends in exactly one place, with one open claim or none, and each side's answer says which
/// leads it got.
#[actix_web::test]
async fn a_bulk_transfer_racing_the_owner_s_bulk_release_leaves_every_lead_in_one_place() {
    let w = world(json!({"max_claims_per_day": 100})).await;
    let mut leads = Vec::new();
    for _ in 0..12 {
        leads.push(w.claimed_lead(&w.sales).await.0);
    }
    let reversed: Vec<Uuid> = leads.iter().rev().copied().collect();
    let (to_other, to_pool) = (
        json!({"lead_ids": leads, "to_user_id": w.other.id}),
        json!({"lead_ids": reversed, "reason_code": "no_need"}),
    );
    let transfer = w
        .app
        .post("/api/v1/leads/bulk/transfer", &w.manager.token, &to_other);
    let release = w
        .app
        .post("/api/v1/leads/bulk/release", &w.sales.token, &to_pool);
    let (transfer, release) = futures_util::future::join(transfer, release).await;
    let (transfer, release) = (transfer.ok(200), release.ok(200));
    let moved = ids(&transfer, "done");
    let released = ids(&release, "done");
    for lead in &leads {
        let id = lead.to_string();
        let now = w.lead(*lead).await;
        let (to_other, to_pool) = (moved.contains(&id), released.contains(&id));
        // A lead the release got first is no longer the owner's: the transfer's 409. A lead
        // transferred first is no longer the releaser's: the release's 404 (or a 503 to retry).
        match (to_other, to_pool) {
            (true, false) => assert_eq!(now["owner_id"], w.other.id.to_string(), "{now}"),
            (false, true) => assert_eq!(now["state"], "pooled", "{now}"),
            // Neither: only when a side was told to retry (503), and then nothing moved.
            (false, false) => {
                let retried = [&transfer, &release].iter().any(|r| {
                    r["items"]
                        .as_array()
                        .unwrap()
                        .iter()
                        .any(|i| i["lead_id"] == id.as_str() && i["status"] == 503)
                });
                assert!(retried, "{id}: neither side has it: {transfer} {release}");
                assert_eq!(now["owner_id"], w.sales.id.to_string(), "{now}");
            }
            (true, true) => panic!("{id}: both sides report it done: {transfer} {release}"),
        }
    }
    assert_owners_match_claims(&w.app);
}
