//! Round robin: `next-lead` in turn, distribution in a stable order that skips, weighs and stays
//! fair after leave, with every decision explained.

use chrono::Duration;
use leadpool::clock::Clock;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::claims::assert_owners_match_claims;
use crate::common::{TestApp, TestUser};

async fn round_robin_pool(app: &TestApp, members: &[Uuid], rules: Value) -> Uuid {
    let pool = app.pool("Rotation", true, &[], members).await;
    let mut body = json!({"claim_mode": "round_robin", "max_owned_per_user": null, "max_claims_per_day": null});
    for (k, v) in rules.as_object().unwrap() {
        body[k] = v.clone();
    }
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &body,
    )
    .await
    .ok(200);
    pool
}

async fn leads(app: &TestApp, pool: Uuid, n: usize, grade: Option<&str>) -> Vec<Uuid> {
    let mut out = Vec::new();
    for _ in 0..n {
        let phone = format!("139{:08}", Uuid::now_v7().as_u128() % 100_000_000);
        out.push(
            app.lead(pool, json!({"phone": phone, "grade": grade}))
                .await,
        );
    }
    out
}

async fn next(app: &TestApp, pool: Uuid, who: &TestUser) -> crate::common::Response {
    app.post(
        &format!("/api/v1/pools/{pool}/next-lead"),
        &who.token,
        &json!({}),
    )
    .await
}

async fn distribute(app: &TestApp, pool: Uuid, count: usize) -> Value {
    app.post(
        &format!("/api/v1/pools/{pool}/distribute"),
        &app.admin.token,
        &json!({"count": count}),
    )
    .await
    .ok(200)
}

/// Who got each lead of a distribution, as indexes into `people`.
fn receivers(result: &Value, people: &[TestUser]) -> Vec<usize> {
    result["assigned"]
        .as_array()
        .unwrap()
        .iter()
        .map(|a| {
            let id: Uuid = a["user_id"].as_str().unwrap().parse().unwrap();
            people.iter().position(|p| p.id == id).unwrap()
        })
        .collect()
}

fn tally(list: &[usize], n: usize) -> Vec<usize> {
    (0..n)
        .map(|i| list.iter().filter(|x| **x == i).count())
        .collect()
}

#[actix_web::test]
async fn next_lead_goes_in_turn_oldest_first_and_explains_refusals() {
    let app = TestApp::spawn().await;
    let people = app.quick_users(3, "sales", None);
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    let pool = round_robin_pool(&app, &ids, json!({"round_robin_max_ahead": 0})).await;
    let stock = leads(&app, pool, 5, None).await;

    // Named claims do not bypass the rotation.
    app.post(
        &format!("/api/v1/leads/{}/claim", stock[0]),
        &people[0].token,
        &json!({}),
    )
    .await
    .problem(422, "claim_mode_mismatch");

    let first = next(&app, pool, &people[0]).await.ok(200);
    assert_eq!(first["lead"]["id"], stock[0].to_string());
    assert_eq!(first["claim"]["started_how"], "round_robin");
    // Strict turns: the others go first.
    let refused = next(&app, pool, &people[0])
        .await
        .problem(409, "not_your_turn");
    let explained = refused["explanation"].as_array().unwrap();
    assert_eq!(explained.len(), 3);
    assert_eq!(explained[0]["reasons"], json!(["not_their_turn"]));
    assert_eq!(explained[1]["reasons"], json!([]));
    assert!(explained[0]["pass"].as_i64().unwrap() > explained[1]["pass"].as_i64().unwrap());
    let second = next(&app, pool, &people[2]).await.ok(200);
    assert_eq!(second["lead"]["id"], stock[1].to_string());
    next(&app, pool, &people[2])
        .await
        .problem(409, "not_your_turn");
    next(&app, pool, &people[1]).await.ok(200);
    // A new round.
    let again = next(&app, pool, &people[0]).await.ok(200);
    assert_eq!(again["lead"]["id"], stock[3].to_string());
    // One ahead is allowed by default.
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"claim_mode": "round_robin", "max_owned_per_user": null, "max_claims_per_day": null}),
    )
    .await
    .ok(200);
    next(&app, pool, &people[0]).await.ok(200);
    next(&app, pool, &people[1])
        .await
        .problem(409, "pool_empty");
    // First-come pools have no next lead.
    let fc = app.pool("First come", false, &[], &ids).await;
    next(&app, fc, &people[0])
        .await
        .problem(422, "claim_mode_mismatch");
    assert_owners_match_claims(&app);
}

#[actix_web::test]
async fn best_grade_first_when_the_rules_say_so() {
    let app = TestApp::spawn().await;
    let people = app.quick_users(1, "sales", None);
    let pool = round_robin_pool(
        &app,
        &[people[0].id],
        json!({"lead_order": "best_grade_first", "round_robin_max_ahead": 100}),
    )
    .await;
    let c = leads(&app, pool, 1, Some("C")).await[0];
    let none = leads(&app, pool, 1, None).await[0];
    let a = leads(&app, pool, 1, Some("A")).await[0];
    let b = leads(&app, pool, 1, Some("B")).await[0];
    let mut got = Vec::new();
    for _ in 0..4 {
        let taken = next(&app, pool, &people[0]).await.ok(200);
        got.push(
            taken["lead"]["id"]
                .as_str()
                .unwrap()
                .parse::<Uuid>()
                .unwrap(),
        );
    }
    assert_eq!(got, vec![a, b, c, none]);
}

