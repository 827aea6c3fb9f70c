//! Custom lead fields: defined at run time, validated on the way in, filterable, removable.

use serde_json::json;

use crate::common::TestApp;

#[actix_web::test]
async fn admins_define_fields_everyone_reads_them() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    let field = app
        .post(
            "/api/v1/lead-fields",
            &app.admin.token,
            &json!({"key": "segment", "label": "客户分层", "type": "select", "options": ["VIP", " 普通 ", "VIP"], "searchable": false}),
        )
        .await
        .ok(201);
    assert_eq!(field["options"], json!(["VIP", "普通"]));
    assert_eq!(field["type"], "select");
    let fields = app.get("/api/v1/lead-fields", &sales.token).await.ok(200);
    assert_eq!(fields["items"][0]["key"], "segment");
    assert_eq!(fields["next_cursor"], json!(null));
    app.post(
        "/api/v1/lead-fields",
        &sales.token,
        &json!({"key": "x", "label": "X", "type": "text"}),
    )
    .await
    .problem(403, "forbidden");
    app.get("/api/v1/lead-fields?include_removed=true", &sales.token)
        .await
        .problem(403, "forbidden");

    let changed = app
        .patch(
            "/api/v1/lead-fields/segment",
            &app.admin.token,
            &json!({"options": ["VIP", "普通", "潜力"], "label": "分层"}),
        )
        .await
        .ok(200);
    assert_eq!(changed["options"].as_array().unwrap().len(), 3);
    app.patch(
        "/api/v1/lead-fields/segment",
        &app.admin.token,
        &json!({"type": "text"}),
    )
    .await
    .problem(422, "validation_failed");
}

#[actix_web::test]
async fn bad_definitions_are_refused() {
    let app = TestApp::spawn().await;
    let cases = [
        json!({"key": "Bad-Key", "label": "X", "type": "text"}),
        json!({"key": "pick", "label": "X", "type": "select"}),
        json!({"key": "note", "label": "X", "type": "text", "options": ["a"]}),
        json!({"key": "when", "label": "X", "type": "datetime"}),
    ];
    for body in cases {
        app.post("/api/v1/lead-fields", &app.admin.token, &body)
            .await
            .problem(422, "validation_failed");
    }
    app.post(
        "/api/v1/lead-fields",
        &app.admin.token,
        &json!({"key": "note", "label": "X", "type": "text"}),
    )
    .await
    .ok(201);
    app.post(
        "/api/v1/lead-fields",
        &app.admin.token,
        &json!({"key": "note", "label": "Y", "type": "number"}),
    )
    .await
    .problem(409, "field_key_taken");
}

