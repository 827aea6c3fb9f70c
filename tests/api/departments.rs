//! Departments: teams nest. A manager reads and acts on their team and every team below it;
//! requests go to the nearest manager up the tree; reports and pool membership follow the tree;
//! moving a team takes effect at once; no team sits below itself, even when two moves race.

use serde_json::{Value, json};
use uuid::Uuid;

use crate::claims::assert_owners_match_claims;
use crate::common::{TestApp, TestUser};

struct Tree {
    app: TestApp,
    /// 华东 (managed by `east`) ⊃ 上海 (no manager) ⊃ 浦东 (managed by `pudong`); 华南 (`south`).
    east: TestUser,
    pudong: TestUser,
    south: TestUser,
    east_team: Uuid,
    shanghai_team: Uuid,
    pudong_team: Uuid,
    south_team: Uuid,
    /// In 上海, in 浦东, in 华南.
    sh: TestUser,
    pd: TestUser,
    sz: TestUser,
    pool: Uuid,
}

async fn team(app: &TestApp, name: &str, manager: Option<Uuid>, parent: Option<Uuid>) -> Uuid {
    app.post(
        "/api/v1/teams",
        &app.admin.token,
        &json!({"name": name, "manager_id": manager, "parent_id": parent}),
    )
    .await
    .ok(201)["id"]
        .as_str()
        .unwrap()
        .parse()
        .unwrap()
}

async fn tree() -> Tree {
    let app = TestApp::spawn().await;
    let east = app.user("manager", None).await;
    let pudong = app.user("manager", None).await;
    let south = app.user("manager", None).await;
    let east_team = team(&app, "华东", Some(east.id), None).await;
    let shanghai_team = team(&app, "上海", None, Some(east_team)).await;
    let pudong_team = team(&app, "浦东", Some(pudong.id), Some(shanghai_team)).await;
    let south_team = team(&app, "华南", Some(south.id), None).await;
    let sh = app.user("sales", Some(shanghai_team)).await;
    let pd = app.user("sales", Some(pudong_team)).await;
    let sz = app.user("sales", Some(south_team)).await;
    // The pool's member team is 华东: the teams below it are members too (the default).
    let pool = app.pool("华东公海", true, &[east_team], &[]).await;
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &json!({"release_requires_approval": true}),
    )
    .await
    .ok(200);
    Tree {
        app,
        east,
        pudong,
        south,
        east_team,
        shanghai_team,
        pudong_team,
        south_team,
        sh,
        pd,
        sz,
        pool,
    }
}

impl Tree {
    async fn claim(&self, who: &TestUser) -> crate::common::Response {
        let phone = format!("139{:08}", Uuid::now_v7().as_u128() % 100_000_000);
        let lead = self
            .app
            .lead(self.pool, json!({"phone": phone, "company": "某公司"}))
            .await;
        self.app
            .post(
                &format!("/api/v1/leads/{lead}/claim"),
                &who.token,
                &json!({}),
            )
            .await
    }

    async fn claimed(&self, who: &TestUser) -> Uuid {
        self.claim(who).await.ok(200)["lead"]["id"]
            .as_str()
            .unwrap()
            .parse()
            .unwrap()
    }

    async fn status_of(&self, lead: Uuid, who: &TestUser) -> u16 {
        self.app
            .get(&format!("/api/v1/leads/{lead}"), &who.token)
            .await
            .status
    }

    async fn notifications(&self, who: &TestUser) -> Vec<Value> {
        self.app
            .get("/api/v1/notifications", &who.token)
            .await
            .ok(200)["items"]
            .as_array()
            .unwrap()
            .clone()
    }
}

