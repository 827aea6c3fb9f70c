//! The salespeople report: each person's figures from claims and follow-ups, scopes, the team
//! filter, CSV.

use serde_json::{Value, json};

use super::{assert_csv_matches, history};
use crate::common::TestUser;

fn person<'a>(report: &'a Value, who: &TestUser) -> &'a Value {
    report["people"]
        .as_array()
        .unwrap()
        .iter()
        .find(|p| p["user_id"] == who.id.to_string())
        .unwrap_or_else(|| panic!("{} not in {report}", who.id))
}

#[actix_web::test]
async fn salespeople_figures_come_from_claims_and_follow_ups() {
    let h = history().await;
    let path = "/api/v1/reports/salespeople?from=2026-03-02&to=2026-03-04";
    let all = h.report(path, &h.app.admin).await;
    let a = person(&all, &h.a);
    for (field, value) in [
        ("claims", json!(2)),
        ("claims_self", json!(2)),
        ("claims_assigned", json!(0)),
        ("follow_ups", json!(2)),
        ("follow_ups_call", json!(1)),
        ("follow_ups_visit", json!(1)),
        ("follow_ups_wechat", json!(0)),
        ("claims_followed_up", json!(1)),
        ("median_first_follow_up_hours", json!(1.0)),
        ("recycled", json!(1)),
        ("recycled_no_first_follow_up", json!(1)),
        ("recycled_no_contact", json!(0)),
        ("released", json!(0)),
        ("conversions", json!(1)),
        ("claims_converted", json!(1)),
        ("conversion_rate", json!(0.5)),
        ("held_now", json!(0)),
    ] {
        assert_eq!(a[field], value, "A {field}");
    }
    let b = person(&all, &h.b);
    for (field, value) in [
        ("claims", json!(1)),
        ("claims_self", json!(0)),
        ("claims_assigned", json!(1)),
        ("follow_ups", json!(2)),
        ("follow_ups_wechat", json!(1)),
        ("follow_ups_sms", json!(1)),
        ("claims_followed_up", json!(1)),
        ("median_first_follow_up_hours", json!(1.0)),
        ("recycled", json!(0)),
        ("released", json!(1)),
        ("conversions", json!(0)),
        ("conversion_rate", json!(0.0)),
    ] {
        assert_eq!(b[field], value, "B {field}");
    }
    // C converted after the period: the hold started in it converted (by now), but the
    // conversion itself is not in the period.
    let c = person(&all, &h.c);
    for (field, value) in [
        ("claims", json!(1)),
        ("follow_ups", json!(1)),
        ("conversions", json!(0)),
        ("claims_converted", json!(1)),
        ("conversion_rate", json!(1.0)),
    ] {
        assert_eq!(c[field], value, "C {field}");
    }
    let longer = h
        .report(
            "/api/v1/reports/salespeople?from=2026-03-02&to=2026-03-11",
            &h.app.admin,
        )
        .await;
    assert_eq!(person(&longer, &h.c)["conversions"], 1);
    assert_eq!(person(&longer, &h.c)["follow_ups_meeting"], 1);
    let manager = person(&all, &h.manager);
    assert_eq!(manager["claims"], 0);
    assert_eq!(manager["conversion_rate"], Value::Null);
    assert_eq!(manager["median_first_follow_up_hours"], Value::Null);
    assert_eq!(all["people"].as_array().unwrap().len(), 5, "no admins");

    // Scopes and the team filter.
    let ids = |r: &Value| {
        let mut ids: Vec<String> = r["people"]
            .as_array()
            .unwrap()
            .iter()
            .map(|p| p["user_id"].as_str().unwrap().to_string())
            .collect();
        ids.sort();
        ids
    };
    let sorted = |mut v: Vec<String>| {
        v.sort();
        v
    };
    assert_eq!(ids(&h.report(path, &h.a).await), vec![h.a.id.to_string()]);
    assert_eq!(
        ids(&h.report(path, &h.manager).await),
        sorted(vec![
            h.a.id.to_string(),
            h.b.id.to_string(),
            h.manager.id.to_string()
        ])
    );
    let team = format!("{path}&team_id={}", h.other_team);
    assert_eq!(
        ids(&h.report(&team, &h.app.admin).await),
        vec![h.c.id.to_string()]
    );
    h.app
        .get(&team, &h.manager.token)
        .await
        .problem(403, "forbidden");
    h.app
        .get(&format!("{path}&team_id={}", h.team), &h.a.token)
        .await
        .problem(403, "forbidden");
    assert_eq!(
        ids(&h
            .report(&format!("{path}&team_id={}", h.team), &h.manager)
            .await),
        sorted(vec![h.a.id.to_string(), h.b.id.to_string()])
    );

    let res = h.csv(path, &h.app.admin).await;
    assert_csv_matches(&res, all["people"].as_array().unwrap());
    // Chinese names survive the round trip.
    let empty = h
        .report(
            "/api/v1/reports/salespeople?from=2025-01-01&to=2025-01-02",
            &h.app.admin,
        )
        .await;
    assert!(
        empty["people"]
            .as_array()
            .unwrap()
            .iter()
            .all(|p| p["claims"] == 0 && p["follow_ups"] == 0)
    );
}
