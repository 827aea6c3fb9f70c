//! The report projection: folded a little at a time (by the background projector, by the test,
//! and by two more projectors racing them), over a randomized history through the API, it holds
//! exactly what a recomputation from the facts gives; reports answer the same before and after a
//! fold; a new time zone rebuilds it.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use chrono::{DateTime, Duration, Utc};
use diesel::prelude::*;
use leadpool::clock::Clock;
use leadpool::repo::reports::projector;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{Response, TestApp, TestUser};

/// xorshift64*: a small deterministic generator, so a failing seed can be replayed.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }

    fn pick<'a, T>(&mut self, items: &'a [T]) -> Option<&'a T> {
        (!items.is_empty()).then(|| &items[self.below(items.len())])
    }
}

/// Asserts two dumps hold the same rows, naming the rows only one has.
#[track_caller]
fn assert_same_rows(left: &[String], right: &[String], what: &str) {
    let only = |a: &[String], b: &[String]| -> Vec<String> {
        a.iter().filter(|r| !b.contains(r)).cloned().collect()
    };
    assert!(
        left == right,
        "{what}: only on the left {:#?}, only on the right {:#?}",
        only(left, right),
        only(right, left)
    );
}

/// The rollups as text, sorted (rows that went back to 0 left out: a rebuild makes none).
fn rollups(app: &TestApp) -> Vec<String> {
    let tables: Vec<String> = projector::rollup_tables()
        .map(|t| match t {
            "report_holdings" => "(SELECT * FROM report_holdings WHERE held <> 0)".to_string(),
            "report_pool_backlog" => {
                "(SELECT * FROM report_pool_backlog WHERE pooled <> 0)".to_string()
            }
            t => t.to_string(),
        })
        .collect();
    let tables: Vec<&str> = tables.iter().map(String::as_str).collect();
    let mut rows: Vec<String> = app
        .dump_as_text(&tables)
        .lines()
        .map(|l| l.to_string())
        .collect();
    rows.sort();
    rows
}

