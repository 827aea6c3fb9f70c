//! CSV imports: encodings, mapping, dry runs, duplicates, rejected rows, resuming.

use std::time::{Duration, Instant};

use serde_json::{Value, json};

use crate::common::{Response, TestApp};

const BOUNDARY: &str = "leadpool-test-boundary";

pub(crate) async fn upload(
    app: &TestApp,
    token: &str,
    file: &[u8],
    fields: &[(&str, &str)],
    dry_run: bool,
) -> Response {
    let mut body = Vec::new();
    for (name, value) in fields {
        body.extend_from_slice(
            format!(
                "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"{name}\"\r\n\r\n{value}\r\n"
            )
            .as_bytes(),
        );
    }
    body.extend_from_slice(
        format!("--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"; filename=\"leads.csv\"\r\nContent-Type: text/csv\r\n\r\n").as_bytes(),
    );
    body.extend_from_slice(file);
    body.extend_from_slice(format!("\r\n--{BOUNDARY}--\r\n").as_bytes());
    let content_type = format!("multipart/form-data; boundary={BOUNDARY}");
    let path = format!("/api/v1/imports?dry_run={dry_run}");
    app.send(
        "POST",
        &path,
        Some(token),
        &[("Content-Type", content_type.as_str())],
        Some(body),
    )
    .await
}

pub(crate) async fn wait(app: &TestApp, id: &str) -> Value {
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        let import = app
            .get(&format!("/api/v1/imports/{id}"), &app.admin.token)
            .await
            .ok(200);
        if import["status"] == "done" || import["status"] == "failed" {
            return import;
        }
        assert!(Instant::now() < deadline, "import did not finish: {import}");
        actix_web::rt::time::sleep(Duration::from_millis(50)).await;
    }
}

fn lead_count(app: &TestApp) -> usize {
    use diesel::prelude::*;
    use leadpool::db::schema::leads;
    let mut conn = app.pool.get().unwrap();
    leads::table.count().get_result::<i64>(&mut **conn).unwrap() as usize
}

fn with_bom(text: &str) -> Vec<u8> {
    let mut bytes = b"\xEF\xBB\xBF".to_vec();
    bytes.extend_from_slice(text.as_bytes());
    bytes
}

const FILE: &str = "姓名,手机,邮箱,城市\n\
张三,13811110001,zs@example.com,上海\n\
李四,12345,ls@example.com,北京\n\
张三丰,138-1111-0001,,杭州\n\
王五,13811110009,,深圳\n\
赵六,13811110003\n\
钱七,13811110004,qq@example.com,广州\n";

