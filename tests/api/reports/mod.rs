//! Reports: one small known history (built through the API with the test clock), and every
//! figure of every report checked exactly — per role, at local-day and local-hour boundaries,
//! for empty periods, and as CSV (parsed with a CSV reader and compared with the JSON).
//! Here: the history and the CSV check the report tests share.

mod conversion;
mod csv_lists;
mod follow_up_timing;
mod funnel;
mod pool_health;
mod salespeople;

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

    /// The CSV of a list or report, from its `.csv` operation; checks that `Accept: text/csv` on
    /// the JSON operation answers the same bytes.
    async fn csv(&self, path: &str, who: &TestUser) -> Response {
        let (route, query) = path.split_once('?').unwrap_or((path, ""));
        let direct_path = if query.is_empty() {
            format!("{route}.csv")
        } else {
            format!("{route}.csv?{query}")
        };
        let direct = self
            .app
            .send("GET", &direct_path, Some(&who.token), &[], None)
            .await;
        let negotiated = self
            .app
            .send(
                "GET",
                path,
                Some(&who.token),
                &[("Accept", "text/csv")],
                None,
            )
            .await;
        assert_eq!(direct.status, negotiated.status, "{direct_path}");
        assert_eq!(
            String::from_utf8_lossy(&direct.body),
            String::from_utf8_lossy(&negotiated.body),
            "{direct_path}"
        );
        if direct.status == 200 {
            let disposition = direct.header("content-disposition").unwrap_or_default();
            assert!(
                disposition.starts_with("attachment; filename=") && disposition.contains(".csv"),
                "{direct_path}: {disposition:?}"
            );
        }
        direct
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