async fn fold(app: &TestApp) {
    let pool = app.pool.clone();
    actix_web::rt::task::spawn_blocking(move || {
        let mut conn = pool.get().unwrap();
        // Another projector may hold it for a moment: retry until this one folds.
        while projector::fold(&mut conn).unwrap().is_none() {
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
    })
    .await
    .unwrap();
}

fn ids(app: &TestApp, sql: &str) -> Vec<(Uuid, Option<Uuid>)> {
    #[derive(QueryableByName)]
    struct Row {
        #[diesel(sql_type = diesel::sql_types::Uuid)]
        id: Uuid,
        #[diesel(sql_type = diesel::sql_types::Nullable<diesel::sql_types::Uuid>)]
        other: Option<Uuid>,
    }
    diesel::sql_query(sql)
        .load::<Row>(&mut **app.pool.get().unwrap())
        .unwrap()
        .into_iter()
        .map(|r| (r.id, r.other))
        .collect()
}

/// Every report an admin reads, without its `as_of`.
async fn reports(app: &TestApp, from: &str, to: &str) -> Vec<Value> {
    let mut out = Vec::new();
    for path in [
        "salespeople",
        "pool-health",
        "follow-up-timing",
        "conversion?group_by=pool",
    ] {
        let sep = if path.contains('?') { '&' } else { '?' };
        let mut body = app
            .get(
                &format!("/api/v1/reports/{path}{sep}from={from}&to={to}"),
                &app.admin.token,
            )
            .await
            .ok(200);
        assert!(body["as_of"].is_string(), "{body}");
        body.as_object_mut().unwrap().remove("as_of");
        out.push(body);
    }
    out
}

struct World {
    app: TestApp,
    managers: Vec<TestUser>,
    /// (salesperson, index of their manager)
    sales: Vec<(TestUser, usize)>,
    pools: Vec<Uuid>,
    intake_token: String,
}

impl World {
    fn fresh(&self, user: &TestUser) -> TestUser {
        self.app.fresh(user)
    }

    fn owner(&self, id: Uuid) -> Option<(TestUser, usize)> {
        self.sales.iter().find(|(u, _)| u.id == id).cloned()
    }

    fn check(res: &Response, what: &str) {
        assert!(
            res.status < 500,
            "{what}: {} {}",
            res.status,
            String::from_utf8_lossy(&res.body)
        );
    }
}

async fn world() -> World {
    let mut app = TestApp::spawn_with_settings(&[("LEADPOOL_PROJECTOR_INTERVAL_MS", "20")]).await;
    leadpool::jobs::spawn_all(app.state.clone());
    // 23:00 in Shanghai: the first hours cross a local midnight.
    app.travel_to("2026-03-01T15:00:00Z".parse::<DateTime<Utc>>().unwrap());
    let mut managers = Vec::new();
    let mut sales = Vec::new();
    let mut teams = Vec::new();
    for t in 0..2 {
        let manager = app.user("manager", None).await;
        let team = app.team(&format!("Team {t}"), Some(manager.id)).await;
        for _ in 0..2 {
            sales.push((app.user("sales", Some(team)).await, t));
        }
        managers.push(manager);
        teams.push(team);
    }
    let free = app.pool("Free", true, &teams, &[]).await;
    let strict = app.pool("Strict", false, &teams, &[]).await;
    for (pool, approval) in [(free, false), (strict, true)] {
        app.json(
            "PUT",
            &format!("/api/v1/pools/{pool}/rules"),
            Some(&app.admin.token),
            &json!({"release_requires_approval": approval, "first_follow_up_hours": 3,
                    "no_contact_days": 1, "max_claims_per_day": 1000, "max_owned_per_user": 1000,
                    "reclaim_cooldown_days": 0}),
        )
        .await
        .ok(200);
    }
    let source = app
        .post(
            "/api/v1/intake-sources",
            &app.admin.token,
            &json!({"name": "官网", "channel": "website", "rate_limit_per_minute": 100000}),
        )
        .await
        .ok(201);
    World {
        intake_token: source["token"].as_str().unwrap().to_string(),
        app,
        managers,
        sales,
        pools: vec![free, strict],
    }
}

/// One random step of a sales day (a refusal is fine; a server error is not).
async fn step(w: &mut World, rng: &mut Rng, n: usize) {
    let app = &w.app;
    let pooled = ids(
        app,
        "SELECT id, pool_id AS other FROM leads WHERE state = 'pooled'",
    );
    let owned = ids(
        app,
        "SELECT id, owner_id AS other FROM leads WHERE state = 'owned'",
    );
    let customers = ids(
        app,
        "SELECT id, owner_id AS other FROM leads WHERE state = 'converted' AND owner_id IS NOT NULL",
    );
    match rng.below(100) {
        0..=13 => {
            if rng.below(3) == 0 {
                let auth = format!("Bearer {}", w.intake_token);
                let body = json!({"name": format!("网客{n}"), "company": format!("网公司{n}"),
                                  "phone": format!("139{:08}", n)});
                let res = app
                    .send(
                        "POST",
                        "/api/v1/intake/leads",
                        None,
                        &[
                            ("Content-Type", "application/json"),
                            ("Authorization", auth.as_str()),
                        ],
                        Some(serde_json::to_vec(&body).unwrap()),
                    )
                    .await;
                World::check(&res, "intake");
            } else {
                let pool = *rng.pick(&w.pools).unwrap();
                let source = *rng.pick(&["website", "referral", "event", "ads"]).unwrap();
                app.lead(
                    pool,
                    json!({"name": format!("客户{n}"), "company": format!("公司{n}"),
                           "source_channel": source, "grade": *rng.pick(&["A", "B", "C"]).unwrap()}),
                )
                .await;
            }
        }
        14..=33 => {
            if let (Some((lead, _)), Some((who, _))) = (rng.pick(&pooled), rng.pick(&w.sales)) {
                let who = w.fresh(who);
                let res = app
                    .post(
                        &format!("/api/v1/leads/{lead}/claim"),
                        &who.token,
                        &json!({}),
                    )
                    .await;
                World::check(&res, "claim");
            }
        }
        34..=38 => {
            // An after-sale follow-up on a customer: no claim, no stage.
            if let Some((lead, Some(owner))) = rng.pick(&customers) {
                let Some((owner, _)) = w.owner(*owner) else {
                    return;
                };
                let owner = w.fresh(&owner);
                let body =
                    json!({"type": *rng.pick(&["call", "visit"]).unwrap(), "content": "回访"});
                let res = app
                    .post(
                        &format!("/api/v1/leads/{lead}/follow-ups"),
                        &owner.token,
                        &body,
                    )
                    .await;
                World::check(&res, "customer follow-up");
            }
        }
        39..=55 => {
            if let Some((lead, Some(owner))) = rng.pick(&owned) {
                let Some((owner, _)) = w.owner(*owner) else {
                    return;
                };
                let owner = w.fresh(&owner);
                let stage = match rng.below(20) {
                    0..=1 => Some("won"),
                    2 => Some("lost"),
                    3..=6 => Some(*rng.pick(&["contacted", "qualified", "proposal"]).unwrap()),
                    _ => None,
                };
                let mut body = json!({"type": *rng.pick(&["call", "wechat", "visit", "sms"]).unwrap(),
                                      "content": "跟进"});
                if let Some(stage) = stage {
                    body["stage"] = json!(stage);
                }
                let res = app
                    .post(
                        &format!("/api/v1/leads/{lead}/follow-ups"),
                        &owner.token,
                        &body,
                    )
                    .await;
                World::check(&res, "follow-up");
            }
        }
        56..=62 => {
            if let Some((lead, Some(owner))) = rng.pick(&owned) {
                let Some((owner, manager)) = w.owner(*owner) else {
                    return;
                };
                let owner = w.fresh(&owner);
                let to = *rng.pick(&w.pools).unwrap();
                let res = app
                    .post(
                        &format!("/api/v1/leads/{lead}/release"),
                        &owner.token,
                        &json!({"reason_code": "no_need", "to_pool_id": to}),
                    )
                    .await;
                World::check(&res, "release");
                if res.status == 202 && rng.below(3) > 0 {
                    let approval = res.json()["approval"]["id"].as_str().unwrap().to_string();
                    let manager = w.fresh(&w.managers[manager]);
                    let res = app
                        .post(
                            &format!("/api/v1/approvals/{approval}/approve"),
                            &manager.token,
                            &json!({"comment": "好"}),
                        )
                        .await;
                    World::check(&res, "approve");
                }
            }
        }
        63..=67 => {
            if let Some((lead, Some(owner))) = rng.pick(&owned) {
                let Some((_, team)) = w.owner(*owner) else {
                    return;
                };
                let mates: Vec<&TestUser> = w
                    .sales
                    .iter()
                    .filter(|(u, t)| *t == team && u.id != *owner)
                    .map(|(u, _)| u)
                    .collect();
                let to = mates[rng.below(mates.len())].id;
                let manager = w.fresh(&w.managers[team]);
                let res = app
                    .post(
                        &format!("/api/v1/leads/{lead}/transfer"),
                        &manager.token,
                        &json!({"to_user_id": to, "reason": "调整"}),
                    )
                    .await;
                World::check(&res, "transfer");
            }
        }
        68..=72 => {
            if let (Some((lead, _)), Some((to, _))) = (rng.pick(&pooled), rng.pick(&w.sales)) {
                let res = app
                    .post(
                        &format!("/api/v1/leads/{lead}/assign"),
                        &app.admin.token,
                        &json!({"user_id": to.id}),
                    )
                    .await;
                World::check(&res, "assign");
            }
        }
        73..=75 => {
            let open: Vec<(Uuid, Option<Uuid>)> = pooled.iter().chain(&owned).copied().collect();
            if let Some((lead, _)) = rng.pick(&open) {
                let res = app
                    .post(
                        &format!("/api/v1/leads/{lead}/close"),
                        &app.admin.token,
                        &json!({"reason": "spam"}),
                    )
                    .await;
                World::check(&res, "close");
            }
        }
        76..=85 => {
            let at = app.clock.now() + Duration::minutes(30 + rng.below(11 * 60) as i64);
            w.app.travel_to(at);
        }
        86..=90 => {
            let res = app
                .post("/api/v1/admin/sweep", &app.admin.token, &json!({}))
                .await;
            World::check(&res, "sweep");
        }
        _ => fold(app).await,
    }
}

#[actix_web::test]
async fn folds_equal_a_recomputation_from_the_facts_over_a_random_history() {
    let mut w = world().await;
    // Two more projectors, as other instances would run, racing the background one.
    let stop = Arc::new(AtomicBool::new(false));
    let folds = Arc::new(AtomicUsize::new(0));
    let racers: Vec<_> = (0..2)
        .map(|_| {
            let (pool, stop, folds) = (w.app.pool.clone(), stop.clone(), folds.clone());
            std::thread::spawn(move || {
                let mut conn = pool.get().unwrap();
                while !stop.load(Ordering::Relaxed) {
                    if let Some(projector::Fold::Folded(_)) = projector::fold(&mut conn).unwrap() {
                        folds.fetch_add(1, Ordering::Relaxed);
                    }
                    std::thread::sleep(std::time::Duration::from_millis(3));
                }
            })
        })
        .collect();
    let mut rng = Rng(0x9e37_79b9_7f4a_7c15);
    for n in 0..360 {
        step(&mut w, &mut rng, n).await;
        if n % 90 == 89 {
            // Reports are the same read from the rollups plus what is not folded yet, and after
            // a fold (a period across every day of the history so far).
            let to = (w.app.clock.now() + Duration::hours(8))
                .date_naive()
                .to_string();
            let before = reports(&w.app, "2026-03-01", &to).await;
            fold(&w.app).await;
            assert_eq!(reports(&w.app, "2026-03-01", &to).await, before);
        }
    }
    stop.store(true, Ordering::Relaxed);
    for racer in racers {
        racer.join().unwrap();
    }
    assert!(
        folds.load(Ordering::Relaxed) > 10,
        "the racing projectors folded"
    );
    assert!(
        w.app.count("follow_ups WHERE claim_id IS NULL") > 0,
        "the history has customers' follow-ups"
    );
    fold(&w.app).await;
    let app = &w.app;
    // The history did a bit of everything.
    for (what, n) in [
        ("claims", "claims WHERE started_how = 'self_claim'"),
        ("transfers", "claims WHERE started_how = 'transfer'"),
        ("assignments", "claims WHERE started_how = 'manager_assign'"),
        ("recycles", "claims WHERE end_reason LIKE 'recycled%'"),
        ("releases", "claims WHERE end_reason = 'released'"),
        ("conversions", "claims WHERE end_reason = 'converted'"),
        ("closes", "leads WHERE state = 'closed'"),
        ("follow-ups", "follow_ups"),
        ("intake", "leads WHERE created_by IS NULL"),
    ] {
        assert!(app.count(n) > 0, "no {what} in the history");
    }
    let folded = rollups(app);
    assert!(folded.len() > 50, "{folded:?}");
    projector::rebuild(&mut app.pool.get().unwrap()).unwrap();
    assert_same_rows(&folded, &rollups(app), "folded = recomputed from the facts");
}

#[actix_web::test]
async fn a_new_time_zone_at_start_up_rebuilds_the_local_days() {
    let mut w = world().await;
    let mut rng = Rng(42);
    for n in 0..80 {
        step(&mut w, &mut rng, n).await;
    }
    fold(&w.app).await;
    let app = &w.app;
    let kept = rollups(app);
    let mut conn = app.pool.get().unwrap();
    assert!(projector::prepare(&mut conn, "UTC").unwrap());
    assert!(!projector::prepare(&mut conn, "UTC").unwrap());
    let utc = rollups(app);
    assert_ne!(utc, kept);
    // Shanghai's local days are UTC's shifted by 8 hours: some follow-up fell on another day.
    assert!(projector::prepare(&mut conn, "Asia/Shanghai").unwrap());
    assert_same_rows(&kept, &rollups(app), "rebuilt in the first time zone again");
}
