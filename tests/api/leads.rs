//! Leads: cleaning, encryption at rest, dedupe, scoped reads, edits, listing and the timeline.

use std::collections::HashSet;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{TestApp, TestUser};

fn id_of(v: &Value) -> String {
    v["id"].as_str().unwrap().to_string()
}

fn ids(page: &Value) -> Vec<String> {
    page["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(id_of)
        .collect()
}

/// Gives a lead to a salesperson (with a claim record, as an assignment does).
fn own(app: &TestApp, lead: &str, owner: &TestUser) {
    app.give_lead(lead, owner.id);
}

#[actix_web::test]
async fn manual_entry_cleans_every_field() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let res = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({
                "name": "  张伟 ",
                "company": "上海星辰科技（集团）有限公司",
                "phone": "＋86 138-1234-5678",
                "email": " Zhang.Wei@Example.COM ",
                "wechat": " ZhangWei88 ",
                "province": "上海",
                "industry": "ＩＴ",
                "grade": "A",
                "source_channel": "exhibition",
                "source_detail": "2026 上海 CRM 展",
                "tags": ["展会", " 展会 ", "vip"]
            }),
        )
        .await;
    let lead = res.ok(201);
    assert_eq!(
        res.header("location"),
        Some(format!("/api/v1/leads/{}", id_of(&lead)).as_str())
    );
    assert_eq!(lead["name"], "张伟");
    assert_eq!(lead["company"], "上海星辰科技(集团)有限公司");
    assert_eq!(lead["phone"], "+8613812345678");
    assert_eq!(lead["email"], "zhang.wei@example.com");
    assert_eq!(lead["wechat"], "zhangwei88");
    assert_eq!(lead["industry"], "IT");
    assert_eq!(lead["state"], "pooled");
    assert_eq!(lead["stage"], Value::Null);
    assert_eq!(lead["owner_id"], Value::Null);
    assert_eq!(lead["tags"], json!(["展会", "vip"]));
    assert_eq!(lead["created_by"], json!(app.admin.id));
}

#[actix_web::test]
async fn chinese_fixed_lines_and_bad_numbers() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let lead = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({"phone": "(010) 6234-5678", "source_channel": "visit"}),
        )
        .await
        .ok(201);
    assert_eq!(lead["phone"], "+861062345678");
    let lead = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({"phone": "0086 21 6234 5679", "source_channel": "visit"}),
        )
        .await
        .ok(201);
    assert_eq!(lead["phone"], "+862162345679");
    for bad in ["12345", "138123456789", "call me maybe", "+86 999"] {
        let body = app
            .post(
                "/api/v1/leads",
                &app.admin.token,
                &json!({"phone": bad, "source_channel": "visit"}),
            )
            .await
            .problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["field"], "phone", "{bad}");
        assert_eq!(body["errors"][0]["code"], "invalid_phone", "{bad}");
    }
    let body = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({"phone": "1", "email": "no", "wechat": "two words", "source_channel": "visit"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"].as_array().unwrap().len(), 3, "{body}");
    let body = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({"name": "Only a name", "source_channel": "visit"}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(body["errors"][0]["code"], "no_contact");
}

#[actix_web::test]
async fn contact_data_is_encrypted_at_rest() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    app.post(
        "/api/v1/leads",
        &app.admin.token,
        &json!({"name": "李娜", "phone": "13812345678", "email": "li.na@example.com", "wechat": "lina_wx", "source_channel": "website"}),
    )
    .await
    .ok(201);
    // Everything the database holds about leads, as text: no phone, email or WeChat id in clear.
    // Also the ciphertext's raw bytes, in case digits survived as ASCII.
    let all = app.dump_as_text(&[
        "leads",
        "lead_events",
        "(SELECT encode(phone_enc, 'escape') AS raw FROM leads)",
    ]);
    assert!(all.contains("李娜"), "names are not contact data");
    for secret in [
        "13812345678",
        "8613812345678",
        "li.na@example.com",
        "li.na",
        "lina_wx",
    ] {
        assert!(
            !all.contains(secret),
            "{secret} is readable in the database"
        );
    }
}

#[actix_web::test]
async fn duplicates_by_phone_email_wechat_or_company_and_name_are_409() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let sales = app.user("sales", None).await;
    let original = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({"name": "王芳", "company": "北京云图有限公司", "phone": "13911112222", "email": "wf@example.com", "wechat": "wangfang", "source_channel": "website"}),
        )
        .await
        .ok(201);
    let original_id = id_of(&original);
    let attempts = [
        json!({"phone": "+86 139 1111 2222", "source_channel": "ads"}),
        json!({"email": "WF@example.com", "source_channel": "ads"}),
        json!({"wechat": "WangFang", "source_channel": "ads"}),
        json!({"company": "北京云图", "name": "王 芳", "source_channel": "ads"}),
    ];
    for body in &attempts {
        let problem = app
            .post("/api/v1/leads", &app.admin.token, body)
            .await
            .problem(409, "duplicate_lead");
        assert_eq!(
            problem["existing_lead_id"],
            json!(original_id),
            "the admin may see it"
        );
        let problem = app
            .post("/api/v1/leads", &sales.token, body)
            .await
            .problem(409, "duplicate_lead");
        assert!(
            problem.get("existing_lead_id").is_none(),
            "a salesperson may not: {problem}"
        );
    }
    // Other people at another company are not duplicates.
    app.post(
        "/api/v1/leads",
        &app.admin.token,
        &json!({"company": "北京云图", "name": "李雷", "source_channel": "ads"}),
    )
    .await
    .ok(201);
}

