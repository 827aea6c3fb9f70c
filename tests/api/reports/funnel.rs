//! The sales funnel: stages reached in the period (skipped stages included), stage-to-stage
//! conversion, exact median hours in each stage, what is held now, scopes, CSV.

use chrono::Duration;
use serde_json::{Value, json};
use uuid::Uuid;

use super::at;
use crate::common::{TestApp, TestUser};

struct Day {
    app: TestApp,
    manager: TestUser,
    other_manager: TestUser,
    a: TestUser,
    b: TestUser,
    team: Uuid,
}

impl Day {
    fn travel(&mut self, to: chrono::DateTime<chrono::Utc>) {
        self.app.travel_to(to);
        for u in [
            &mut self.manager,
            &mut self.other_manager,
            &mut self.a,
            &mut self.b,
        ] {
            *u = self.app.fresh(u);
        }
    }

    async fn stage(&self, lead: Uuid, who: &TestUser, stage: &str) {
        self.app
            .post(
                &format!("/api/v1/leads/{lead}/follow-ups"),
                &who.token,
                &json!({"type": "call", "content": "跟进", "stage": stage}),
            )
            .await
            .ok(201);
    }

    async fn funnel(&self, query: &str, who: &TestUser) -> Value {
        self.app
            .get(&format!("/api/v1/reports/funnel?{query}"), &who.token)
            .await
            .ok(200)
    }
}

fn column(report: &Value, field: &str) -> Vec<Value> {
    report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| s[field].clone())
        .collect()
}

/// Mon 2026-03-02 09:00 local (T0): A claims L1, L2, L3; B claims L4. Then: T0+1h L4 contacted;
/// T0+2h L1 contacted; T0+3h L2 qualified (skipping contacted); T0+4h L3 lost; T0+5h L1
/// qualified; T0+10h L1 proposal; T0+12h the manager transfers L1 to B; Tue T0+25h L4 won
/// (skipping qualified, proposal, negotiation). Five holds started on Monday.
async fn day() -> (Day, [Uuid; 4]) {
    let mut app = TestApp::spawn_without_jobs().await;
    app.travel_to(at("2026-03-01T12:00:00Z"));
    let manager = app.user("manager", None).await;
    let other_manager = app.user("manager", None).await;
    let team = app.team("Funnel team", Some(manager.id)).await;
    app.team("Elsewhere", Some(other_manager.id)).await;
    let a = app.user("sales", Some(team)).await;
    let b = app.user("sales", Some(team)).await;
    let pool = app.pool("Funnel", true, &[team], &[]).await;
    let mut d = Day {
        app,
        manager,
        other_manager,
        a,
        b,
        team,
    };
    let t0 = at("2026-03-02T01:00:00Z");
    d.travel(t0);
    let mut leads = [Uuid::nil(); 4];
    for (i, lead) in leads.iter_mut().enumerate() {
        *lead = d
            .app
            .lead(
                pool,
                json!({"company": format!("漏斗{i}"), "phone": format!("1380000{i:04}"),
                       "source_channel": if i == 3 { "referral" } else { "website" }}),
            )
            .await;
        let who = if i == 3 { &d.b } else { &d.a };
        d.app
            .post(
                &format!("/api/v1/leads/{lead}/claim"),
                &who.token,
                &json!({}),
            )
            .await
            .ok(200);
    }
    let [l1, l2, l3, l4] = leads;
    let (a, b) = (d.a.clone(), d.b.clone());
    for (hours, lead, who, stage) in [
        (1, l4, &b, "contacted"),
        (2, l1, &a, "contacted"),
        (3, l2, &a, "qualified"),
        (4, l3, &a, "lost"),
        (5, l1, &a, "qualified"),
        (10, l1, &a, "proposal"),
        (25, l4, &b, "won"),
    ] {
        d.travel(t0 + Duration::hours(hours));
        let who = if who.id == a.id {
            d.a.clone()
        } else {
            d.b.clone()
        };
        d.stage(lead, &who, stage).await;
    }
    // Monday 21:00: the manager hands L1 (at proposal) from A to B: B's hold starts at proposal.
    d.travel(t0 + Duration::hours(12));
    d.app
        .post(
            &format!("/api/v1/leads/{l1}/transfer"),
            &d.manager.token,
            &json!({"to_user_id": d.b.id}),
        )
        .await
        .ok(200);
    d.travel(at("2026-03-05T01:00:00Z"));
    (d, leads)
}