#[actix_web::test]
async fn values_are_validated_filtered_and_kept_when_a_field_is_removed() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    for body in [
        json!({"key": "budget", "label": "预算", "type": "number", "required": true}),
        json!({"key": "segment", "label": "分层", "type": "select", "options": ["VIP", "普通"]}),
        json!({"key": "products", "label": "产品", "type": "multi_select", "options": ["CRM", "ERP", "BI"]}),
        json!({"key": "visit_on", "label": "拜访日", "type": "date"}),
        json!({"key": "remark", "label": "备注", "type": "text", "searchable": true}),
    ] {
        app.post("/api/v1/lead-fields", &app.admin.token, &body)
            .await
            .ok(201);
    }
    let lead = |phone: &str, custom: serde_json::Value| json!({"phone": phone, "source_channel": "website", "custom": custom});

    let body = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &lead("13900000001", json!({"segment": "VIP"})),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "custom.budget");
    assert_eq!(body["errors"][0]["code"], "required");
    let body = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &lead("13900000001", json!({"budget": "lots", "segment": "金牌", "products": ["CRM", "OA"], "visit_on": "2026-13-01", "colour": "red"})),
        )
        .await
        .problem(422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    for field in [
        "custom.budget",
        "custom.segment",
        "custom.products",
        "custom.visit_on",
        "custom.colour",
    ] {
        assert!(fields.contains(&field), "{field}: {body}");
    }

    let a = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &lead("13900000001", json!({"budget": "５０００", "segment": "VIP", "products": ["ERP", "CRM"], "visit_on": "2026-03-01", "remark": "需要私有化部署"})),
        )
        .await
        .ok(201);
    assert_eq!(a["custom"]["budget"], json!(5000.0));
    assert_eq!(a["custom"]["products"], json!(["ERP", "CRM"]));
    app.post(
        "/api/v1/leads",
        &app.admin.token,
        &lead(
            "13900000002",
            json!({"budget": 10, "segment": "普通", "products": ["BI"]}),
        ),
    )
    .await
    .ok(201);

    let ids = |page: serde_json::Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|l| l["id"].as_str().unwrap().to_string())
            .collect()
    };
    let a_id = a["id"].as_str().unwrap().to_string();
    let vip = app
        .get("/api/v1/leads?custom.segment=VIP", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(ids(vip), vec![a_id.clone()]);
    let crm = app
        .get("/api/v1/leads?custom.products=CRM", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(ids(crm), vec![a_id.clone()]);
    let rich = app
        .get("/api/v1/leads?custom.budget=5000", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(ids(rich), vec![a_id.clone()]);
    let searched = app
        .get(
            "/api/v1/leads?q=%E7%A7%81%E6%9C%89%E5%8C%96",
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(
        ids(searched),
        vec![a_id.clone()],
        "q searches searchable text fields"
    );
    app.get("/api/v1/leads?custom.colour=red", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    app.get("/api/v1/leads?custom.segment=Gold", &app.admin.token)
        .await
        .problem(422, "validation_failed");

    // Removing a field hides its values without losing them.
    let res = app
        .send(
            "DELETE",
            "/api/v1/lead-fields/segment",
            Some(&app.admin.token),
            &[],
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    let shown = app
        .get(&format!("/api/v1/leads/{a_id}"), &app.admin.token)
        .await
        .ok(200);
    assert!(shown["custom"].get("segment").is_none(), "{shown}");
    app.get("/api/v1/leads?custom.segment=VIP", &app.admin.token)
        .await
        .problem(422, "validation_failed");
    let removed = app
        .get("/api/v1/lead-fields?include_removed=true", &app.admin.token)
        .await
        .ok(200);
    assert!(
        removed["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|f| f["key"] == "segment" && f["removed_at"].is_string())
    );
    let stored: Vec<String> = {
        use diesel::prelude::*;
        use leadpool::db::schema::leads;
        let mut conn = app.pool.get().unwrap();
        leads::table
            .filter(leads::id.eq(a_id.parse::<uuid::Uuid>().unwrap()))
            .select(diesel::dsl::sql::<diesel::sql_types::Text>(
                "custom ->> 'segment'",
            ))
            .load(&mut **conn)
            .unwrap()
    };
    assert_eq!(stored, vec!["VIP".to_string()]);
}

/// Each instance keeps the field definitions in memory; a change made on one is shown by the
/// others at once (their memory lasts 60 s here, so only the change's notification can explain it).
#[actix_web::test]
async fn every_instance_shows_a_field_change_at_once() {
    let app = TestApp::spawn_with_settings(&[("LEADPOOL_ACCESS_CACHE_SECS", "60")]).await;
    let other = app.instance().await;
    app.pool("Default", true, &[], &[]).await;
    app.post(
        "/api/v1/lead-fields",
        &app.admin.token,
        &json!({"key": "budget", "label": "预算", "type": "number"}),
    )
    .await
    .ok(201);
    let lead = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({"phone": "13900000001", "source_channel": "website", "custom": {"budget": 5000}}),
        )
        .await
        .ok(201);
    let path = format!("/api/v1/leads/{}", lead["id"].as_str().unwrap());
    // Both instances have read the definitions (and remember them).
    for instance in [&app, &other] {
        let shown = instance.get(&path, &app.admin.token).await.ok(200);
        assert_eq!(shown["custom"]["budget"], json!(5000));
    }

    let res = app
        .send(
            "DELETE",
            "/api/v1/lead-fields/budget",
            Some(&app.admin.token),
            &[],
            None,
        )
        .await;
    assert_eq!(res.status, 204);
    // The instance that made the change forgets at once; the other on the notification.
    let shown = app.get(&path, &app.admin.token).await.ok(200);
    assert!(shown["custom"].get("budget").is_none(), "{shown}");
    let started = std::time::Instant::now();
    loop {
        let shown = other.get(&path, &app.admin.token).await.ok(200);
        if shown["custom"].get("budget").is_none() {
            break;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(10),
            "the other instance still shows a removed field: {shown}"
        );
        actix_web::rt::time::sleep(std::time::Duration::from_millis(20)).await;
    }
}
