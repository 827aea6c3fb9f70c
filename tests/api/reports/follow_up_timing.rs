//! The follow-up-timing report: follow-ups bucketed by local weekday and hour, per scope.

use serde_json::{Value, json};

use super::{assert_csv_matches, history};

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