#[actix_web::test]
async fn a_dry_run_reports_and_the_real_run_stores() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    // An open lead that row 5 (王五) duplicates.
    app.post(
        "/api/v1/leads",
        &app.admin.token,
        &json!({"name": "王五", "phone": "13811110009", "source_channel": "sales"}),
    )
    .await
    .ok(201);
    let before = lead_count(&app);

    let res = upload(&app, &app.admin.token, &with_bom(FILE), &[], true).await;
    let queued = res.ok(202);
    assert_eq!(queued["dry_run"], true);
    assert_eq!(queued["encoding"], "utf-8-bom");
    assert_eq!(queued["mapping"]["手机"], "phone");
    let report = wait(&app, queued["id"].as_str().unwrap()).await;
    assert_eq!(report["status"], "done");
    assert_eq!(report["rows_total"], 6);
    assert_eq!(report["progress"], 1.0);
    assert_eq!(
        (report["created"].as_i64(), report["rejected"].as_i64()),
        (Some(2), Some(2)),
        "{report}"
    );
    assert_eq!(
        (
            report["duplicates_in_file"].as_i64(),
            report["duplicates_in_db"].as_i64()
        ),
        (Some(1), Some(1)),
        "{report}"
    );
    assert_eq!(lead_count(&app), before, "a dry run writes no lead");
    let dry_rejects = app
        .get(
            &format!(
                "/api/v1/imports/{}/rejected",
                report["id"].as_str().unwrap()
            ),
            &app.admin.token,
        )
        .await;
    assert_eq!(
        String::from_utf8_lossy(&dry_rejects.body).lines().count(),
        5,
        "header, 2 rejected, 2 duplicates"
    );

    let real = upload(&app, &app.admin.token, &with_bom(FILE), &[], false)
        .await
        .ok(202);
    let done = wait(&app, real["id"].as_str().unwrap()).await;
    assert_eq!(done["status"], "done");
    assert_eq!(
        (
            done["created"].as_i64(),
            done["merged"].as_i64(),
            done["rejected"].as_i64()
        ),
        (Some(2), Some(2), Some(2)),
        "{done}"
    );
    assert_eq!(
        (
            done["duplicates_in_file"].as_i64(),
            done["duplicates_in_db"].as_i64()
        ),
        (Some(1), Some(1))
    );
    assert_eq!(lead_count(&app), before + 2);
    // 张三's lead got the city of the later row? No: it had one. The duplicate filled nothing new
    // but was recorded as a touch; 王五's existing lead got 深圳 filled in.
    let page = app
        .get("/api/v1/leads?q=13811110009", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(page["items"][0]["city"], "深圳");

    let res = app
        .get(
            &format!("/api/v1/imports/{}/rejected", done["id"].as_str().unwrap()),
            &app.admin.token,
        )
        .await;
    assert_eq!(res.status, 200);
    assert!(res.header("content-type").unwrap().starts_with("text/csv"));
    assert!(res.body.starts_with(b"\xEF\xBB\xBF"), "BOM for Excel");
    let mut reader = csv::Reader::from_reader(&res.body[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(
        header,
        vec!["姓名", "手机", "邮箱", "城市", "row", "reason"]
    );
    let rows: Vec<Vec<String>> = reader
        .records()
        .map(|r| r.unwrap().iter().map(str::to_string).collect())
        .collect();
    assert_eq!(rows.len(), 2);
    assert_eq!(rows[0][0], "李四");
    assert_eq!(rows[0][4], "3");
    assert!(rows[0][5].contains("phone"), "{:?}", rows[0]);
    assert_eq!(rows[1][0], "赵六");
    assert!(rows[1][5].contains("columns"), "{:?}", rows[1]);
}

#[actix_web::test]
async fn gbk_files_from_excel_are_read() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let (gbk, _, _) = encoding_rs::GBK.encode(
        "姓名,电话,公司\n孙悟空,13900000001,花果山水帘洞有限公司\n猪八戒,13900000002,高老庄\n",
    );
    let queued = upload(&app, &app.admin.token, &gbk, &[], false)
        .await
        .ok(202);
    assert_eq!(queued["encoding"], "gb18030");
    let done = wait(&app, queued["id"].as_str().unwrap()).await;
    assert_eq!(done["created"], 2, "{done}");
    let page = app
        .get("/api/v1/leads?q=13900000001", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(page["items"][0]["name"], "孙悟空");
    assert_eq!(page["items"][0]["company"], "花果山水帘洞有限公司");
    assert_eq!(page["items"][0]["source_channel"], "import");
}

#[actix_web::test]
async fn an_explicit_mapping_with_custom_fields_tags_and_a_pool() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let fairs = app.pool("Fairs", false, &[], &[]).await;
    app.post("/api/v1/lead-fields", &app.admin.token, &json!({"key": "products", "label": "产品", "type": "multi_select", "options": ["CRM", "ERP"]}))
        .await
        .ok(201);
    let file = "Contact,Tel,Interest,Labels,Junk\nAmy,13700000001,CRM;ERP,vip、展会,x\nBob,13700000002,OA,,y\n";
    let mapping = json!({"Contact": "name", "Tel": "phone", "Interest": "custom.products", "Labels": "tags", "Junk": "ignore"}).to_string();
    let fairs_text = fairs.to_string();
    let queued = upload(
        &app,
        &app.admin.token,
        file.as_bytes(),
        &[
            ("mapping", mapping.as_str()),
            ("pool_id", fairs_text.as_str()),
            ("source_channel", "exhibition"),
        ],
        false,
    )
    .await
    .ok(202);
    let done = wait(&app, queued["id"].as_str().unwrap()).await;
    assert_eq!(
        (done["created"].as_i64(), done["rejected"].as_i64()),
        (Some(1), Some(1)),
        "{done}"
    );
    let page = app
        .get("/api/v1/leads?q=13700000001", &app.admin.token)
        .await
        .ok(200);
    let amy = &page["items"][0];
    assert_eq!(amy["custom"]["products"], json!(["CRM", "ERP"]));
    assert_eq!(amy["tags"], json!(["vip", "展会"]));
    assert_eq!(amy["pool_id"], json!(fairs));
    assert_eq!(amy["source_channel"], "exhibition");

    let bad = json!({"Contact": "name", "Tel": "fax", "Nope": "phone"}).to_string();
    let body = upload(
        &app,
        &app.admin.token,
        file.as_bytes(),
        &[("mapping", bad.as_str())],
        false,
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(body["errors"].as_array().unwrap().len(), 2, "{body}");
}

#[actix_web::test]
async fn uploads_are_checked_and_scoped() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let sales = app.user("sales", None).await;
    let manager = app.user("manager", None).await;
    let other_manager = app.user("manager", None).await;
    upload(&app, &sales.token, FILE.as_bytes(), &[], false)
        .await
        .problem(403, "forbidden");
    let mine = upload(&app, &manager.token, FILE.as_bytes(), &[], true)
        .await
        .ok(202);
    let id = mine["id"].as_str().unwrap();
    app.get(&format!("/api/v1/imports/{id}"), &manager.token)
        .await
        .ok(200);
    app.get(&format!("/api/v1/imports/{id}"), &other_manager.token)
        .await
        .problem(404, "not_found");
    app.get(
        &format!("/api/v1/imports/{id}/rejected"),
        &other_manager.token,
    )
    .await
    .problem(404, "not_found");
    app.send(
        "POST",
        "/api/v1/imports",
        Some(&app.admin.token),
        &[("Content-Type", "text/csv")],
        Some(FILE.as_bytes().to_vec()),
    )
    .await
    .problem(415, "unsupported_media_type");
    let body = upload(
        &app,
        &app.admin.token,
        b"just,a,header\n",
        &[("colour", "red")],
        false,
    )
    .await
    .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "colour");
    let body = upload(&app, &app.admin.token, b"foo,bar\n1,2\n", &[], false)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "no_contact_column");
    let body = upload(&app, &app.admin.token, b"\xff\xfe\x00garbage", &[], false)
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["field"], "file");
}

