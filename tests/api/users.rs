//! People: creating, reading (scoped), paging and changing users.

use std::collections::HashSet;

use chrono::{Duration, Utc};
use serde_json::json;

use crate::common::{PASSWORD, TestApp};

#[actix_web::test]
async fn admin_creates_a_user_who_can_sign_in() {
    let app = TestApp::spawn().await;
    let team = app.team("East", None).await;
    let res = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"name": " Li Na ", "email": "Li.Na@Example.com", "role": "sales", "team_id": team, "tier": 2, "password": PASSWORD}),
        )
        .await;
    let user = res.ok(201);
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/users/{}", user["id"].as_str().unwrap()).as_str())
    );
    assert_eq!(user["name"], "Li Na");
    assert_eq!(user["email"], "li.na@example.com");
    assert_eq!(user["role"], "sales");
    assert_eq!(user["team_id"], json!(team));
    assert_eq!(user["tier"], 2);
    assert_eq!(user["active"], true);
    assert!(user.get("password").is_none() && user.get("password_hash").is_none());
    let signed_in = app.login("LI.NA@example.com", PASSWORD).await;
    let me = app.get("/api/v1/me", &signed_in.token).await.ok(200);
    assert_eq!(me["team"]["name"], "East");
    assert_eq!(me["tier"], 2);
}

#[actix_web::test]
async fn emails_are_unique_regardless_of_case() {
    let app = TestApp::spawn().await;
    let body =
        json!({"name": "A", "email": "dup@example.com", "role": "sales", "password": PASSWORD});
    app.post("/api/v1/users", &app.admin.token, &body)
        .await
        .ok(201);
    let upper =
        json!({"name": "B", "email": "DUP@example.com", "role": "sales", "password": PASSWORD});
    app.post("/api/v1/users", &app.admin.token, &upper)
        .await
        .problem(409, "email_taken");
}

