//! The lead and claim lists as CSV: streamed past one page, filtered and scoped as the JSON.

use super::history;
use crate::common::Response;

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
    // Scope: a salesperson exports only what they hold: L1, won, is their customer now.
    let res = h.csv("/api/v1/leads", &h.a).await;
    let text = String::from_utf8(res.body.clone()).unwrap();
    assert!(
        text.starts_with("\u{feff}id,pool_id,state,stage,owner_id,name"),
        "{text}"
    );
    let held = csv_rows(&res);
    assert_eq!(held.len(), 1, "{text}");
    assert_eq!(held[0]["name"], "L1");
    assert_eq!(held[0]["state"], "converted");
    // Someone holding nothing gets the header alone.
    let res = h.csv("/api/v1/leads?state=owned", &h.a).await;
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
