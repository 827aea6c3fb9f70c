//! Pools: members, routing, the default pool, and who may see them.

use serde_json::json;
use uuid::Uuid;

use crate::common::TestApp;

#[actix_web::test]
async fn admins_create_pools_members_see_them_others_do_not() {
    let app = TestApp::spawn().await;
    let team = app.team("East", None).await;
    let member_by_team = app.user("sales", Some(team)).await;
    let member_direct = app.user("sales", None).await;
    let outsider = app.user("sales", None).await;
    let res = app
        .post(
            "/api/v1/pools",
            &app.admin.token,
            &json!({
                "name": "华东公海",
                "description": "Shanghai and Jiangsu",
                "member_team_ids": [team],
                "member_user_ids": [member_direct.id],
                "routing": [{"provinces": [" 上海 ", "江苏"]}, {"source_channels": ["exhibition"], "industries": ["IT"]}],
                "routing_priority": 10
            }),
        )
        .await;
    let pool = res.ok(201);
    let id = pool["id"].as_str().unwrap();
    assert_eq!(pool["routing"][0]["provinces"], json!(["上海", "江苏"]));
    assert_eq!(pool["routing"][1]["source_channels"], json!(["exhibition"]));
    assert_eq!(pool["member_team_ids"], json!([team]));
    assert_eq!(pool["is_default"], false);

    for member in [&member_by_team, &member_direct] {
        app.get(&format!("/api/v1/pools/{id}"), &member.token)
            .await
            .ok(200);
        let list = app.get("/api/v1/pools", &member.token).await.ok(200);
        assert_eq!(list["items"].as_array().unwrap().len(), 1);
    }
    app.get(&format!("/api/v1/pools/{id}"), &outsider.token)
        .await
        .problem(404, "not_found");
    let list = app.get("/api/v1/pools", &outsider.token).await.ok(200);
    assert_eq!(list["items"], json!([]));
    app.post(
        "/api/v1/pools",
        &member_direct.token,
        &json!({"name": "Mine"}),
    )
    .await
    .problem(403, "forbidden");
    app.patch(
        &format!("/api/v1/pools/{id}"),
        &member_direct.token,
        &json!({"name": "Mine"}),
    )
    .await
    .problem(403, "forbidden");
}

#[actix_web::test]
async fn one_default_pool_at_a_time() {
    let app = TestApp::spawn().await;
    let first = app.pool("First", true, &[], &[]).await;
    let second = app.pool("Second", true, &[], &[]).await;
    let first = app
        .get(&format!("/api/v1/pools/{first}"), &app.admin.token)
        .await
        .ok(200);
    assert_eq!(first["is_default"], false);
    let second_view = app
        .get(&format!("/api/v1/pools/{second}"), &app.admin.token)
        .await
        .ok(200);
    assert_eq!(second_view["is_default"], true);
    let id = first["id"].as_str().unwrap();
    app.patch(
        &format!("/api/v1/pools/{id}"),
        &app.admin.token,
        &json!({"is_default": true}),
    )
    .await
    .ok(200);
    let second_view = app
        .get(&format!("/api/v1/pools/{second}"), &app.admin.token)
        .await
        .ok(200);
    assert_eq!(second_view["is_default"], false);
}

#[actix_web::test]
async fn bad_pools_are_refused_with_field_errors() {
    let app = TestApp::spawn().await;
    app.pool("Taken", false, &[], &[]).await;
    app.post("/api/v1/pools", &app.admin.token, &json!({"name": "TAKEN"}))
        .await
        .problem(409, "pool_name_taken");
    let body = app
        .post(
            "/api/v1/pools",
            &app.admin.token,
            &json!({"name": "P", "routing": [{"provinces": []}], "member_team_ids": [Uuid::now_v7()]}),
        )
        .await
        .problem(422, "validation_failed");
    let fields: Vec<&str> = body["errors"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["field"].as_str().unwrap())
        .collect();
    assert!(
        fields.contains(&"routing[0]") && fields.contains(&"member_team_ids[0]"),
        "{body}"
    );
    let body = app
        .post(
            "/api/v1/pools",
            &app.admin.token,
            &json!({"name": "P", "routing": [{"source_channels": ["fax"]}]}),
        )
        .await
        .problem(422, "validation_failed");
    assert!(
        body["errors"][0]["field"]
            .as_str()
            .unwrap()
            .starts_with("routing"),
        "{body}"
    );
    app.patch(
        &format!("/api/v1/pools/{}", Uuid::now_v7()),
        &app.admin.token,
        &json!({"name": "x"}),
    )
    .await
    .problem(404, "not_found");
}

#[actix_web::test]
async fn routing_sends_a_lead_to_the_first_matching_pool_else_the_default() {
    let app = TestApp::spawn().await;
    let fallback = app.pool("Everything else", true, &[], &[]).await;
    let res = app
        .post(
            "/api/v1/pools",
            &app.admin.token,
            &json!({"name": "East", "routing": [{"provinces": ["上海"]}], "routing_priority": 5}),
        )
        .await;
    let east = res.ok(201)["id"].as_str().unwrap().to_string();
    let res = app
        .post("/api/v1/pools", &app.admin.token, &json!({"name": "Fairs", "routing": [{"source_channels": ["exhibition"]}], "routing_priority": 1}))
        .await;
    let fairs = res.ok(201)["id"].as_str().unwrap().to_string();

    let lead = |phone: &str, province: &str, channel: &str| json!({"phone": phone, "province": province, "source_channel": channel});
    let a = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &lead("13800000001", "上海", "website"),
        )
        .await
        .ok(201);
    assert_eq!(a["pool_id"], json!(east));
    let b = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &lead("13800000002", "上海", "exhibition"),
        )
        .await
        .ok(201);
    assert_eq!(b["pool_id"], json!(fairs), "priority 1 beats priority 5");
    let c = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &lead("13800000003", "北京", "website"),
        )
        .await
        .ok(201);
    assert_eq!(c["pool_id"], json!(fallback));
    // An explicit pool wins over routing.
    let d = app
        .post("/api/v1/leads", &app.admin.token, &json!({"phone": "13800000004", "province": "上海", "source_channel": "ads", "pool_id": fallback}))
        .await
        .ok(201);
    assert_eq!(d["pool_id"], json!(fallback));
}

#[actix_web::test]
async fn without_a_matching_or_default_pool_a_lead_is_refused() {
    let app = TestApp::spawn().await;
    app.post(
        "/api/v1/leads",
        &app.admin.token,
        &json!({"phone": "13800000001", "source_channel": "website"}),
    )
    .await
    .problem(422, "no_pool");
}
