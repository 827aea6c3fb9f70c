//! Scaling out: reports, listings, the audit list and exports read `DATABASE_READ_URL` when it is
//! set; and the service works with the prepared-statement cache off (as behind PgBouncer in
//! transaction mode).

use serde_json::json;

use crate::common::{TestApp, TestDb};

#[actix_web::test]
async fn listings_reports_and_exports_read_the_replica() {
    // The "replica": a migrated database that never catches up, so what is read from it shows.
    let replica = actix_web::rt::task::spawn_blocking(TestDb::new)
        .await
        .unwrap();
    let app = TestApp::spawn_with_settings(&[("DATABASE_READ_URL", replica.url.as_str())]).await;
    let pool = app.pool("P", true, &[], &[]).await;
    let lead = app.lead(pool, json!({"phone": "13500000077"})).await;

    // Writes and reads of one object use the primary.
    app.get(&format!("/api/v1/leads/{lead}"), &app.admin.token)
        .await
        .ok(200);
    // Listings, the audit list, reports and exports use the replica.
    let list = app.get("/api/v1/leads", &app.admin.token).await.ok(200);
    assert_eq!(list["items"], json!([]));
    let audit = app.get("/api/v1/audit", &app.admin.token).await.ok(200);
    assert_eq!(audit["items"], json!([]));
    let report = app
        .get(
            "/api/v1/reports/conversion?group_by=source",
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(report["groups"], json!([]), "{report}");
    let csv = app
        .send(
            "GET",
            "/api/v1/leads",
            Some(&app.admin.token),
            &[("Accept", "text/csv")],
            None,
        )
        .await;
    assert_eq!(csv.status, 200);
    assert_eq!(
        String::from_utf8(csv.body).unwrap().lines().count(),
        1,
        "only the header"
    );
    // The same requests without a replica see the lead (a control).
    let plain = TestApp::spawn_without_jobs().await;
    let pool = plain.pool("P", true, &[], &[]).await;
    plain.lead(pool, json!({"phone": "13500000077"})).await;
    let list = plain.get("/api/v1/leads", &plain.admin.token).await.ok(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn the_service_works_without_the_statement_cache() {
    let app = TestApp::spawn_with_settings(&[("LEADPOOL_DB_STATEMENT_CACHE", "off")]).await;
    let team = app.team("T", None).await;
    let sales = app.user("sales", Some(team)).await;
    let pool = app.pool("P", true, &[team], &[]).await;
    let lead = app.lead(pool, json!({"phone": "13500000078"})).await;
    for _ in 0..3 {
        app.get("/api/v1/leads", &app.admin.token).await.ok(200);
    }
    app.post(
        &format!("/api/v1/leads/{lead}/claim"),
        &sales.token,
        &json!({}),
    )
    .await
    .ok(200);
    app.post(
        &format!("/api/v1/leads/{lead}/follow-ups"),
        &sales.token,
        &json!({"type": "call", "content": "首次沟通"}),
    )
    .await
    .ok(201);
    let mine = app
        .get("/api/v1/leads?state=owned", &sales.token)
        .await
        .ok(200);
    assert_eq!(mine["items"][0]["id"], lead.to_string());
    app.send("GET", "/readyz", None, &[], None).await.ok(200);
}
