//! The pool-health report: flows in and out, backlog and churn, and who may read which pools.

use serde_json::{Value, json};
use uuid::Uuid;

use super::{History, assert_csv_matches, history};
use crate::common::TestUser;

#[actix_web::test]
async fn pool_health_shows_flows_backlog_and_churn() {
    let h = history().await;
    let path = "/api/v1/reports/pool-health?from=2026-03-02&to=2026-03-04";
    let all = h.report(path, &h.app.admin).await;
    let pools = all["pools"].as_array().unwrap();
    assert_eq!(pools.len(), 2);
    let main = pools.iter().find(|p| p["name"] == "Reports").unwrap();
    for (field, value) in [
        ("inflow_manual", json!(4)),
        ("inflow_intake", json!(0)),
        ("inflow_import", json!(0)),
        ("inflow_releases", json!(1)),
        ("inflow_recycles", json!(1)),
        ("outflow_claims", json!(3)),
        ("outflow_assignments", json!(1)),
        ("outflow_distributed", json!(0)),
        ("median_hours_in_pool", json!(3.0)),
        ("backlog", json!(3)),
        ("never_claimed_over_30_days", json!(1)),
    ] {
        assert_eq!(main[field], value, "{field}");
    }
    assert_eq!(
        main["churn"],
        json!([{"user_id": h.a.id, "name": person_name(&h, &h.a).await, "claims": 2, "recycled": 1, "recycled_share": 0.5}])
    );
    let other = pools.iter().find(|p| p["name"] == "Other").unwrap();
    assert_eq!(other["inflow_manual"], 1);
    assert_eq!(other["backlog"], 1);
    assert_eq!(other["never_claimed_over_30_days"], 1);
    assert_eq!(other["median_hours_in_pool"], Value::Null);
    assert_eq!(other["churn"], json!([]));

    // Managers: the pools their teams belong to; salespeople: not at all.
    let mine = h.report(path, &h.manager).await;
    let names: Vec<&str> = mine["pools"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, vec!["Reports"]);
    h.app
        .get(
            &format!("{path}&pool_id={}", h.other_pool),
            &h.manager.token,
        )
        .await
        .problem(403, "forbidden");
    h.app.get(path, &h.a.token).await.problem(403, "forbidden");
    h.app
        .get(
            &format!("{path}&pool_id={}", Uuid::now_v7()),
            &h.app.admin.token,
        )
        .await
        .problem(404, "not_found");
    let one = h
        .report(
            &format!("{path}&pool_id={}", h.other_pool),
            &h.other_manager,
        )
        .await;
    assert_eq!(one["pools"].as_array().unwrap().len(), 1);

    let res = h.csv(path, &h.app.admin).await;
    assert_csv_matches(&res, pools);
}

async fn person_name(h: &History, who: &TestUser) -> String {
    h.app
        .get(&format!("/api/v1/users/{}", who.id), &h.app.admin.token)
        .await
        .ok(200)["name"]
        .as_str()
        .unwrap()
        .to_string()
}
