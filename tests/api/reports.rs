//! Reports: one small known history (built through the API with the test clock), and every
//! figure of every report checked exactly — per role, at local-day and local-hour boundaries,
//! for empty periods, and as CSV (parsed with a CSV reader and compared with the JSON).

use chrono::{DateTime, Duration, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Response, TestApp, TestUser};

fn at(s: &str) -> DateTime<Utc> {
    s.parse().unwrap()
}

struct History {
    app: TestApp,
    manager: TestUser,
    other_manager: TestUser,
    a: TestUser,
    b: TestUser,
    c: TestUser,
    team: Uuid,
    other_team: Uuid,
    pool: Uuid,
    other_pool: Uuid,
}

impl History {
    fn travel(&mut self, to: DateTime<Utc>) {
        self.app.travel_to(to);
        for u in [
            &mut self.manager,
            &mut self.other_manager,
            &mut self.a,
            &mut self.b,
            &mut self.c,
        ] {
            *u = self.app.fresh(u);
        }
    }

    async fn post(&self, path: &str, who: &TestUser, body: Value) -> Value {
        let res = self.app.post(path, &who.token, &body).await;
        assert!(
            res.status < 300,
            "{path}: {} {}",
            res.status,
            String::from_utf8_lossy(&res.body)
        );
        res.json()
    }

    async fn follow_up(&self, lead: Uuid, who: &TestUser, body: Value) {
        self.post(&format!("/api/v1/leads/{lead}/follow-ups"), who, body)
            .await;
    }

    async fn lead(&self, name: &str, source: &str, pool: Uuid) -> Uuid {
        self.app
            .lead(
                pool,
                json!({"name": name, "company": format!("{name} 公司"), "source_channel": source}),
            )
            .await
    }

    async fn report(&self, path: &str, who: &TestUser) -> Value {
        self.app.get(path, &who.token).await.ok(200)
    }

    async fn csv(&self, path: &str, who: &TestUser) -> Response {
        self.app
            .send(
                "GET",
                path,
                Some(&who.token),
                &[("Accept", "text/csv")],
                None,
            )
            .await
    }
}

/// The history, in time order (UTC; the organisation is in Asia/Shanghai, UTC+8):
/// - Sun 2026-03-01 23:30 local: L4 (`event`) into the pool; never claimed.
/// - Mon 2026-03-02 09:00 local (T0): L1, L2 (`website`), L3, L6 (`referral`) into the pool;
///   L5 (`ads`) into the other pool.
/// - T0+3h: A claims L1 and L2, C claims L6. T0+4h: A calls on L1 (stage → contacted), C calls
///   on L6. T0+5h: the manager assigns L3 to B. T0+6h: B messages on L3 (WeChat); the sweep
///   recycles L2 (no follow-up within 2 hours).
/// - Tue 00:30 local: B texts on L3. Wed 09:00 local (T0+48h): A visits L1: won.
///   T0+49h: B releases L3.
/// - T0+9 days: C's meeting on L6: won. Then the clock moves on to 2026-04-10.
async fn history() -> History {
    let mut app = TestApp::spawn_without_jobs().await;
    app.travel_to(at("2026-03-01T12:00:00Z"));
    let manager = app.user("manager", None).await;
    let other_manager = app.user("manager", None).await;
    let team = app.team("Reports team", Some(manager.id)).await;
    let other_team = app.team("Other team", Some(other_manager.id)).await;
    let a = app.user("sales", Some(team)).await;
    let b = app.user("sales", Some(team)).await;
    let c = app.user("sales", Some(other_team)).await;
    let pool = app
        .pool("Reports", true, &[team, other_team], &[manager.id])
        .await;
    let other_pool = app.pool("Other", false, &[other_team], &[]).await;
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"release_requires_approval": false, "first_follow_up_hours": 2}),
    )
    .await
    .ok(200);
    let mut h = History {
        app,
        manager,
        other_manager,
        a,
        b,
        c,
        team,
        other_team,
        pool,
        other_pool,
    };
    h.app.travel_to(at("2026-03-01T15:30:00Z"));
    h.lead("L4", "event", pool).await;
    let t0 = at("2026-03-02T01:00:00Z");
    h.app.travel_to(t0);
    let l1 = h.lead("L1", "website", pool).await;
    let l2 = h.lead("L2", "website", pool).await;
    let l3 = h.lead("L3", "referral", pool).await;
    let l6 = h.lead("L6", "referral", pool).await;
    h.lead("L5", "ads", other_pool).await;

    h.travel(t0 + Duration::hours(3));
    for (l, who) in [(l1, &h.a), (l2, &h.a), (l6, &h.c)] {
        h.post(&format!("/api/v1/leads/{l}/claim"), who, json!({}))
            .await;
    }
    h.travel(t0 + Duration::hours(4));
    h.follow_up(
        l1,
        &h.a,
        json!({"type": "call", "content": "有兴趣", "stage": "contacted"}),
    )
    .await;
    h.follow_up(l6, &h.c, json!({"type": "call", "content": "回电"}))
        .await;
    h.travel(t0 + Duration::hours(5));
    h.post(
        &format!("/api/v1/leads/{l3}/assign"),
        &h.manager,
        json!({"user_id": h.b.id}),
    )
    .await;
    h.travel(t0 + Duration::hours(6));
    h.follow_up(l3, &h.b, json!({"type": "wechat", "content": "加了微信"}))
        .await;
    let swept = h
        .post("/api/v1/admin/sweep", &h.app.admin.clone(), json!({}))
        .await;
    assert_eq!(swept["recycled"].as_array().unwrap().len(), 1, "{swept}");

    h.travel(at("2026-03-02T16:30:00Z"));
    h.follow_up(l3, &h.b, json!({"type": "sms", "content": "短信"}))
        .await;
    h.travel(t0 + Duration::hours(48));
    h.follow_up(
        l1,
        &h.a,
        json!({"type": "visit", "content": "签约", "stage": "won"}),
    )
    .await;
    h.travel(t0 + Duration::hours(49));
    h.post(
        &format!("/api/v1/leads/{l3}/release"),
        &h.b,
        json!({"reason_code": "no_need"}),
    )
    .await;
    h.travel(t0 + Duration::days(9));
    h.follow_up(
        l6,
        &h.c,
        json!({"type": "meeting", "content": "成交", "stage": "won"}),
    )
    .await;
    h.travel(at("2026-04-10T00:00:00Z"));
    h
}

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