#[actix_web::test]
async fn an_interrupted_import_resumes_where_it_stopped() {
    let app = TestApp::spawn_without_jobs().await;
    app.pool("Default", true, &[], &[]).await;
    let rows: String = (0..8)
        .map(|i| format!("Lead {i},1360000000{i}\n"))
        .collect();
    let file = format!("姓名,手机\n{rows}");
    let queued = upload(&app, &app.admin.token, file.as_bytes(), &[], false)
        .await
        .ok(202);
    let id: uuid::Uuid = queued["id"].as_str().unwrap().parse().unwrap();

    // A worker claims it and finishes one chunk (3 rows), then stalls.
    let state = app.state.clone();
    let stalled = actix_web::rt::task::spawn_blocking(move || {
        let now = leadpool::clock::Clock::now(state.clock.as_ref());
        let claimed = leadpool::db::transaction_blocking(&state.pool, |c| {
            leadpool::service::imports::claim_next(c, now)
        })
        .unwrap()
        .unwrap();
        assert_eq!(claimed.id, id);
        let token = claimed.lease_token.unwrap();
        let mut seen = Default::default();
        let more = leadpool::db::transaction_blocking(&state.pool, |c| {
            leadpool::service::imports::process_next_chunk(
                c,
                &state.vault,
                id,
                token,
                &mut seen,
                now,
            )
        })
        .unwrap();
        assert!(more);
        token
    })
    .await
    .unwrap();
    let halfway = app
        .get(&format!("/api/v1/imports/{id}"), &app.admin.token)
        .await
        .ok(200);
    assert_eq!(
        (
            halfway["status"].as_str(),
            halfway["rows_done"].as_i64(),
            halfway["created"].as_i64()
        ),
        (Some("running"), Some(3), Some(3))
    );
    assert_eq!(
        lead_count(&app),
        3,
        "exactly the finished chunk, nothing half-written"
    );

    // While the dead worker's lease lasts, nobody takes it; after it expires, a worker resumes.
    let state = app.state.clone();
    let idle = actix_web::rt::task::spawn_blocking(move || {
        leadpool::jobs::imports::run_once(&state).unwrap()
    })
    .await
    .unwrap();
    assert!(!idle);
    app.clock.advance(chrono::Duration::minutes(3));
    let state = app.state.clone();
    let worked = actix_web::rt::task::spawn_blocking(move || {
        leadpool::jobs::imports::run_once(&state).unwrap()
    })
    .await
    .unwrap();
    assert!(worked);
    // The stalled worker wakes up: its lease is gone, so it may not touch the import any more.
    let state = app.state.clone();
    let refused = actix_web::rt::task::spawn_blocking(move || {
        let now = leadpool::clock::Clock::now(state.clock.as_ref());
        leadpool::db::transaction_blocking(&state.pool, |c| {
            leadpool::service::imports::process_next_chunk(
                c,
                &state.vault,
                id,
                stalled,
                &mut Default::default(),
                now,
            )
        })
    })
    .await
    .unwrap();
    assert_eq!(refused.unwrap_err().code(), "lease_lost");
    let done = app
        .get(&format!("/api/v1/imports/{id}"), &app.admin.token)
        .await
        .ok(200);
    assert_eq!(
        (
            done["status"].as_str(),
            done["rows_done"].as_i64(),
            done["created"].as_i64()
        ),
        (Some("done"), Some(8), Some(8)),
        "{done}"
    );
    assert_eq!(lead_count(&app), 8, "every row once");
}

