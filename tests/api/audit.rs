//! The audit trail endpoint: admins only, filters, keyset pages, CSV; entries are written with
//! the changes they record.

use serde_json::{Value, json};

use crate::common::TestApp;

#[actix_web::test]
async fn admins_read_the_audit_trail_filtered_paged_and_as_csv() {
    let app = TestApp::spawn_without_jobs().await;
    let manager = app.user("manager", None).await;
    let team = app.team("Audit team", Some(manager.id)).await;
    let sales = app.user("sales", Some(team)).await;
    let pool = app.pool("Audited", true, &[team], &[manager.id]).await;
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"max_owned_per_user": 7}),
    )
    .await
    .ok(200);
    let lead = app.lead(pool, json!({"phone": "13600000001"})).await;
    app.post(
        &format!("/api/v1/leads/{lead}/claim"),
        &sales.token,
        &json!({}),
    )
    .await
    .ok(200);

    let all = app.get("/api/v1/audit", &app.admin.token).await.ok(200);
    let items = all["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{all}");
    // Newest first: the claim, then the rule change.
    assert_eq!(items[0]["action"], "lead.claimed");
    assert_eq!(items[0]["actor_id"], sales.id.to_string());
    assert_eq!(items[0]["lead_id"], lead.to_string());
    assert_eq!(items[0]["after"]["owner_id"], sales.id.to_string());
    assert_eq!(items[1]["action"], "pool.rules_changed");
    assert_eq!(items[1]["object_id"], pool.to_string());
    assert_eq!(items[1]["actor_id"], app.admin.id.to_string());

    // Filters.
    let only = |q: &str| {
        let app = &app;
        let q = q.to_string();
        async move {
            app.get(&format!("/api/v1/audit?{q}"), &app.admin.token)
                .await
                .ok(200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["action"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(only(&format!("lead_id={lead}")).await, vec!["lead.claimed"]);
    assert_eq!(
        only(&format!("actor_id={}", app.admin.id)).await,
        vec!["pool.rules_changed"]
    );
    assert_eq!(
        only("action=pool.rules_changed&object_type=pool").await,
        vec!["pool.rules_changed"]
    );
    assert_eq!(only("action=lead.closed").await, Vec::<String>::new());
    assert_eq!(
        only("from=2999-01-01T00:00:00Z").await,
        Vec::<String>::new()
    );
    assert_eq!(only("to=2999-01-01T00:00:00Z").await.len(), 2);

    // Pages.
    let first = app
        .get("/api/v1/audit?limit=1", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(first["items"][0]["action"], "lead.claimed");
    let cursor = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/api/v1/audit?limit=1&cursor={cursor}"),
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(second["items"][0]["action"], "pool.rules_changed");
    assert_eq!(second["next_cursor"], Value::Null);

    // CSV: the same entries, before/after as JSON text.
    let res = app
        .send(
            "GET",
            "/api/v1/audit",
            Some(&app.admin.token),
            &[("Accept", "text/csv")],
            None,
        )
        .await;
    assert_eq!(res.status, 200);
    assert!(res.body.starts_with("\u{feff}".as_bytes()));
    let mut reader = csv::Reader::from_reader(&res.body[3..]);
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), 2);
    assert_eq!(&records[0][0], items[0]["id"].as_str().unwrap());
    assert_eq!(&records[1][2], "pool.rules_changed");
    let after: Value = serde_json::from_str(&records[0][7]).unwrap();
    assert_eq!(after, items[0]["after"]);

    // Only admins; bad filters are 422.
    app.get("/api/v1/audit", &manager.token)
        .await
        .problem(403, "forbidden");
    app.get("/api/v1/audit", &sales.token)
        .await
        .problem(403, "forbidden");
    app.get("/api/v1/audit?actor_id=nope", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    app.get("/api/v1/audit?limit=500", &app.admin.token)
        .await
        .problem(422, "validation_failed");
}
