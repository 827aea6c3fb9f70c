//! The conversion report: cohorts by local day, scopes, groupings, CSV, empty and bad periods.

use serde_json::{Value, json};

use super::{assert_csv_matches, history};

/// The groups of a conversion report as (key, created, claimed, converted, rate, median).
fn groups(report: &Value) -> Vec<(Value, i64, i64, i64, Value, Value)> {
    report["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].clone(),
                g["created"].as_i64().unwrap(),
                g["claimed"].as_i64().unwrap(),
                g["converted"].as_i64().unwrap(),
                g["conversion_rate"].clone(),
                g["median_days_to_convert"].clone(),
            )
        })
        .collect()
}

#[actix_web::test]
async fn conversion_counts_cohorts_by_local_day_and_scope() {
    let h = history().await;
    let day = "/api/v1/reports/conversion?from=2026-03-02&to=2026-03-02";
    let all = h.report(day, &h.app.admin).await;
    assert_eq!(all["from"], "2026-03-02");
    assert_eq!(all["to"], "2026-03-02");
    assert_eq!(all["time_zone"], "Asia/Shanghai");
    assert_eq!(all["group_by"], "source");
    assert_eq!(
        groups(&all),
        vec![
            (json!("ads"), 1, 0, 0, json!(0.0), Value::Null),
            (json!("referral"), 2, 2, 1, json!(0.5), json!(9.0)),
            (json!("website"), 2, 2, 1, json!(0.5), json!(2.0)),
        ]
    );
    // L4 was created at 23:30 local on the 1st (15:30 UTC): that day's, not the 2nd's.
    let first = h
        .report(
            "/api/v1/reports/conversion?from=2026-03-01&to=2026-03-01",
            &h.app.admin,
        )
        .await;
    assert_eq!(
        groups(&first),
        vec![(json!("event"), 1, 0, 0, json!(0.0), Value::Null)]
    );

    // Scopes: the leads a person (or a manager's team) held, converted by them.
    assert_eq!(
        groups(&h.report(day, &h.a).await),
        vec![(json!("website"), 2, 2, 1, json!(0.5), json!(2.0))]
    );
    assert_eq!(
        groups(&h.report(day, &h.b).await),
        vec![(json!("referral"), 1, 1, 0, json!(0.0), Value::Null)]
    );
    assert_eq!(
        groups(&h.report(day, &h.c).await),
        vec![(json!("referral"), 1, 1, 1, json!(1.0), json!(9.0))]
    );
    assert_eq!(
        groups(&h.report(day, &h.manager).await),
        vec![
            (json!("referral"), 1, 1, 0, json!(0.0), Value::Null),
            (json!("website"), 2, 2, 1, json!(0.5), json!(2.0)),
        ]
    );
    assert_eq!(
        groups(&h.report(day, &h.other_manager).await),
        vec![(json!("referral"), 1, 1, 1, json!(1.0), json!(9.0))]
    );

    // By pool, with the pool's name.
    let by_pool = h
        .report(&format!("{day}&group_by=pool"), &h.app.admin)
        .await;
    let mut pools: Vec<(String, String, i64, i64, i64)> = by_pool["groups"]
        .as_array()
        .unwrap()
        .iter()
        .map(|g| {
            (
                g["key"].as_str().unwrap().to_string(),
                g["label"].as_str().unwrap().to_string(),
                g["created"].as_i64().unwrap(),
                g["claimed"].as_i64().unwrap(),
                g["converted"].as_i64().unwrap(),
            )
        })
        .collect();
    pools.sort();
    let mut expected = vec![
        (h.pool.to_string(), "Reports".to_string(), 4, 4, 2),
        (h.other_pool.to_string(), "Other".to_string(), 1, 0, 0),
    ];
    expected.sort();
    assert_eq!(pools, expected);
    let by_grade = h
        .report(&format!("{day}&group_by=grade"), &h.app.admin)
        .await;
    assert_eq!(
        groups(&by_grade),
        vec![(Value::Null, 5, 4, 2, json!(0.4), json!(5.5))]
    );

    // CSV: the same rows.
    let res = h.csv(day, &h.app.admin).await;
    assert_csv_matches(&res, all["groups"].as_array().unwrap());
    assert!(
        res.header("content-disposition")
            .unwrap()
            .contains("conversion.csv")
    );

    // An empty period, and bad ones.
    let empty = h
        .report(
            "/api/v1/reports/conversion?from=2025-01-01&to=2025-01-31",
            &h.app.admin,
        )
        .await;
    assert_eq!(empty["groups"], json!([]));
    let res = h
        .csv(
            "/api/v1/reports/conversion?from=2025-01-01&to=2025-01-31",
            &h.app.admin,
        )
        .await;
    assert_eq!(
        String::from_utf8(res.body).unwrap(),
        "\u{feff}key,label,created,claimed,converted,conversion_rate,median_days_to_convert\n"
    );
    for (query, field, code) in [
        ("from=2026-03-03&to=2026-03-02", "from", "after_to"),
        ("from=2024-01-01&to=2026-01-02", "to", "period_too_long"),
        ("group_by=colour", "group_by", ""),
        ("from=2026-02-30", "from", ""),
    ] {
        let body = h
            .app
            .get(
                &format!("/api/v1/reports/conversion?{query}"),
                &h.app.admin.token,
            )
            .await
            .problem(422, "validation_failed");
        let errors = body["errors"].as_array().unwrap();
        assert!(
            errors
                .iter()
                .any(|e| e["field"] == field && (code.is_empty() || e["code"] == code)),
            "{query}: {body}"
        );
    }
}