/// Checks that a CSV answer has the JSON's rows: same header fields, same values (numbers
/// compared as numbers, `null` as an empty field).
fn assert_csv_matches(res: &Response, rows: &[Value]) {
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(res.body.starts_with("\u{feff}".as_bytes()), "a BOM first");
    let mut reader = csv::Reader::from_reader(&res.body[3..]);
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    let records: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(records.len(), rows.len(), "one CSV row per JSON row");
    for (record, row) in records.iter().zip(rows) {
        for (name, field) in header.iter().zip(record.iter()) {
            let value = &row[name];
            match value {
                Value::Null => assert_eq!(field, "", "{name}"),
                Value::Number(n) => {
                    assert_eq!(field.parse::<f64>().unwrap(), n.as_f64().unwrap(), "{name}")
                }
                Value::String(s) => assert_eq!(field, s, "{name}"),
                other => panic!("{name}: unexpected {other}"),
            }
        }
        let object = row.as_object().unwrap();
        let nested = object.values().filter(|v| v.is_array()).count();
        assert_eq!(header.len() + nested, object.len(), "every scalar in CSV");
    }
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

#[actix_web::test]
async fn follow_up_timing_buckets_local_hours() {
    let h = history().await;
    let path = "/api/v1/reports/follow-up-timing?from=2026-03-02&to=2026-03-04";
    let all = h.report(path, &h.app.admin).await;
    let cells = all["cells"].as_array().unwrap();
    assert_eq!(cells.len(), 168);
    assert_eq!(
        (cells[0]["weekday"].clone(), cells[0]["hour"].clone()),
        (json!(1), json!(0))
    );
    let cell = |r: &Value, weekday: i64, hour: i64| -> (i64, i64, i64, i64, Value) {
        let c = &r["cells"][((weekday - 1) * 24 + hour) as usize];
        assert_eq!(
            (c["weekday"].as_i64(), c["hour"].as_i64()),
            (Some(weekday), Some(hour))
        );
        (
            c["follow_ups"].as_i64().unwrap(),
            c["advanced"].as_i64().unwrap(),
            c["converted_within_7_days"].as_i64().unwrap(),
            c["effective"].as_i64().unwrap(),
            c["effective_rate"].clone(),
        )
    };
    // Monday 13:00 local: A's call that advanced L1 (won 44 hours later) and C's call on L6
    // (won 9 days later: too late to count).
    assert_eq!(cell(&all, 1, 13), (2, 1, 1, 1, json!(0.5)));
    assert_eq!(cell(&all, 1, 15), (1, 0, 0, 0, json!(0.0)));
    // 16:30 UTC on Monday is Tuesday 00:30 in Shanghai.
    assert_eq!(cell(&all, 2, 0), (1, 0, 0, 0, json!(0.0)));
    assert_eq!(cell(&all, 1, 16), (0, 0, 0, 0, Value::Null));
    assert_eq!(cell(&all, 3, 9), (1, 1, 1, 1, json!(1.0)));
    let total: i64 = cells
        .iter()
        .map(|c| c["follow_ups"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 5);

    let of_a = h.report(path, &h.a).await;
    assert_eq!(cell(&of_a, 1, 13), (1, 1, 1, 1, json!(1.0)));
    assert_eq!(cell(&of_a, 1, 15), (0, 0, 0, 0, Value::Null));
    let of_other = h.report(path, &h.other_manager).await;
    assert_eq!(cell(&of_other, 1, 13), (1, 0, 0, 0, json!(0.0)));
    let total: i64 = of_other["cells"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| c["follow_ups"].as_i64().unwrap())
        .sum();
    assert_eq!(total, 1);

    let res = h.csv(path, &h.app.admin).await;
    assert_csv_matches(&res, cells);
}

/// Reads a CSV answer into records keyed by header name.
fn csv_rows(res: &Response) -> Vec<std::collections::HashMap<String, String>> {
    assert_eq!(res.status, 200, "{}", String::from_utf8_lossy(&res.body));
    assert_eq!(res.header("content-type"), Some("text/csv; charset=utf-8"));
    assert!(res.body.starts_with("\u{feff}".as_bytes()), "a BOM first");
    let mut reader = csv::Reader::from_reader(&res.body[3..]);
    let header = reader.headers().unwrap().clone();
    reader
        .records()
        .map(|r| {
            let r = r.unwrap();
            header
                .iter()
                .zip(r.iter())
                .map(|(h, v)| (h.to_string(), v.to_string()))
                .collect()
        })
        .collect()
}

#[actix_web::test]
async fn lead_and_claim_lists_stream_as_csv_past_one_page() {
    let h = history().await;
    let pool = h.pool;
    // 2,500 more leads and 2,500 more (ended) claim records than the history: several pages.
    h.app.sql(&format!(
        "INSERT INTO leads (id, pool_id, state, name, company, source_channel, tags, custom, created_at, updated_at)
         SELECT gen_random_uuid(), '{pool}', 'pooled', '客户 ' || i, '公司 ' || i, 'import', ARRAY['批量', 't' || i],
                jsonb_build_object('n', i), now(), now()
           FROM generate_series(1, 2500) i;
         INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how, ended_at, end_reason)
         SELECT gen_random_uuid(), l.id, l.pool_id, '{}', now(), current_date, 'self_claim', now(), 'released'
           FROM leads l WHERE l.source_channel = 'import';",
        h.c.id
    ));
    let res = h.csv("/api/v1/leads?order=oldest", &h.app.admin).await;
    let rows = csv_rows(&res);
    assert_eq!(rows.len(), 2506);
    let ids: std::collections::HashSet<&String> = rows.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids.len(), 2506, "no lead twice");
    let l1 = rows.iter().find(|r| r["name"] == "L1").unwrap();
    let json = h
        .app
        .get(&format!("/api/v1/leads/{}", l1["id"]), &h.app.admin.token)
        .await
        .ok(200);
    for field in ["state", "stage", "company", "source_channel", "pool_id"] {
        assert_eq!(
            json[field].as_str().unwrap_or(""),
            l1[field],
            "{field} as in the JSON"
        );
    }
    let bulk = rows.iter().find(|r| r["name"] == "客户 7").unwrap();
    assert_eq!(bulk["tags"], "批量; t7");
    assert_eq!(bulk["custom"], "{}", "only active custom fields");
    // Filters apply as to the JSON list.
    let filtered = csv_rows(&h.csv("/api/v1/leads?source=referral", &h.app.admin).await);
    let mut names: Vec<&str> = filtered.iter().map(|r| r["name"].as_str()).collect();
    names.sort();
    assert_eq!(names, vec!["L3", "L6"]);
    // Scope: a salesperson exports only what they hold (nothing now: a header alone).
    let res = h.csv("/api/v1/leads", &h.a).await;
    let text = String::from_utf8(res.body.clone()).unwrap();
    assert!(
        text.starts_with("\u{feff}id,pool_id,state,stage,owner_id,name"),
        "{text}"
    );
    assert_eq!(csv_rows(&res).len(), 0);

    let claims = csv_rows(&h.csv("/api/v1/claims", &h.app.admin).await);
    assert_eq!(claims.len(), 2504);
    let ids: std::collections::HashSet<&String> = claims.iter().map(|r| &r["id"]).collect();
    assert_eq!(ids.len(), 2504, "no claim twice");
    let mine = csv_rows(&h.csv("/api/v1/claims", &h.a).await);
    assert_eq!(mine.len(), 2);
    assert!(mine.iter().all(|r| r["user_id"] == h.a.id.to_string()));
    let json = h.app.get("/api/v1/claims", &h.a.token).await.ok(200);
    let mut from_json: Vec<(String, String, String)> = json["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c["id"].as_str().unwrap().to_string(),
                c["started_how"].as_str().unwrap().to_string(),
                c["end_reason"].as_str().unwrap_or("").to_string(),
            )
        })
        .collect();
    let mut from_csv: Vec<(String, String, String)> = mine
        .iter()
        .map(|r| {
            (
                r["id"].clone(),
                r["started_how"].clone(),
                r["end_reason"].clone(),
            )
        })
        .collect();
    from_json.sort();
    from_csv.sort();
    assert_eq!(from_csv, from_json);
    // JSON stays the default.
    let res = h.app.get("/api/v1/claims", &h.a.token).await;
    assert_eq!(res.header("content-type"), Some("application/json"));
}