#[actix_web::test]
async fn twenty_concurrent_identical_entries_make_one_lead() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let body = json!({"name": "赵敏", "phone": "13700001111", "source_channel": "website"});
    let attempts = (0..20).map(|_| app.post("/api/v1/leads", &app.admin.token, &body));
    let results = futures_util::future::join_all(attempts).await;
    let created = results.iter().filter(|r| r.status == 201).count();
    let duplicates = results.iter().filter(|r| r.status == 409).count();
    assert_eq!(
        (created, duplicates),
        (1, 19),
        "{:?}",
        results.iter().map(|r| r.status).collect::<Vec<_>>()
    );
    let page = app
        .get("/api/v1/leads?q=13700001111", &app.admin.token)
        .await
        .ok(200);
    assert_eq!(page["items"].as_array().unwrap().len(), 1);
}

#[actix_web::test]
async fn reads_are_scoped_to_owner_manager_and_admin() {
    let app = TestApp::spawn().await;
    let manager = app.user("manager", None).await;
    let east = app.team("East", Some(manager.id)).await;
    let mine = app.user("sales", Some(east)).await;
    let colleague = app.user("sales", Some(east)).await;
    let stranger = app.user("sales", None).await;
    let other_manager = app.user("manager", None).await;
    app.pool("Default", true, &[east], &[]).await;
    let lead = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({"phone": "13600000001", "source_channel": "website"}),
        )
        .await
        .ok(201);
    let id = id_of(&lead);
    let path = format!("/api/v1/leads/{id}");

    // Pooled: only the admin reads it here (members browse pools in the pool listing).
    app.get(&path, &mine.token).await.problem(404, "not_found");
    own(&app, &id, &mine);
    app.get(&path, &mine.token).await.ok(200);
    app.get(&path, &manager.token).await.ok(200);
    app.get(&path, &app.admin.token).await.ok(200);
    for outsider in [&colleague, &stranger, &other_manager] {
        app.get(&path, &outsider.token)
            .await
            .problem(404, "not_found");
        app.patch(&path, &outsider.token, &json!({"city": "杭州"}))
            .await
            .problem(404, "not_found");
        app.get(&format!("{path}/timeline"), &outsider.token)
            .await
            .problem(404, "not_found");
        assert!(ids(&app.get("/api/v1/leads", &outsider.token).await.ok(200)).is_empty());
    }
    assert_eq!(
        ids(&app.get("/api/v1/leads", &mine.token).await.ok(200)),
        vec![id.clone()]
    );
    assert_eq!(
        ids(&app.get("/api/v1/leads", &manager.token).await.ok(200)),
        vec![id.clone()]
    );
    app.get(
        &format!("/api/v1/leads/{}", Uuid::now_v7()),
        &app.admin.token,
    )
    .await
    .problem(404, "not_found");
}

#[actix_web::test]
async fn edits_change_data_only_and_are_on_the_timeline() {
    let app = TestApp::spawn().await;
    app.pool("Default", true, &[], &[]).await;
    let sales = app.user("sales", None).await;
    let lead = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({"name": "周杰", "phone": "13500000001", "source_channel": "referral"}),
        )
        .await
        .ok(201);
    let other = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &json!({"phone": "13500000002", "source_channel": "referral"}),
        )
        .await
        .ok(201);
    let id = id_of(&lead);
    own(&app, &id, &sales);
    let path = format!("/api/v1/leads/{id}");

    let changed = app
        .patch(
            &path,
            &sales.token,
            &json!({"city": " 杭州 ", "email": "ZJ@example.com", "grade": "B", "tags": ["回访"]}),
        )
        .await
        .ok(200);
    assert_eq!(changed["city"], "杭州");
    assert_eq!(changed["email"], "zj@example.com");
    assert_eq!(changed["grade"], "B");
    assert_eq!(changed["name"], "周杰", "absent fields stay");

    for forbidden in [
        json!({"owner_id": sales.id}),
        json!({"state": "pooled"}),
        json!({"stage": "won"}),
        json!({"pool_id": Uuid::now_v7()}),
        json!({"recycle_at": "2030-01-01T00:00:00Z"}),
        json!({"source_channel": "ads"}),
    ] {
        let body = app
            .patch(&path, &sales.token, &forbidden)
            .await
            .problem(422, "validation_failed");
        assert_eq!(body["errors"][0]["code"], "unknown_field", "{forbidden}");
    }
    let problem = app
        .patch(&path, &sales.token, &json!({"phone": "135-0000-0002"}))
        .await
        .problem(409, "duplicate_lead");
    assert!(
        problem.get("existing_lead_id").is_none(),
        "the other lead is not the salesperson's"
    );
    let _ = other;
    app.patch(
        &path,
        &sales.token,
        &json!({"phone": null, "email": null, "name": null}),
    )
    .await
    .problem(422, "validation_failed");
    let cleared = app
        .patch(&path, &sales.token, &json!({"city": null}))
        .await
        .ok(200);
    assert_eq!(cleared["city"], Value::Null);

    let timeline = app
        .get(&format!("{path}/timeline"), &sales.token)
        .await
        .ok(200);
    let kinds: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, vec!["created", "updated", "updated"]);
    let first_edit = &timeline["items"][1];
    assert_eq!(first_edit["actor_id"], json!(sales.id));
    assert_eq!(first_edit["details"]["changed"]["city"]["to"], "杭州");
    assert_eq!(first_edit["details"]["contact_changed"], json!(["email"]));
    assert!(
        !first_edit.to_string().contains("zj@example.com"),
        "contact values stay off the timeline"
    );
}

