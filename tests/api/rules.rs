//! Pool rule sets: defaults, validation with field-level errors, versions with diffs, immediate
//! effect, and who may read or change them.

use serde_json::json;

use crate::common::TestApp;

#[actix_web::test]
async fn rules_start_at_the_defaults_and_every_change_is_a_version() {
    let app = TestApp::spawn().await;
    let member = app.user("sales", None).await;
    let outsider = app.user("sales", None).await;
    let pool = app.pool("Rules", true, &[], &[member.id]).await;
    let path = format!("/api/v1/pools/{pool}/rules");

    let current = app.get(&path, &member.token).await.ok(200);
    assert_eq!(current["version"], 1);
    assert_eq!(current["changed_by"], app.admin.id.to_string());
    let rules = &current["rules"];
    assert_eq!(rules["first_follow_up_hours"], 24);
    assert_eq!(rules["no_contact_days"], 3);
    assert_eq!(rules["max_follow_ups_without_progress"], 5);
    assert_eq!(rules["no_deal_days"], json!(null));
    assert_eq!(rules["warn_before_recycle_hours"], 24);
    assert_eq!(rules["exempt_stages"], json!(["negotiation"]));
    assert_eq!(rules["release_requires_approval"], true);
    assert_eq!(rules["claim_mode"], "first_come");
    assert_eq!(rules["max_owned_per_user"], 50);
    assert_eq!(rules["max_claims_per_day"], 10);
    assert_eq!(rules["reclaim_cooldown_days"], 7);
    app.get(&path, &outsider.token)
        .await
        .problem(404, "not_found");
    app.json("PUT", &path, Some(&member.token), &json!({}))
        .await
        .problem(403, "forbidden");

    let changed = app
        .json(
            "PUT",
            &path,
            Some(&app.admin.token),
            &json!({"max_claims_per_day": 1, "no_deal_days": 30}),
        )
        .await
        .ok(200);
    assert_eq!(changed["version"], 2);
    assert_eq!(changed["rules"]["max_claims_per_day"], 1);
    assert_eq!(changed["rules"]["no_contact_days"], 3);
    // The same rules again: no new version.
    let same = app
        .json(
            "PUT",
            &path,
            Some(&app.admin.token),
            &json!({"max_claims_per_day": 1, "no_deal_days": 30}),
        )
        .await
        .ok(200);
    assert_eq!(same["version"], 2);
    // Omitted rules go back to their defaults; null turns one off.
    let third = app
        .json(
            "PUT",
            &path,
            Some(&app.admin.token),
            &json!({"no_contact_days": null}),
        )
        .await
        .ok(200);
    assert_eq!(third["version"], 3);
    assert_eq!(third["rules"]["max_claims_per_day"], 10);

    let versions = app
        .get(&format!("{path}/versions?limit=2"), &app.admin.token)
        .await
        .ok(200);
    let items = versions["items"].as_array().unwrap();
    assert_eq!(items[0]["version"], 3);
    assert_eq!(
        items[0]["diff"],
        json!({
            "no_contact_days": {"from": 3, "to": null},
            "no_deal_days": {"from": 30, "to": null},
            "max_claims_per_day": {"from": 1, "to": 10}
        })
    );
    assert_eq!(items[1]["version"], 2);
    assert_eq!(items[1]["changed_by"], app.admin.id.to_string());
    let cursor = versions["next_cursor"].as_str().unwrap();
    let rest = app
        .get(
            &format!("{path}/versions?cursor={cursor}"),
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(rest["items"][0]["version"], 1);
    assert_eq!(rest["next_cursor"], json!(null));
    app.get(&format!("{path}/versions"), &member.token)
        .await
        .problem(403, "forbidden");
    let audit: i64 = {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query("SELECT count(*) AS n FROM audit_log WHERE action = 'pool.rules_changed'")
            .get_result::<N>(&mut **app.pool.get().unwrap())
            .unwrap()
            .n
    };
    assert_eq!(audit, 2);
}

#[actix_web::test]
async fn invalid_rules_are_refused_field_by_field() {
    let app = TestApp::spawn().await;
    let pool = app.pool("Strict", true, &[], &[]).await;
    let path = format!("/api/v1/pools/{pool}/rules");
    let put = |body: serde_json::Value| {
        let (app, path) = (&app, path.clone());
        async move { app.json("PUT", &path, Some(&app.admin.token), &body).await }
    };
    let fields = |body: &serde_json::Value| -> Vec<(String, String)> {
        body["errors"]
            .as_array()
            .unwrap()
            .iter()
            .map(|e| {
                (
                    e["field"].as_str().unwrap().to_string(),
                    e["code"].as_str().unwrap().to_string(),
                )
            })
            .collect()
    };
    let res = put(json!({"no_contact_days": -1, "max_claims_per_day": -5}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        fields(&res),
        [
            ("max_claims_per_day".to_string(), "out_of_range".to_string()),
            ("no_contact_days".to_string(), "out_of_range".to_string())
        ]
    );
    let res = put(json!({"claim_mode": "capability", "default_tier": 1,
                         "tiers": [{"tier": 1, "max_claims_per_day": 3, "grades": ["A"]}]}))
    .await
    .problem(422, "validation_failed");
    assert_eq!(
        fields(&res),
        [("tiers[0].max_owned".to_string(), "required".to_string())]
    );
    let res = put(json!({"exempt_stages": ["negotiation", "sleeping"]}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(fields(&res)[0].0, "exempt_stages[1]");
    let res = put(json!({"claim_mode": "capability"}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(
        fields(&res),
        [
            ("tiers".to_string(), "required".to_string()),
            ("default_tier".to_string(), "required".to_string())
        ]
    );
    let res = put(json!({"max_claim_per_day": 3}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(fields(&res)[0].1, "unknown_field");
    let res = put(json!({"member_weights": [{"user_id": uuid::Uuid::now_v7(), "weight": 2}]}))
        .await
        .problem(422, "validation_failed");
    assert_eq!(fields(&res)[0].0, "member_weights[0].user_id");
    put(json!({"tiers": [{"tier": 1, "max_owned": 1, "max_claims_per_day": 1, "grades": []}]}))
        .await
        .problem(422, "validation_failed");
    // Nothing invalid was stored.
    let current = app.get(&path, &app.admin.token).await.ok(200);
    assert_eq!(current["version"], 1);
}

#[actix_web::test]
async fn a_rule_change_takes_effect_on_the_next_claim() {
    let app = TestApp::spawn().await;
    let me = app.user("sales", None).await;
    let pool = app.pool("Live", true, &[], &[me.id]).await;
    let l1 = app.lead(pool, json!({"phone": "13800000001"})).await;
    let l2 = app.lead(pool, json!({"phone": "13800000002"})).await;
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"max_claims_per_day": 1}),
    )
    .await
    .ok(200);
    app.post(&format!("/api/v1/leads/{l1}/claim"), &me.token, &json!({}))
        .await
        .ok(200);
    app.post(&format!("/api/v1/leads/{l2}/claim"), &me.token, &json!({}))
        .await
        .problem(422, "daily_claim_limit_reached");
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"max_claims_per_day": 2}),
    )
    .await
    .ok(200);
    app.post(&format!("/api/v1/leads/{l2}/claim"), &me.token, &json!({}))
        .await
        .ok(200);
}

#[actix_web::test]
async fn the_rules_read_as_sentences_in_chinese_or_english_and_follow_every_change() {
    let app = TestApp::spawn_without_jobs().await;
    let member = app.user("sales", None).await;
    let outsider = app.user("sales", None).await;
    let pool = app.pool("Words", true, &[], &[member.id]).await;
    let path = format!("/api/v1/pools/{pool}/rules/explain");
    let texts = |v: &serde_json::Value| -> Vec<String> {
        v["sentences"]
            .as_array()
            .unwrap()
            .iter()
            .map(|s| s["text"].as_str().unwrap().to_string())
            .collect()
    };

    let res = app.get(&path, &member.token).await;
    assert_eq!(res.header("content-language"), Some("zh"));
    let zh = res.ok(200);
    assert_eq!(
        (zh["language"].as_str(), zh["version"].as_i64()),
        (Some("zh"), Some(1))
    );
    assert!(
        texts(&zh).contains(&"认领后 24 小时内必须首次跟进，否则退回公海。".to_string()),
        "{zh}"
    );
    assert_eq!(zh["lead"], json!(null));

    let res = app
        .send(
            "GET",
            &path,
            Some(&member.token),
            &[("Accept-Language", "en-US,en;q=0.9,zh;q=0.5")],
            None,
        )
        .await;
    assert_eq!(res.header("content-language"), Some("en"));
    let en = res.ok(200);
    assert!(texts(&en).contains(
        &"Follow up within 24 hours of claiming a lead, or it goes back to the pool.".to_string()
    ));

    // A rule change is in the very next explanation.
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"first_follow_up_hours": 48, "no_deal_days": 30}),
    )
    .await
    .ok(200);
    let changed = app.get(&path, &member.token).await.ok(200);
    assert_eq!(changed["version"], 2);
    let now = texts(&changed);
    assert!(
        now.contains(&"认领后 48 小时内必须首次跟进，否则退回公海。".to_string()),
        "{now:?}"
    );
    assert!(now.contains(&"持有 30 天仍未成交的线索退回公海。".to_string()));

    // One lead's own deadline, for the person who holds it.
    let lead = app.lead(pool, json!({"phone": "13911112222"})).await;
    app.post(
        &format!("/api/v1/leads/{lead}/claim"),
        &member.token,
        &json!({}),
    )
    .await
    .ok(200);
    let one = app
        .get(&format!("{path}?lead_id={lead}"), &member.token)
        .await
        .ok(200);
    assert_eq!(one["lead"]["recycle_reason"], "recycled_no_first_follow_up");
    let text = one["lead"]["text"].as_str().unwrap();
    assert!(
        text.starts_with("这条线索将于 ") && text.contains("认领后 48 小时内没有首次跟进"),
        "{text}"
    );

    // Members only; a lead the caller may not read is not explained.
    app.get(&path, &outsider.token)
        .await
        .problem(404, "not_found");
    let other = app.lead(pool, json!({"phone": "13911113333"})).await;
    app.give_lead(other, app.user("sales", None).await.id);
    let bad = app
        .get(&format!("{path}?lead_id={other}"), &member.token)
        .await
        .problem(422, "validation_failed");
    assert_eq!(bad["errors"][0]["field"], "lead_id");
}