#[actix_web::test]
async fn weak_passwords_and_unknown_teams_are_refused() {
    let app = TestApp::spawn().await;
    let body = app
        .post("/api/v1/users", &app.admin.token, &json!({"name": "A", "email": "a@example.com", "role": "sales", "password": "  padded password  "}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "weak_password");
    let body = app
        .post(
            "/api/v1/users",
            &app.admin.token,
            &json!({"name": "A", "email": "a@example.com", "role": "sales", "password": PASSWORD, "team_id": uuid::Uuid::now_v7()}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "team_id");
}

#[actix_web::test]
async fn listing_pages_with_an_opaque_cursor() {
    let app = TestApp::spawn().await;
    for _ in 0..4 {
        app.user("sales", None).await;
    }
    let mut seen = HashSet::new();
    let mut cursor: Option<String> = None;
    let mut pages = 0;
    loop {
        let path = match &cursor {
            Some(c) => format!("/api/v1/users?limit=2&cursor={c}"),
            None => "/api/v1/users?limit=2".to_string(),
        };
        let page = app.get(&path, &app.admin.token).await.ok(200);
        pages += 1;
        for item in page["items"].as_array().unwrap() {
            assert!(
                seen.insert(item["id"].as_str().unwrap().to_string()),
                "no repeats across pages"
            );
        }
        match page["next_cursor"].as_str() {
            Some(next) => cursor = Some(next.to_string()),
            None => break,
        }
    }
    assert_eq!(seen.len(), 5, "the admin and four salespeople");
    assert_eq!(pages, 3);
    let sales = app
        .get("/api/v1/users?role=sales&active=true", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(sales["items"].as_array().unwrap().len(), 4);
    let found = app
        .get("/api/v1/users?q=ADMIN%40", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(found["items"].as_array().unwrap().len(), 1);
    let none = app
        .get("/api/v1/users?q=%25", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(
        none["items"].as_array().unwrap().len(),
        0,
        "% is matched literally"
    );
}

#[actix_web::test]
async fn managers_read_only_their_teams() {
    let app = TestApp::spawn().await;
    let manager = app.user("manager", None).await;
    let other_manager = app.user("manager", None).await;
    let east = app.team("East", Some(manager.id)).await;
    let west = app.team("West", Some(other_manager.id)).await;
    let mine = app.user("sales", Some(east)).await;
    let theirs = app.user("sales", Some(west)).await;
    let lone = app.user("sales", None).await;

    let page = app.get("/api/v1/users", &manager.token).await.ok(200);
    let ids: HashSet<String> = page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["id"].as_str().unwrap().to_string())
        .collect();
    assert_eq!(
        ids,
        HashSet::from([mine.id.to_string(), manager.id.to_string()])
    );

    app.get(&format!("/api/v1/users/{}", mine.id), &manager.token)
        .await
        .ok(200);
    app.get(&format!("/api/v1/users/{}", manager.id), &manager.token)
        .await
        .ok(200);
    for hidden in [theirs.id, lone.id, app.admin.id, uuid::Uuid::now_v7()] {
        app.get(&format!("/api/v1/users/{hidden}"), &manager.token)
            .await
            .problem(404, "not_found");
    }
    // Salespeople use /me, not /users.
    app.get(&format!("/api/v1/users/{}", mine.id), &mine.token)
        .await
        .problem(403, "forbidden");
}

#[actix_web::test]
async fn admins_change_users_and_leave_windows_are_checked() {
    let app = TestApp::spawn().await;
    let team = app.team("North", None).await;
    let sales = app.user("sales", None).await;
    let path = format!("/api/v1/users/{}", sales.id);
    let from = Utc::now() - Duration::hours(1);
    let until = Utc::now() + Duration::days(3);
    let user = app
        .patch(&path, &app.admin.token, &json!({"team_id": team, "tier": 3, "on_leave_from": from, "on_leave_until": until, "name": "Renamed"}))
        .await
        .ok(200);
    assert_eq!(user["team_id"], json!(team));
    assert_eq!(user["tier"], 3);
    assert_eq!(user["on_leave"], true);
    assert_eq!(user["name"], "Renamed");

    // Leave ends when the clock passes it.
    app.clock.advance(Duration::days(4));
    let admin = app.login(&app.admin.email, PASSWORD).await;
    let user = app.get(&path, &admin.token).await.ok(200);
    assert_eq!(user["on_leave"], false);

    // null clears; absent leaves alone.
    let user = app
        .patch(&path, &admin.token, &json!({"team_id": null, "tier": null}))
        .await
        .ok(200);
    assert_eq!(user["team_id"], json!(null));
    assert_eq!(user["tier"], json!(null));
    assert_eq!(user["name"], "Renamed");

    let body = app
        .patch(
            &path,
            &admin.token,
            &json!({"on_leave_until": from - Duration::days(1)}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "invalid_window");
    let body = app
        .patch(&path, &admin.token, &json!({"tier": 0}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "tier");
    app.patch(
        &format!("/api/v1/users/{}", uuid::Uuid::now_v7()),
        &admin.token,
        &json!({"name": "x"}),
    )
    .await
    .problem(404, "not_found");
}

#[actix_web::test]
async fn a_new_password_signs_the_user_out_and_works() {
    let app = TestApp::spawn().await;
    let sales = app.user("sales", None).await;
    app.patch(
        &format!("/api/v1/users/{}", sales.id),
        &app.admin.token,
        &json!({"password": "a brand new password"}),
    )
    .await
    .ok(200);
    app.json(
        "POST",
        "/api/v1/auth/refresh",
        None,
        &json!({"refresh_token": sales.refresh_token}),
    )
    .await
    .problem(401, "invalid_refresh_token");
    app.json(
        "POST",
        "/api/v1/auth/login",
        None,
        &json!({"email": sales.email, "password": PASSWORD}),
    )
    .await
    .problem(401, "invalid_credentials");
    app.login(&sales.email, "a brand new password").await;
}

#[actix_web::test]
async fn the_last_active_admin_cannot_be_removed() {
    let app = TestApp::spawn().await;
    let me = format!("/api/v1/users/{}", app.admin.id);
    app.patch(&me, &app.admin.token, &json!({"role": "manager"}))
        .await
        .problem(409, "last_admin");
    app.patch(&me, &app.admin.token, &json!({"active": false}))
        .await
        .problem(409, "last_admin");

    let second = app.user("admin", None).await;
    // With two admins demoting each other at once, exactly one succeeds.
    let theirs = format!("/api/v1/users/{}", second.id);
    let to_sales = json!({"role": "sales"});
    let demote_me = app.patch(&me, &second.token, &to_sales);
    let demote_them = app.patch(&theirs, &app.admin.token, &to_sales);
    let (a, b) = futures_util::future::join(demote_me, demote_them).await;
    let mut statuses = [a.status, b.status];
    statuses.sort();
    assert_eq!(statuses, [200, 409]);
    let count: i64 = {
        use diesel::prelude::*;
        use leadpool::db::schema::users;
        let mut conn = app.pool.get().unwrap();
        users::table
            .filter(users::role.eq("admin"))
            .filter(users::active.eq(true))
            .count()
            .get_result(&mut **conn)
            .unwrap()
    };
    assert_eq!(count, 1);
}