#[actix_web::test]
async fn listing_filters_searches_and_pages() {
    let app = TestApp::spawn().await;
    let pool = app.pool("Default", true, &[], &[]).await;
    let mk = |name: &str, phone: &str, extra: Value| {
        let mut body = json!({"name": name, "phone": phone, "source_channel": "website"});
        body.as_object_mut()
            .unwrap()
            .extend(extra.as_object().unwrap().clone());
        body
    };
    let a = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &mk(
                "陈一",
                "13300000001",
                json!({"grade": "A", "province": "广东", "email": "a@example.com"}),
            ),
        )
        .await
        .ok(201);
    let b = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &mk(
                "陈二",
                "13300000002",
                json!({"grade": "B", "province": "广东", "source_channel": "ads"}),
            ),
        )
        .await
        .ok(201);
    let c = app
        .post(
            "/api/v1/leads",
            &app.admin.token,
            &mk(
                "林三",
                "13300000003",
                json!({"grade": "A", "industry": "制造"}),
            ),
        )
        .await
        .ok(201);
    let (a, b, c) = (id_of(&a), id_of(&b), id_of(&c));
    let get = |q: &'static str| {
        let path = format!("/api/v1/leads?{q}");
        let token = app.admin.token.clone();
        let app = &app;
        async move { ids(&app.get(&path, &token).await.ok(200)) }
    };
    assert_eq!(
        get("").await,
        vec![c.clone(), b.clone(), a.clone()],
        "newest first"
    );
    assert_eq!(
        get("order=oldest").await,
        vec![a.clone(), b.clone(), c.clone()]
    );
    assert_eq!(get("grade=A").await, vec![c.clone(), a.clone()]);
    assert_eq!(
        get("grade=A&province=%E5%B9%BF%E4%B8%9C").await,
        vec![a.clone()]
    );
    assert_eq!(get("source=ads").await, vec![b.clone()]);
    assert_eq!(
        get("q=%E9%99%88").await,
        vec![b.clone(), a.clone()],
        "q: part of the name"
    );
    assert_eq!(
        get("q=%2B86%20133-0000-0003").await,
        vec![c.clone()],
        "q: a phone in any spelling"
    );
    assert_eq!(
        get("q=A%40EXAMPLE.COM").await,
        vec![a.clone()],
        "q: an email"
    );
    assert_eq!(get("missing=email,industry").await, vec![b.clone()]);
    assert_eq!(get("industry=%E5%88%B6%E9%80%A0").await, vec![c.clone()]);
    let path = format!("/api/v1/leads?pool_id={pool}&state=pooled");
    assert_eq!(
        ids(&app.get(&path, &app.admin.token).await.ok(200)).len(),
        3
    );
    let later = (chrono::Utc::now() + chrono::Duration::hours(1)).to_rfc3339();
    let path = format!("/api/v1/leads?created_from={}", later.replace('+', "%2B"));
    assert!(ids(&app.get(&path, &app.admin.token).await.ok(200)).is_empty());

    // Paging: two pages of two and one, no repeats.
    let first = app
        .get("/api/v1/leads?limit=2", &app.admin.token)
        .await
        .ok(200);
    let next = first["next_cursor"].as_str().unwrap();
    let second = app
        .get(
            &format!("/api/v1/leads?limit=2&cursor={next}"),
            &app.admin.token,
        )
        .await
        .ok(200);
    let all: HashSet<String> = ids(&first).into_iter().chain(ids(&second)).collect();
    assert_eq!(all.len(), 3);
    assert_eq!(second["next_cursor"], Value::Null);

    for bad in [
        "limit=201",
        "missing=shoe_size",
        "state=lost",
        "grade=E",
        "created_from=yesterday",
        "colour=red",
    ] {
        app.get(&format!("/api/v1/leads?{bad}"), &app.admin.token)
            .await
            .problem(422, "validation_failed");
    }
}