/// Duplicates in one chunk are merged in file order, each seeing what the earlier ones filled;
/// a duplicate of an owned lead is a touch its owner hears about.
#[actix_web::test]
async fn duplicates_merge_in_file_order_and_owners_hear_of_them() {
    let app = TestApp::spawn().await;
    let pool = app.pool("Default", true, &[], &[]).await;
    let sales = app.user("sales", None).await;
    let owned = app
        .lead(pool, json!({"name": "周八", "phone": "13911110008"}))
        .await;
    app.give_lead(owned, sales.id);

    let file = "姓名,手机,邮箱,城市\n\
孙九,13911110001,,\n\
孙九,139 1111 0001,sj@example.com,\n\
,,SJ@example.com,苏州\n\
周八,+86 139-1111-0008,zb@example.com,成都\n";
    let real = upload(&app, &app.admin.token, file.as_bytes(), &[], false)
        .await
        .ok(202);
    let done = wait(&app, real["id"].as_str().unwrap()).await;
    assert_eq!(
        (
            done["created"].as_i64(),
            done["merged"].as_i64(),
            done["duplicates_in_file"].as_i64(),
            done["duplicates_in_db"].as_i64()
        ),
        (Some(1), Some(3), Some(2), Some(1)),
        "{done}"
    );
    // Row 3 filled the email; row 4 has only that email and still found the lead, and filled
    // the city.
    let page = app
        .get("/api/v1/leads?q=13911110001", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(page["items"].as_array().unwrap().len(), 1, "{page}");
    let sun = &page["items"][0];
    assert_eq!(sun["city"], "苏州");
    let sun_id = sun["id"].as_str().unwrap();
    let timeline = app
        .get(
            &format!("/api/v1/leads/{sun_id}/timeline"),
            &app.admin.token,
        )
        .await
        .ok(200);
    let kinds: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "touched", "touched"]);
    assert_eq!(timeline["items"][1]["details"]["filled"], json!(["email"]));
    assert_eq!(timeline["items"][2]["details"]["filled"], json!(["city"]));
    assert_eq!(
        app.count(&format!("lead_touches WHERE lead_id = '{sun_id}'")),
        2
    );

    // The owned lead: filled, touched, and its owner notified.
    let lead = app
        .get(&format!("/api/v1/leads/{owned}"), &sales.token)
        .await
        .ok(200);
    assert_eq!(lead["email"], "zb@example.com");
    assert_eq!(lead["city"], "成都");
    assert_eq!(lead["owner_id"], sales.id.to_string());
    assert_eq!(
        app.count(&format!(
            "notifications WHERE user_id = '{}' AND kind = 'duplicate_touch'",
            sales.id
        )),
        1
    );
    assert_eq!(
        app.count(&format!("lead_touches WHERE lead_id = '{owned}'")),
        1
    );
    assert_eq!(app.count("leads"), 2);
}

#[actix_web::test]
async fn imports_are_listed_newest_first_to_their_uploader_and_admins() {
    let app = TestApp::spawn_without_jobs().await;
    let manager = app.user("manager", None).await;
    let other = app.user("manager", None).await;
    let sales = app.user("sales", None).await;
    let csv = "姓名,电话\n张三,13812345678\n".as_bytes();
    let mut mine = Vec::new();
    for _ in 0..3 {
        let created = upload(&app, &manager.token, csv, &[], true).await.ok(202);
        mine.push(created["id"].as_str().unwrap().to_string());
    }
    let theirs = upload(&app, &other.token, csv, &[], true).await.ok(202);
    let theirs = theirs["id"].as_str().unwrap().to_string();

    // The uploader pages through their own, newest first; nobody else's is among them.
    let first = app
        .get("/api/v1/imports?limit=2", &manager.token)
        .await
        .ok(200);
    let ids = |page: &Value| -> Vec<String> {
        page["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|i| i["id"].as_str().unwrap().to_string())
            .collect()
    };
    assert_eq!(ids(&first), vec![mine[2].clone(), mine[1].clone()]);
    assert_eq!(first["items"][0]["status"], "queued");
    let cursor = first["next_cursor"].as_str().expect("a second page");
    let second = app
        .get(
            &format!("/api/v1/imports?limit=2&cursor={cursor}"),
            &manager.token,
        )
        .await
        .ok(200);
    assert_eq!(ids(&second), vec![mine[0].clone()]);
    assert!(second["next_cursor"].is_null());

    // An admin sees everyone's; a salesperson who uploaded nothing sees none.
    let all = app.get("/api/v1/imports", &app.admin.token).await.ok(200);
    assert_eq!(
        ids(&all),
        vec![theirs, mine[2].clone(), mine[1].clone(), mine[0].clone()]
    );
    let none = app.get("/api/v1/imports", &sales.token).await.ok(200);
    assert!(none["items"].as_array().unwrap().is_empty());
    app.get("/api/v1/imports?limit=0", &manager.token)
        .await
        .problem(422, "validation_failed");
}