#[actix_web::test]
async fn the_funnel_counts_stages_reached_with_exact_medians_and_what_is_held_now() {
    let (d, _) = day().await;
    let period = "from=2026-03-02&to=2026-03-03";
    let all = d.funnel(period, &d.app.admin).await;
    assert_eq!(
        column(&all, "stage"),
        [
            "new",
            "contacted",
            "qualified",
            "proposal",
            "negotiation",
            "won",
            "lost"
        ]
        .map(|s| json!(s))
    );
    // B's hold of L1 started at proposal: it counts for every stage up to proposal.
    assert_eq!(
        column(&all, "reached"),
        [5, 4, 4, 3, 1, 1, 1].map(|n| json!(n)),
        "{all}"
    );
    assert_eq!(
        column(&all, "conversion_to_next"),
        [
            json!(0.8),
            json!(1.0),
            json!(0.75),
            json!(1.0 / 3.0),
            json!(1.0),
            Value::Null,
            Value::Null
        ]
    );
    // new: left after 1, 2, 3 and 4 hours; contacted: L1 after 3, L4 after 24; qualified: L1
    // after 5; nothing left proposal or negotiation in the period.
    assert_eq!(
        column(&all, "median_hours_in_stage"),
        [
            json!(2.5),
            json!(13.5),
            json!(5.0),
            Value::Null,
            Value::Null,
            Value::Null,
            Value::Null
        ]
    );
    // Held now: L2 qualified, L1 proposal, L4 a customer; L3 went back to its pool when lost.
    assert_eq!(
        column(&all, "current"),
        [0, 0, 1, 1, 0, 1, 0].map(|n| json!(n))
    );
    assert_eq!(all["overall_conversion"], json!(0.2));
    assert!(all["as_of"].is_string() && all["time_zone"] == "Asia/Shanghai");

    // The day after: no hold started, so nothing counts, though L4 was won that day (it counts
    // with Monday's holds, where its hold started).
    let tuesday = d
        .funnel("from=2026-03-03&to=2026-03-03", &d.app.admin)
        .await;
    assert_eq!(column(&tuesday, "reached"), [0; 7].map(|n| json!(n)));
    assert_eq!(
        column(&tuesday, "median_hours_in_stage"),
        vec![Value::Null; 7]
    );
    // By source: L4 is the one referral.
    let referral = d
        .funnel(&format!("{period}&source=referral"), &d.app.admin)
        .await;
    assert_eq!(
        column(&referral, "reached"),
        [1, 1, 1, 1, 1, 1, 0].map(|n| json!(n))
    );
}

#[actix_web::test]
async fn the_funnel_keeps_to_each_caller_s_scope_and_answers_csv() {
    let (d, _) = day().await;
    let period = "from=2026-03-02&to=2026-03-03";
    let own = d.funnel(period, &d.a).await;
    assert_eq!(column(&own, "reached")[0], json!(3));
    assert_eq!(
        column(&own, "current")[5],
        json!(0),
        "B's customer is not A's"
    );
    assert_eq!(column(&own, "current")[3], json!(0), "L1 went to B");
    let b_only = d
        .funnel(&format!("{period}&user_id={}", d.b.id), &d.manager)
        .await;
    assert_eq!(
        column(&b_only, "reached"),
        [2, 2, 2, 2, 1, 1, 0].map(|n| json!(n))
    );
    let team = d
        .funnel(&format!("{period}&team_id={}", d.team), &d.manager)
        .await;
    assert_eq!(column(&team, "reached")[0], json!(5));
    let elsewhere = d.funnel(period, &d.other_manager).await;
    assert_eq!(column(&elsewhere, "reached")[0], json!(0));
    for (query, who) in [
        (format!("{period}&user_id={}", d.b.id), &d.a),
        (format!("{period}&team_id={}", d.team), &d.other_manager),
        (format!("{period}&user_id={}", d.a.id), &d.other_manager),
    ] {
        d.app
            .get(&format!("/api/v1/reports/funnel?{query}"), &who.token)
            .await
            .problem(403, "forbidden");
    }
    d.app
        .get(
            "/api/v1/reports/funnel?from=2026-03-04&to=2026-03-02",
            &d.manager.token,
        )
        .await
        .problem(422, "validation_failed");

    let csv = d
        .app
        .get(
            &format!("/api/v1/reports/funnel.csv?{period}"),
            &d.manager.token,
        )
        .await;
    assert_eq!(csv.status, 200);
    let text = String::from_utf8_lossy(&csv.body)
        .trim_start_matches('\u{feff}')
        .to_string();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        [
            "stage",
            "reached",
            "conversion_to_next",
            "median_hours_in_stage",
            "current"
        ]
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(rows.len(), 7);
    assert_eq!((&rows[0][0], &rows[0][1], &rows[0][3]), ("new", "5", "2.5"));
    assert_eq!((&rows[6][0], &rows[6][1]), ("lost", "1"));
}
