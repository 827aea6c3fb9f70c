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
    let actions: Vec<&str> = items
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    // Newest first: the claim, the rule change, the admin's set-up before them, and the first
    // admin, made at start-up (by no one).
    assert_eq!(
        actions,
        [
            "lead.claimed",
            "pool.rules_changed",
            "pool.created",
            "user.created",
            "team.created",
            "user.created",
            "user.created"
        ],
        "{all}"
    );
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
        actions[1..6]
    );
    assert_eq!(items[6]["actor_id"], Value::Null);
    assert_eq!(items[6]["object_id"], app.admin.id.to_string());
    assert_eq!(
        only("action=pool.rules_changed&object_type=pool").await,
        vec!["pool.rules_changed"]
    );
    assert_eq!(only("action=lead.closed").await, Vec::<String>::new());
    assert_eq!(
        only("from=2999-01-01T00:00:00Z").await,
        Vec::<String>::new()
    );
    assert_eq!(only("to=2999-01-01T00:00:00Z").await.len(), 7);

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
    let cursor = second["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("/api/v1/audit?limit=10&cursor={cursor}"),
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(rest["items"].as_array().unwrap().len(), 5);
    assert_eq!(rest["next_cursor"], Value::Null);

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
    assert_eq!(records.len(), 7);
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

/// Every admin action is in the trail with who did it and what changed (never a password hash or
/// a token), in the same transaction as the change.
#[actix_web::test]
async fn admin_actions_are_audited_with_what_changed() {
    let app = TestApp::spawn_without_jobs().await;
    let admin = app.admin.id.to_string();
    let manager = app.user("manager", None).await;
    let team = app.team("North", None).await;
    app.patch(
        &format!("/api/v1/teams/{team}"),
        &app.admin.token,
        &json!({"manager_id": manager.id}),
    )
    .await
    .ok(200);
    let sales = app.user("sales", Some(team)).await;
    app.patch(
        &format!("/api/v1/users/{}", sales.id),
        &app.admin.token,
        &json!({"tier": 2, "password": "a-new-password-123"}),
    )
    .await
    .ok(200);
    let pool = app.pool("North pool", true, &[team], &[]).await;
    app.patch(
        &format!("/api/v1/pools/{pool}"),
        &app.admin.token,
        &json!({"name": "North pool (A)"}),
    )
    .await
    .ok(200);
    app.post(
        "/api/v1/lead-fields",
        &app.admin.token,
        &json!({"key": "budget", "label": "Budget", "type": "number"}),
    )
    .await
    .ok(201);
    app.patch(
        "/api/v1/lead-fields/budget",
        &app.admin.token,
        &json!({"label": "预算"}),
    )
    .await
    .ok(200);
    let removed = app
        .send(
            "DELETE",
            "/api/v1/lead-fields/budget",
            Some(&app.admin.token),
            &[],
            None,
        )
        .await;
    assert_eq!(removed.status, 204);
    let source = app
        .post(
            "/api/v1/intake-sources",
            &app.admin.token,
            &json!({"name": "Form", "channel": "website"}),
        )
        .await
        .ok(201);
    let source_id = source["id"].as_str().unwrap();
    let deleted = app
        .send(
            "DELETE",
            &format!("/api/v1/intake-sources/{source_id}"),
            Some(&app.admin.token),
            &[],
            None,
        )
        .await;
    assert_eq!(deleted.status, 204);
    app.post("/api/v1/admin/sweep", &app.admin.token, &json!({}))
        .await
        .ok(200);

    let entries = app
        .get(
            &format!("/api/v1/audit?actor_id={admin}&limit=200"),
            &app.admin.token,
        )
        .await
        .ok(200)["items"]
        .as_array()
        .unwrap()
        .clone();
    let mut actions: Vec<&str> = entries
        .iter()
        .map(|e| e["action"].as_str().unwrap())
        .collect();
    actions.reverse();
    assert_eq!(
        actions,
        [
            "user.created",
            "team.created",
            "team.updated",
            "user.created",
            "user.updated",
            "pool.created",
            "pool.updated",
            "lead_field.created",
            "lead_field.updated",
            "lead_field.removed",
            "intake_source.created",
            "intake_source.deleted",
            "sweep.run",
        ]
    );
    let find = |action: &str| {
        entries
            .iter()
            .find(|e| e["action"] == action)
            .unwrap()
            .clone()
    };
    // Only what changed, old and new.
    let team_change = find("team.updated");
    assert_eq!(team_change["object_id"], team.to_string());
    assert_eq!(team_change["before"], json!({"manager_id": null}));
    assert_eq!(
        team_change["after"],
        json!({"manager_id": manager.id.to_string()})
    );
    let user_change = find("user.updated");
    assert_eq!(user_change["object_id"], sales.id.to_string());
    assert_eq!(
        user_change["before"],
        json!({"tier": null, "tier_pinned": false})
    );
    assert_eq!(
        user_change["after"],
        json!({"tier": 2, "tier_pinned": true, "password_changed": true})
    );
    assert_eq!(
        find("pool.updated")["after"],
        json!({"name": "North pool (A)"})
    );
    assert_eq!(
        find("lead_field.updated")["after"],
        json!({"key": "budget", "label": "预算"})
    );
    assert_eq!(
        find("intake_source.created")["after"]["name"],
        json!("Form")
    );
    assert_eq!(
        find("sweep.run")["after"],
        json!({"recycled": 0, "warned": 0})
    );
    // No secret reaches the trail.
    let dump = app.dump_as_text(&["audit_log"]);
    assert!(!dump.contains("argon2"), "a password hash in the audit log");
    assert!(
        !dump.contains(source["token"].as_str().unwrap()),
        "an intake token in the audit log"
    );
}

/// Contact data is masked for everyone but the lead's owner; a manager or admin who needs it
/// asks with `reveal=contact`, and each such reveal is in the audit trail. The owner's own reads
/// are not recorded.
#[actix_web::test]
async fn contact_is_masked_for_non_owners_and_every_reveal_is_audited() {
    let app = TestApp::spawn_without_jobs().await;
    let manager = app.user("manager", None).await;
    let team = app.team("Reveal team", Some(manager.id)).await;
    let sales = app.user("sales", Some(team)).await;
    let pool = app.pool("Reveal pool", true, &[team], &[]).await;
    let lead = app
        .lead(
            pool,
            json!({"phone": "13812345678", "email": "zhang.wei@example.com", "wechat": "wxid_abc123"}),
        )
        .await;
    app.post(
        &format!("/api/v1/leads/{lead}/claim"),
        &sales.token,
        &json!({}),
    )
    .await
    .ok(200);
    let path = format!("/api/v1/leads/{lead}");

    // The owner sees it in full, always, and nothing is recorded.
    let own = app.get(&path, &sales.token).await.ok(200);
    assert_eq!(own["phone"], "+8613812345678");
    let own = app
        .get(&format!("{path}?reveal=contact"), &sales.token)
        .await
        .ok(200);
    assert_eq!(own["email"], "zhang.wei@example.com");

    // Their manager and the admin see it masked, in the lead, in lists and in exports.
    for reader in [&manager, &app.admin] {
        let masked = app.get(&path, &reader.token).await.ok(200);
        assert_eq!(masked["phone"], "138****5678");
        assert_eq!(masked["email"], "z***@example.com");
        assert_eq!(masked["wechat"], "w***3");
        let list = app
            .get(
                &format!("/api/v1/leads?owner_id={}", sales.id),
                &reader.token,
            )
            .await
            .ok(200);
        assert_eq!(list["items"][0]["phone"], "138****5678");
        let csv = app
            .send(
                "GET",
                "/api/v1/leads",
                Some(&reader.token),
                &[("Accept", "text/csv")],
                None,
            )
            .await;
        let text = String::from_utf8(csv.body).unwrap();
        assert!(
            text.contains("138****5678") && !text.contains("13812345678"),
            "{text}"
        );
    }
    let none = app
        .get(
            "/api/v1/audit?action=lead.contact_revealed",
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(none["items"], json!([]), "masked reads reveal nothing");

    // Asked for, it is shown in full, and the reveal is recorded.
    let revealed = app
        .get(&format!("{path}?reveal=contact"), &manager.token)
        .await
        .ok(200);
    assert_eq!(revealed["phone"], "+8613812345678");
    assert_eq!(revealed["wechat"], "wxid_abc123");
    let entries = app
        .get(
            "/api/v1/audit?action=lead.contact_revealed",
            &app.admin.token,
        )
        .await
        .ok(200);
    let items = entries["items"].as_array().unwrap();
    assert_eq!(items.len(), 1, "{entries}");
    assert_eq!(items[0]["actor_id"], manager.id.to_string());
    assert_eq!(items[0]["lead_id"], lead.to_string());
    assert_eq!(
        items[0]["after"],
        json!({"fields": ["phone", "email", "wechat"], "owner_id": sales.id.to_string(), "state": "owned"})
    );
    // Nor does the trail itself hold the contact data.
    let dump = app.dump_as_text(&["audit_log"]);
    assert!(!dump.contains("13812345678") && !dump.contains("zhang.wei@"));

    // An unknown reveal is refused; a salesperson who may not read the lead learns nothing.
    app.get(&format!("{path}?reveal=everything"), &manager.token)
        .await
        .problem(422, "validation_failed");
    let other = app.user("sales", Some(team)).await;
    app.get(&format!("{path}?reveal=contact"), &other.token)
        .await
        .problem(404, "not_found");
}