#[actix_web::test]
async fn a_manager_reads_and_acts_on_every_team_below_theirs_and_a_sibling_s_manager_does_not() {
    let t = tree().await;
    // Members of teams below the pool's member team claim from it; 华南's do not.
    let sh_lead = t.claimed(&t.sh).await;
    let pd_lead = t.claimed(&t.pd).await;
    // (A pool one does not belong to looks like no pool at all.)
    t.claim(&t.sz).await.problem(404, "not_found");

    // The reports that take a team count the teams below it, for the managers above it only.
    for (team, who, held) in [
        (t.east_team, &t.east, 2),
        (t.shanghai_team, &t.east, 2),
        (t.pudong_team, &t.east, 1),
        (t.pudong_team, &t.pudong, 1),
    ] {
        let conversion = t
            .app
            .get(
                &format!("/api/v1/reports/conversion?group_by=pool&team_id={team}"),
                &who.token,
            )
            .await
            .ok(200);
        let created: i64 = conversion["groups"]
            .as_array()
            .unwrap()
            .iter()
            .map(|g| g["created"].as_i64().unwrap())
            .sum();
        assert_eq!(created, held, "{conversion}");
        t.app
            .get(
                &format!("/api/v1/reports/follow-up-timing?team_id={team}"),
                &who.token,
            )
            .await
            .ok(200);
    }
    for path in ["conversion", "follow-up-timing", "funnel"] {
        t.app
            .get(
                &format!("/api/v1/reports/{path}?team_id={}", t.shanghai_team),
                &t.pudong.token,
            )
            .await
            .problem(403, "forbidden");
    }

    assert_eq!(t.status_of(sh_lead, &t.east).await, 200, "two levels down");
    assert_eq!(
        t.status_of(pd_lead, &t.east).await,
        200,
        "three levels down"
    );
    assert_eq!(t.status_of(pd_lead, &t.pudong).await, 200);
    assert_eq!(t.status_of(sh_lead, &t.pudong).await, 404, "above 浦东");
    assert_eq!(t.status_of(sh_lead, &t.south).await, 404, "a sibling");
    let listed = t
        .app
        .get("/api/v1/leads?state=owned", &t.east.token)
        .await
        .ok(200);
    assert_eq!(listed["items"].as_array().unwrap().len(), 2, "{listed}");

    // The top manager moves a lead from 上海 to 浦东; 华南's manager cannot touch it.
    t.app
        .post(
            &format!("/api/v1/leads/{sh_lead}/transfer"),
            &t.south.token,
            &json!({"to_user_id": t.sz.id}),
        )
        .await
        .problem(404, "not_found");
    let moved = t
        .app
        .post(
            &format!("/api/v1/leads/{sh_lead}/transfer"),
            &t.east.token,
            &json!({"to_user_id": t.pd.id, "reason": "调整"}),
        )
        .await
        .ok(200);
    assert_eq!(moved["lead"]["owner_id"], t.pd.id.to_string());
    // The move is audited as the top manager's.
    let audit = t
        .app
        .get(
            &format!("/api/v1/audit?lead_id={sh_lead}&action=lead.transferred"),
            &t.app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(
        audit["items"][0]["actor_id"],
        t.east.id.to_string(),
        "{audit}"
    );

    // The salespeople report of 华东 counts everyone below it, and only the managers above a
    // team may ask for it.
    let report = t
        .app
        .get(
            &format!("/api/v1/reports/salespeople?team_id={}", t.east_team),
            &t.east.token,
        )
        .await
        .ok(200);
    let people: Vec<&str> = report["people"]
        .as_array()
        .unwrap()
        .iter()
        .map(|p| p["user_id"].as_str().unwrap())
        .collect();
    for who in [&t.sh, &t.pd] {
        assert!(people.contains(&who.id.to_string().as_str()), "{report}");
    }
    assert!(!people.contains(&t.sz.id.to_string().as_str()), "{report}");
    t.app
        .get(
            &format!("/api/v1/reports/salespeople?team_id={}", t.east_team),
            &t.pudong.token,
        )
        .await
        .problem(403, "forbidden");
    t.app
        .get(
            &format!("/api/v1/reports/salespeople?team_id={}", t.pudong_team),
            &t.east.token,
        )
        .await
        .ok(200);
    assert_owners_match_claims(&t.app);
}

#[actix_web::test]
async fn a_request_goes_to_the_nearest_manager_above_and_any_manager_above_may_decide() {
    let t = tree().await;
    let sh_lead = t.claimed(&t.sh).await;
    let pd_lead = t.claimed(&t.pd).await;
    let ask = |lead: Uuid, who: &TestUser| {
        let token = who.token.clone();
        let app = &t.app;
        async move {
            app.post(
                &format!("/api/v1/leads/{lead}/release"),
                &token,
                &json!({"reason_code": "no_need"}),
            )
            .await
            .ok(202)["approval"]["id"]
                .as_str()
                .unwrap()
                .to_string()
        }
    };
    let sh_request = ask(sh_lead, &t.sh).await;
    let pd_request = ask(pd_lead, &t.pd).await;
    // 上海 has no manager: its request goes up to 华东's. 浦东's goes to its own manager.
    let kinds = |notes: &[Value], lead: Uuid| {
        notes
            .iter()
            .filter(|n| n["kind"] == "approval_requested" && n["lead_id"] == lead.to_string())
            .count()
    };
    assert_eq!(kinds(&t.notifications(&t.east).await, sh_lead), 1);
    assert_eq!(kinds(&t.notifications(&t.east).await, pd_lead), 0);
    assert_eq!(kinds(&t.notifications(&t.pudong).await, pd_lead), 1);
    assert_eq!(kinds(&t.notifications(&t.south).await, sh_lead), 0);

    // Both are in 华东's list; only 浦东's in 浦东's; none in 华南's.
    let list = |who: &TestUser| {
        let token = who.token.clone();
        let app = &t.app;
        async move {
            app.get("/api/v1/approvals?role=approver&status=pending", &token)
                .await
                .ok(200)["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|a| a["id"].as_str().unwrap().to_string())
                .collect::<Vec<_>>()
        }
    };
    let mut east_list = list(&t.east).await;
    east_list.sort();
    let mut both = vec![sh_request.clone(), pd_request.clone()];
    both.sort();
    assert_eq!(east_list, both);
    assert_eq!(list(&t.pudong).await, vec![pd_request.clone()]);
    assert!(list(&t.south).await.is_empty());

    t.app
        .post(
            &format!("/api/v1/approvals/{sh_request}/approve"),
            &t.south.token,
            &json!({}),
        )
        .await
        .problem(404, "not_found");
    t.app
        .post(
            &format!("/api/v1/approvals/{sh_request}/approve"),
            &t.pudong.token,
            &json!({}),
        )
        .await
        .problem(404, "not_found");
    // The manager two levels up decides 浦东's request too.
    let decided = t
        .app
        .post(
            &format!("/api/v1/approvals/{pd_request}/approve"),
            &t.east.token,
            &json!({"comment": "同意"}),
        )
        .await
        .ok(200);
    assert_eq!(decided["lead"]["state"], "pooled", "{decided}");
}

#[actix_web::test]
async fn moving_a_team_takes_effect_at_once_and_pools_may_leave_sub_teams_out() {
    let t = tree().await;
    let sh_lead = t.claimed(&t.sh).await;
    assert_eq!(t.status_of(sh_lead, &t.east).await, 200);
    // 上海 (with 浦东 below it) moves under 华南.
    let moved = t
        .app
        .patch(
            &format!("/api/v1/teams/{}", t.shanghai_team),
            &t.app.admin.token,
            &json!({"parent_id": t.south_team}),
        )
        .await
        .ok(200);
    assert_eq!(moved["parent_id"], t.south_team.to_string());
    assert_eq!(t.status_of(sh_lead, &t.east).await, 404);
    assert_eq!(t.status_of(sh_lead, &t.south).await, 200);
    // Its people are no longer below the pool's member team.
    t.claim(&t.pd).await.problem(404, "not_found");
    // Back, and the pool counts only its member teams' own people.
    t.app
        .patch(
            &format!("/api/v1/teams/{}", t.shanghai_team),
            &t.app.admin.token,
            &json!({"parent_id": t.east_team}),
        )
        .await
        .ok(200);
    t.claimed(&t.pd).await;
    let pool = t
        .app
        .patch(
            &format!("/api/v1/pools/{}", t.pool),
            &t.app.admin.token,
            &json!({"member_sub_teams": false}),
        )
        .await
        .ok(200);
    assert_eq!(pool["member_sub_teams"], false);
    t.claim(&t.pd).await.problem(404, "not_found");
    let east_member = t.app.user("sales", Some(t.east_team)).await;
    t.claimed(&east_member).await;
}

#[actix_web::test]
async fn no_team_sits_below_itself_even_when_two_moves_race() {
    let t = tree().await;
    let admin = &t.app.admin.token;
    for (team, parent) in [
        (t.east_team, t.pudong_team),
        (t.east_team, t.east_team),
        (t.shanghai_team, t.pudong_team),
    ] {
        let refused = t
            .app
            .patch(
                &format!("/api/v1/teams/{team}"),
                admin,
                &json!({"parent_id": parent}),
            )
            .await
            .problem(422, "validation_failed");
        assert_eq!(refused["errors"][0]["field"], "parent_id", "{refused}");
    }
    let unknown = t
        .app
        .patch(
            &format!("/api/v1/teams/{}", t.east_team),
            admin,
            &json!({"parent_id": Uuid::now_v7()}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(unknown["errors"][0]["code"], "not_found");

    // Two top teams, each moved under the other at the same moment: one move wins.
    for round in 0..5 {
        let a = team(&t.app, &format!("甲{round}"), None, None).await;
        let b = team(&t.app, &format!("乙{round}"), None, None).await;
        let (under_b, under_a) = (json!({"parent_id": b}), json!({"parent_id": a}));
        let (path_a, path_b) = (format!("/api/v1/teams/{a}"), format!("/api/v1/teams/{b}"));
        let first = t.app.patch(&path_a, admin, &under_b);
        let second = t.app.patch(&path_b, admin, &under_a);
        let (first, second) = futures_util::future::join(first, second).await;
        let mut statuses = [first.status, second.status];
        statuses.sort();
        assert_eq!(statuses, [200, 422], "round {round}");
    }
}
