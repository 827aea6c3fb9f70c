//! Teams and their managers.

use serde_json::json;

use crate::common::TestApp;

#[actix_web::test]
async fn admins_create_rename_and_page_teams() {
    let app = TestApp::spawn().await;
    let manager = app.user("manager", None).await;
    let res = app
        .post(
            "/api/v1/teams",
            &app.admin.token,
            &json!({"name": " East China ", "manager_id": manager.id}),
        )
        .await;
    let team = res.ok(201);
    assert_eq!(team["name"], "East China");
    assert_eq!(team["manager_id"], json!(manager.id));
    let id = team["id"].as_str().unwrap();
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/teams/{id}").as_str())
    );

    let renamed = app
        .patch(
            &format!("/api/v1/teams/{id}"),
            &app.admin.token,
            &json!({"name": "East"}),
        )
        .await
        .ok(200);
    assert_eq!(renamed["name"], "East");
    assert_eq!(
        renamed["manager_id"],
        json!(manager.id),
        "absent fields stay"
    );
    let cleared = app
        .patch(
            &format!("/api/v1/teams/{id}"),
            &app.admin.token,
            &json!({"manager_id": null}),
        )
        .await
        .ok(200);
    assert_eq!(cleared["manager_id"], json!(null));
    app.get(&format!("/api/v1/teams/{id}"), &app.admin.token)
        .await
        .ok(200);
    app.get(
        &format!("/api/v1/teams/{}", uuid::Uuid::now_v7()),
        &app.admin.token,
    )
    .await
    .problem(404, "not_found");

    app.team("West", None).await;
    app.team("North", None).await;
    let first = app
        .get("/api/v1/teams?limit=2", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let next = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/api/v1/teams?limit=2&cursor={next}"),
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(second["items"].as_array().unwrap().len(), 1);
    assert_eq!(second["items"][0]["name"], "North");
    assert_eq!(second["next_cursor"], json!(null));
}

#[actix_web::test]
async fn team_names_are_unique_regardless_of_case() {
    let app = TestApp::spawn().await;
    app.team("Key Accounts", None).await;
    app.post(
        "/api/v1/teams",
        &app.admin.token,
        &json!({"name": "KEY ACCOUNTS"}),
    )
    .await
    .problem(409, "team_name_taken");
    let other = app.team("Other", None).await;
    app.patch(
        &format!("/api/v1/teams/{other}"),
        &app.admin.token,
        &json!({"name": "key accounts"}),
    )
    .await
    .problem(409, "team_name_taken");
}

#[actix_web::test]
async fn a_manager_must_be_an_active_manager_or_admin() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    let manager = app.user("manager", None).await;
    for bad in [json!(sales.id), json!(uuid::Uuid::now_v7())] {
        let body = app
            .post(
                "/api/v1/teams",
                &app.admin.token,
                &json!({"name": "T", "manager_id": bad}),
            )
            .await
            .problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "manager_id");
        assert_eq!(body["errors"][0]["code"], "invalid_manager");
    }
    app.patch(
        &format!("/api/v1/users/{}", manager.id),
        &app.admin.token,
        &json!({"active": false}),
    )
    .await
    .ok(200);
    app.post(
        "/api/v1/teams",
        &app.admin.token,
        &json!({"name": "T", "manager_id": manager.id}),
    )
    .await
    .problem(422, "validation_failed");
    let body = app
        .post("/api/v1/teams", &app.admin.token, &json!({"name": "   "}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "blank");
}

#[actix_web::test]
async fn a_demoted_or_deactivated_manager_stops_managing() {
    let app = TestApp::spawn().await;
    let manager = app.user("manager", None).await;
    let other = app.user("manager", None).await;
    let east = app.team("East", Some(manager.id)).await;
    let west = app.team("West", Some(other.id)).await;
    app.patch(
        &format!("/api/v1/users/{}", manager.id),
        &app.admin.token,
        &json!({"role": "sales"}),
    )
    .await
    .ok(200);
    app.patch(
        &format!("/api/v1/users/{}", other.id),
        &app.admin.token,
        &json!({"active": false}),
    )
    .await
    .ok(200);
    for team in [east, west] {
        let team = app
            .get(&format!("/api/v1/teams/{team}"), &app.admin.token)
            .await
            .ok(200);
        assert_eq!(team["manager_id"], json!(null));
    }
}