#[actix_web::test]
async fn distribution_is_stable_weighted_skips_and_is_fair_after_leave() {
    let mut app = TestApp::spawn().await;
    let people = app.quick_users(3, "sales", None);
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    let pool = round_robin_pool(&app, &ids, json!({})).await;
    leads(&app, pool, 300, None).await;

    // Stable order, one each per round.
    let result = distribute(&app, pool, 6).await;
    assert_eq!(receivers(&result, &people), vec![0, 1, 2, 0, 1, 2]);
    assert_eq!(result["stopped"], "done");
    // Each assignment explains itself: all three considered, the chosen one eligible.
    let first = &result["assigned"][0]["candidates"];
    assert_eq!(first.as_array().unwrap().len(), 3);
    assert!(
        first
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["eligible"] == true)
    );
    let decision_id = result["assigned"][0]["decision_id"].as_str().unwrap();
    let decision = app
        .get(
            &format!("/api/v1/claim-decisions/{decision_id}"),
            &people[0].token,
        )
        .await
        .ok(200);
    assert_eq!(decision["kind"], "distribute");
    assert_eq!(decision["chosen_user_id"], people[0].id.to_string());

    // Person 1 goes on leave: skipped, with the reason.
    let now = app.clock.now();
    app.patch(
        &format!("/api/v1/users/{}", people[1].id),
        &app.admin.token,
        &json!({"on_leave_from": now - Duration::minutes(1), "on_leave_until": now + Duration::days(10)}),
    )
    .await
    .ok(200);
    let away = distribute(&app, pool, 60).await;
    let got = receivers(&away, &people);
    assert_eq!(tally(&got, 3), vec![30, 0, 30]);
    let skipped = &away["assigned"][0]["candidates"][1];
    assert_eq!(skipped["reasons"], json!(["on_leave"]));

    // Back from leave: not flooded with what they missed, and nobody starves.
    app.travel_to(app.clock.now() + Duration::days(11));
    let back = distribute(&app, pool, 90).await;
    let got = receivers(&back, &people);
    assert_eq!(tally(&got, 3), vec![30, 30, 30]);
    assert!(got.windows(2).all(|w| w[0] != w[1]), "{got:?}");

    // Weights: person 2 weighs 2.
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"claim_mode": "round_robin", "max_owned_per_user": null, "max_claims_per_day": null,
                "member_weights": [{"user_id": people[2].id, "weight": 2}]}),
    )
    .await
    .ok(200);
    let weighted = distribute(&app, pool, 40).await;
    assert_eq!(tally(&receivers(&weighted, &people), 3), vec![10, 10, 20]);

    // Quotas: at most 80 held each; whoever reaches it is skipped with the reason, and
    // distribution stops when nobody is eligible.
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"claim_mode": "round_robin", "max_owned_per_user": 80, "max_claims_per_day": null}),
    )
    .await
    .ok(200);
    // Held now: 0 → 2+30+30+10 = 72, 1 → 2+30+10 = 42, 2 → 2+30+30+20 = 82.
    let capped = distribute(&app, pool, 100).await;
    let got = receivers(&capped, &people);
    assert_eq!(tally(&got, 3), vec![8, 38, 0]);
    assert_eq!(capped["stopped"], "no_eligible_member");
    let last = capped["candidates"].as_array().unwrap();
    assert!(last.iter().all(|c| c["reasons"] == json!(["at_max_owned"])));
    assert_owners_match_claims(&app);
}

#[actix_web::test]
async fn a_manager_distributes_to_their_team_only() {
    let app = TestApp::spawn().await;
    let manager = app.user("manager", None).await;
    let team = app.team("Team", Some(manager.id)).await;
    let mine = app.quick_users(2, "sales", Some(team));
    let others = app.quick_users(2, "sales", None);
    let mut members: Vec<Uuid> = others.iter().map(|p| p.id).collect();
    members.push(manager.id);
    let pool = app.pool("Shared", true, &[team], &members).await;
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"claim_mode": "round_robin"}),
    )
    .await
    .ok(200);
    leads(&app, pool, 6, None).await;
    app.post(
        &format!("/api/v1/pools/{pool}/distribute"),
        &mine[0].token,
        &json!({"count": 1}),
    )
    .await
    .problem(403, "forbidden");
    app.post(
        &format!("/api/v1/pools/{pool}/distribute"),
        &manager.token,
        &json!({"count": 0}),
    )
    .await
    .problem(422, "validation_failed");
    let result = app
        .post(
            &format!("/api/v1/pools/{pool}/distribute"),
            &manager.token,
            &json!({"count": 6}),
        )
        .await
        .ok(200);
    let allowed: Vec<String> = mine
        .iter()
        .map(|p| p.id.to_string())
        .chain([manager.id.to_string()])
        .collect();
    for a in result["assigned"].as_array().unwrap() {
        assert!(allowed.contains(&a["user_id"].as_str().unwrap().to_string()));
    }
    assert_eq!(result["assigned"].as_array().unwrap().len(), 6);
}

#[actix_web::test]
async fn concurrent_distributions_take_turns_and_never_hand_out_a_lead_twice() {
    let app = TestApp::spawn().await;
    let people = app.quick_users(4, "sales", None);
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    let pool = round_robin_pool(&app, &ids, json!({})).await;
    leads(&app, pool, 40, None).await;
    let results = futures_util::future::join_all((0..4).map(|_| distribute(&app, pool, 8))).await;
    let mut handed: Vec<String> = Vec::new();
    let mut all = Vec::new();
    for result in &results {
        for a in result["assigned"].as_array().unwrap() {
            handed.push(a["lead_id"].as_str().unwrap().to_string());
        }
        all.extend(receivers(result, &people));
    }
    let unique: std::collections::HashSet<_> = handed.iter().collect();
    assert_eq!((handed.len(), unique.len()), (32, 32));
    // One after another, the four runs dealt 32 leads round the rotation: 8 each.
    assert_eq!(tally(&all, 4), vec![8, 8, 8, 8]);
    assert_owners_match_claims(&app);
}
