//! The lead lifecycle: follow-ups and stages, the recycle rules at their exact boundaries, the
//! sweep (also two at once), warnings, the agenda, release, transfer, approvals, close, what-if.

use chrono::{DateTime, Duration, Utc};
use futures_util::future::join_all;
use leadpool::clock::Clock;
use serde_json::{Value, json};
use uuid::Uuid;

use crate::claims::assert_owners_match_claims;
use crate::common::{TestApp, TestUser};

struct World {
    app: TestApp,
    manager: TestUser,
    sales: TestUser,
    other: TestUser,
    pool: Uuid,
}

async fn world(rules: Value) -> World {
    let app = TestApp::spawn().await;
    let manager = app.user("manager", None).await;
    let team = app.team("Team", Some(manager.id)).await;
    let sales = app.user("sales", Some(team)).await;
    let other = app.user("sales", Some(team)).await;
    let pool = app.pool("Life", true, &[team], &[manager.id]).await;
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &rules,
    )
    .await
    .ok(200);
    World {
        app,
        manager,
        sales,
        other,
        pool,
    }
}

impl World {
    async fn claimed_lead(&self, who: &TestUser) -> (Uuid, Value) {
        let phone = format!("139{:08}", Uuid::now_v7().as_u128() % 100_000_000);
        let lead = self
            .app
            .lead(self.pool, json!({"phone": phone, "company": "某公司"}))
            .await;
        let taken = self
            .app
            .post(
                &format!("/api/v1/leads/{lead}/claim"),
                &who.token,
                &json!({}),
            )
            .await
            .ok(200);
        (lead, taken["lead"].clone())
    }

    async fn follow_up(&self, lead: Uuid, who: &TestUser, body: Value) -> crate::common::Response {
        self.app
            .post(
                &format!("/api/v1/leads/{lead}/follow-ups"),
                &who.token,
                &body,
            )
            .await
    }

    async fn sweep(&self) -> Value {
        self.app
            .post("/api/v1/admin/sweep", &self.app.admin.token, &json!({}))
            .await
            .ok(200)
    }

    /// Moves the clock and renews everyone's tokens.
    fn travel(&mut self, at: DateTime<Utc>) {
        self.app.travel_to(at);
        self.manager = self.app.fresh(&self.manager);
        self.sales = self.app.fresh(&self.sales);
        self.other = self.app.fresh(&self.other);
    }

    /// Asks to release `lead` (the pool requires approval) and returns the request's id.
    async fn request_release(&self, lead: Uuid, who: &TestUser) -> String {
        let res = self
            .app
            .post(
                &format!("/api/v1/leads/{lead}/release"),
                &who.token,
                &json!({"reason_code": "no_need"}),
            )
            .await;
        assert_eq!(res.status, 202, "{}", String::from_utf8_lossy(&res.body));
        res.json()["approval"]["id"].as_str().unwrap().to_string()
    }

    async fn lead(&self, lead: Uuid) -> Value {
        self.app
            .get(&format!("/api/v1/leads/{lead}"), &self.app.admin.token)
            .await
            .ok(200)
    }

    /// The items of a listing, as an admin sees them.
    async fn items(&self, path: &str) -> Vec<Value> {
        let page = self.app.get(path, &self.app.admin.token).await.ok(200);
        page["items"].as_array().unwrap().clone()
    }

    /// The lead's holds, newest first.
    async fn claims_of(&self, lead: Uuid) -> Vec<Value> {
        self.items(&format!("/api/v1/claims?lead_id={lead}")).await
    }

    /// The lead's timeline, oldest first.
    async fn timeline(&self, lead: Uuid) -> Vec<Value> {
        self.items(&format!("/api/v1/leads/{lead}/timeline")).await
    }
}

fn at(v: &Value) -> DateTime<Utc> {
    v.as_str().unwrap().parse().unwrap()
}

fn recycled_ids(report: &Value) -> Vec<String> {
    report["recycled"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["lead_id"].as_str().unwrap().to_string())
        .collect()
}

#[actix_web::test]
async fn follow_ups_move_stages_and_the_recycle_clock() {
    let w = world(json!({})).await;
    let (lead, claimed) = w.claimed_lead(&w.sales).await;
    // Claimed from the pool, no follow-up yet: due in 24 hours.
    assert_eq!(claimed["recycle_reason"], "recycled_no_first_follow_up");
    assert_eq!(
        at(&claimed["recycle_at"]) - at(&claimed["claimed_at"]),
        Duration::hours(24)
    );
    let now = w.app.clock.now();
    let res = w
        .follow_up(
            lead,
            &w.sales,
            json!({"type": "call", "content": "聊了需求", "stage": "contacted",
                   "next_follow_up_at": now + Duration::days(1)}),
        )
        .await
        .ok(201);
    assert_eq!(res["follow_up"]["stage_from"], "new");
    assert_eq!(res["follow_up"]["stage_to"], "contacted");
    assert_eq!(res["lead"]["stage"], "contacted");
    assert_eq!(res["lead"]["recycle_reason"], "recycled_no_contact");
    let last = at(&res["lead"]["last_follow_up_at"]);
    assert_eq!(at(&res["lead"]["recycle_at"]) - last, Duration::days(3));
    let first_id = res["follow_up"]["id"].as_str().unwrap().to_string();

    // Validation and the direction of stages.
    w.follow_up(lead, &w.sales, json!({"type": "call", "content": "  "}))
        .await
        .problem(422, "validation_failed");
    let res = w
        .follow_up(
            lead,
            &w.sales,
            json!({"type": "call", "content": "x", "next_follow_up_at": now - Duration::hours(1)}),
        )
        .await
        .problem(422, "validation_failed");
    assert_eq!(res["errors"][0]["code"], "not_in_future");
    w.follow_up(lead, &w.sales, json!({"type": "fax", "content": "x"}))
        .await
        .problem(422, "validation_failed");
    w.follow_up(
        lead,
        &w.sales,
        json!({"type": "call", "content": "x", "stage": "new"}),
    )
    .await
    .problem(422, "stage_backward");
    w.follow_up(lead, &w.other, json!({"type": "call", "content": "x"}))
        .await
        .problem(404, "not_found");
    // A manager may move it back; a correction names the record it corrects.
    let back = w
        .follow_up(
            lead,
            &w.manager,
            json!({"type": "other", "content": "误操作，退回", "stage": "new", "corrects_id": first_id}),
        )
        .await
        .ok(201);
    assert_eq!(back["lead"]["stage"], "new");
    assert_eq!(back["follow_up"]["corrects_id"], first_id);
    let list = w
        .app
        .get(&format!("/api/v1/leads/{lead}/follow-ups"), &w.sales.token)
        .await
        .ok(200);
    assert_eq!(list["items"].as_array().unwrap().len(), 2);
    let mine = w
        .app
        .get("/api/v1/follow-ups", &w.sales.token)
        .await
        .ok(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    let team = w
        .app
        .get("/api/v1/follow-ups?type=other", &w.manager.token)
        .await
        .ok(200);
    assert_eq!(team["items"].as_array().unwrap().len(), 1);
    // Follow-ups are append-only.
    {
        use diesel::connection::SimpleConnection;
        let err = w
            .app
            .pool
            .get()
            .unwrap()
            .batch_execute("UPDATE follow_ups SET content = 'changed'")
            .unwrap_err();
        assert!(err.to_string().contains("append-only"));
    }
    // Won: converted, the claim ends `converted`.
    let won = w
        .follow_up(
            lead,
            &w.sales,
            json!({"type": "meeting", "content": "签约", "stage": "won"}),
        )
        .await
        .ok(201);
    assert_eq!(won["lead"]["state"], "converted");
    assert_eq!(won["lead"]["stage"], "won");
    let claims = w.claims_of(lead).await;
    assert_eq!(claims[0]["end_reason"], "converted");
    w.follow_up(lead, &w.sales, json!({"type": "call", "content": "x"}))
        .await
        .problem(404, "not_found");
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn each_recycle_rule_fires_at_its_boundary_and_not_before() {
    let mut w = world(json!({"no_deal_days": 10, "max_follow_ups_without_progress": 3})).await;
    // First follow-up: exactly 24 hours after the claim.
    let (first, lead) = w.claimed_lead(&w.sales).await;
    let due = at(&lead["recycle_at"]);
    w.travel(due - Duration::seconds(1));
    assert!(recycled_ids(&w.sweep().await).is_empty());
    w.travel(due);
    let report = w.sweep().await;
    assert_eq!(recycled_ids(&report), [first.to_string()]);
    assert_eq!(
        report["recycled"][0]["reason"],
        "recycled_no_first_follow_up"
    );
    assert_eq!(w.lead(first).await["state"], "pooled");

    // No contact: three days after the last follow-up.
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let res = w
        .follow_up(lead, &w.sales, json!({"type": "call", "content": "hi"}))
        .await
        .ok(201);
    let due = at(&res["lead"]["recycle_at"]);
    assert_eq!(res["lead"]["recycle_reason"], "recycled_no_contact");
    w.travel(due - Duration::seconds(1));
    assert!(recycled_ids(&w.sweep().await).is_empty());
    w.travel(due);
    let report = w.sweep().await;
    assert_eq!(recycled_ids(&report), [lead.to_string()]);
    assert_eq!(report["recycled"][0]["reason"], "recycled_no_contact");

    // No progress: the third follow-up without a stage advance makes it due at once.
    let (lead, _) = w.claimed_lead(&w.sales).await;
    for i in 0..2 {
        let res = w
            .follow_up(
                lead,
                &w.sales,
                json!({"type": "call", "content": format!("try {i}")}),
            )
            .await
            .ok(201);
        assert_eq!(res["lead"]["recycle_reason"], "recycled_no_contact");
    }
    let res = w
        .follow_up(lead, &w.sales, json!({"type": "call", "content": "try 3"}))
        .await
        .ok(201);
    assert_eq!(res["lead"]["recycle_reason"], "recycled_no_progress");
    let report = w.sweep().await;
    assert_eq!(recycled_ids(&report), [lead.to_string()]);
    assert_eq!(report["recycled"][0]["reason"], "recycled_no_progress");

    // No deal: ten days after the claim, however diligent the follow-ups; exempt stages never.
    let (lead, claimed) = w.claimed_lead(&w.other).await;
    let (exempt, _) = w.claimed_lead(&w.other).await;
    w.follow_up(
        exempt,
        &w.other,
        json!({"type": "visit", "content": "谈判", "stage": "negotiation"}),
    )
    .await
    .ok(201);
    let deal_due = at(&claimed["claimed_at"]) + Duration::days(10);
    for (day, stage) in [
        (2, Some("contacted")),
        (4, None),
        (6, Some("qualified")),
        (8, None),
    ] {
        w.travel(at(&claimed["claimed_at"]) + Duration::days(day));
        w.follow_up(
            lead,
            &w.other,
            json!({"type": "call", "content": "still talking", "stage": stage}),
        )
        .await
        .ok(201);
    }
    let now_lead = w.lead(lead).await;
    assert_eq!(now_lead["recycle_reason"], "recycled_no_deal");
    assert_eq!(at(&now_lead["recycle_at"]), deal_due);
    w.travel(deal_due - Duration::seconds(1));
    assert!(recycled_ids(&w.sweep().await).is_empty());
    w.travel(deal_due);
    let report = w.sweep().await;
    assert_eq!(recycled_ids(&report), [lead.to_string()]);
    assert_eq!(report["recycled"][0]["reason"], "recycled_no_deal");
    w.travel(deal_due + Duration::days(60));
    assert!(recycled_ids(&w.sweep().await).is_empty());
    let exempt_lead = w.lead(exempt).await;
    assert_eq!(exempt_lead["state"], "owned");
    assert_eq!(exempt_lead["recycle_at"], Value::Null);

    // The owner was told; the timeline and the claim records say why.
    let notes = w
        .app
        .get("/api/v1/notifications", &w.sales.token)
        .await
        .ok(200);
    assert!(
        notes["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n["kind"] == "recycled" && n["lead_id"] == first.to_string())
    );
    let timeline = w.timeline(first).await;
    let last = timeline.last().unwrap();
    assert_eq!(last["kind"], "claim_ended");
    assert_eq!(last["details"]["reason"], "recycled_no_first_follow_up");
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn a_rule_change_moves_recycle_times_at_once() {
    let w = world(json!({})).await;
    let (lead, claimed) = w.claimed_lead(&w.sales).await;
    w.app
        .json(
            "PUT",
            &format!("/api/v1/pools/{}/rules", w.pool),
            Some(&w.app.admin.token),
            &json!({"first_follow_up_hours": 2}),
        )
        .await
        .ok(200);
    let now = w.lead(lead).await;
    assert_eq!(
        at(&now["recycle_at"]) - at(&claimed["claimed_at"]),
        Duration::hours(2)
    );
}

#[actix_web::test]
async fn owners_are_warned_once_and_the_agenda_lists_what_is_due_soonest_first() {
    let mut w = world(json!({"first_follow_up_hours": 48, "warn_before_recycle_hours": 24})).await;
    let (a, claimed) = w.claimed_lead(&w.sales).await;
    let (b, _) = w.claimed_lead(&w.sales).await;
    let (c, _) = w.claimed_lead(&w.sales).await;
    let t0 = at(&claimed["claimed_at"]);
    // b: a follow-up planned in 30 hours; c: one planned in 2 hours that will be overdue.
    let now = w.app.clock.now();
    w.follow_up(
        b,
        &w.sales,
        json!({"type": "call", "content": "x", "next_follow_up_at": now + Duration::hours(30)}),
    )
    .await
    .ok(201);
    w.follow_up(
        c,
        &w.sales,
        json!({"type": "call", "content": "x", "next_follow_up_at": now + Duration::hours(2)}),
    )
    .await
    .ok(201);
    // Not yet within 24 hours of a's recycle time (t0 + 48h).
    w.travel(t0 + Duration::hours(23));
    assert_eq!(w.sweep().await["warned"], 0);
    w.travel(t0 + Duration::hours(25));
    assert_eq!(w.sweep().await["warned"], 1);
    assert_eq!(w.sweep().await["warned"], 0);
    let notes = w
        .app
        .get("/api/v1/notifications?unread=true", &w.sales.token)
        .await
        .ok(200);
    let warning = notes["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|n| n["kind"] == "recycle_warning")
        .unwrap()
        .clone();
    assert_eq!(warning["lead_id"], a.to_string());
    let id = warning["id"].as_str().unwrap();
    w.app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &w.other.token,
            &json!({}),
        )
        .await
        .problem(404, "not_found");
    let read = w
        .app
        .post(
            &format!("/api/v1/notifications/{id}/read"),
            &w.sales.token,
            &json!({}),
        )
        .await
        .ok(200);
    assert!(read["read_at"].is_string());

    // Agenda at t0 + 25h: c's follow-up overdue, b's due in ~5h, a recycled in ~23h.
    let agenda = w.app.get("/api/v1/agenda", &w.sales.token).await.ok(200);
    let items: Vec<(String, String, bool)> = agenda["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|i| {
            (
                i["lead_id"].as_str().unwrap().to_string(),
                i["kind"].as_str().unwrap().to_string(),
                i["overdue"].as_bool().unwrap(),
            )
        })
        .collect();
    assert_eq!(
        items,
        vec![
            (c.to_string(), "follow_up".to_string(), true),
            (b.to_string(), "follow_up".to_string(), false),
            (a.to_string(), "recycle".to_string(), false),
        ]
    );
    assert_eq!(agenda["items"][2]["reason"], "recycled_no_first_follow_up");
    let other = w.app.get("/api/v1/agenda", &w.other.token).await.ok(200);
    assert_eq!(other["items"], json!([]));
}

#[actix_web::test]
async fn releases_with_and_without_approval_and_every_decision_path() {
    let mut w = world(json!({"release_requires_approval": false})).await;
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let path = format!("/api/v1/leads/{lead}/release");
    w.app
        .post(&path, &w.sales.token, &json!({"reason_code": "bored"}))
        .await
        .problem(422, "validation_failed");
    w.app
        .post(&path, &w.sales.token, &json!({"reason_code": "other"}))
        .await
        .problem(422, "validation_failed");
    w.app
        .post(
            &path,
            &w.other.token,
            &json!({"reason_code": "unreachable"}),
        )
        .await
        .problem(404, "not_found");
    let done = w
        .app
        .post(
            &path,
            &w.sales.token,
            &json!({"reason_code": "unreachable"}),
        )
        .await
        .ok(200);
    assert_eq!(done["lead"]["state"], "pooled");
    w.app
        .post(
            &path,
            &w.sales.token,
            &json!({"reason_code": "unreachable"}),
        )
        .await
        .problem(404, "not_found");

    // With approval: 202, the lead stays; approve, reject, cancel, twice, by the wrong person.
    w.app
        .json(
            "PUT",
            &format!("/api/v1/pools/{}/rules", w.pool),
            Some(&w.app.admin.token),
            &json!({}),
        )
        .await
        .ok(200);
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let path = format!("/api/v1/leads/{lead}/release");
    let pending = w
        .app
        .post(&path, &w.sales.token, &json!({"reason_code": "budget"}))
        .await;
    assert_eq!(pending.status, 202);
    let approval = pending.json()["approval"].clone();
    assert_eq!(approval["status"], "pending");
    let id = approval["id"].as_str().unwrap().to_string();
    assert_eq!(w.lead(lead).await["state"], "owned");
    w.app
        .post(&path, &w.sales.token, &json!({"reason_code": "budget"}))
        .await
        .problem(409, "approval_pending");
    // Salespeople never approve: 403 whoever's the request.
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/approve"),
            &w.other.token,
            &json!({}),
        )
        .await
        .problem(403, "forbidden");
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/approve"),
            &w.sales.token,
            &json!({}),
        )
        .await
        .problem(403, "forbidden");
    let mine = w
        .app
        .get(
            "/api/v1/approvals?role=approver&status=pending",
            &w.manager.token,
        )
        .await
        .ok(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    w.app
        .get("/api/v1/approvals?role=approver", &w.sales.token)
        .await
        .problem(403, "forbidden");
    let approved = w
        .app
        .post(
            &format!("/api/v1/approvals/{id}/approve"),
            &w.manager.token,
            &json!({"comment": "同意"}),
        )
        .await
        .ok(200);
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["decided_by"], w.manager.id.to_string());
    assert_eq!(w.lead(lead).await["state"], "pooled");
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/reject"),
            &w.manager.token,
            &json!({}),
        )
        .await
        .problem(409, "approval_already_decided");

    // Rejected: the lead stays. Cancelled by the requester while pending.
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let id = w.request_release(lead, &w.sales).await;
    let rejected = w
        .app
        .post(
            &format!("/api/v1/approvals/{id}/reject"),
            &w.manager.token,
            &json!({"comment": "再跟一下"}),
        )
        .await
        .ok(200);
    assert_eq!(rejected["status"], "rejected");
    assert_eq!(w.lead(lead).await["owner_id"], w.sales.id.to_string());
    let id = w.request_release(lead, &w.sales).await;
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/cancel"),
            &w.manager.token,
            &json!({}),
        )
        .await
        .problem(403, "forbidden");
    let cancelled = w
        .app
        .post(
            &format!("/api/v1/approvals/{id}/cancel"),
            &w.sales.token,
            &json!({}),
        )
        .await
        .ok(200);
    assert_eq!(cancelled["status"], "cancelled");
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/cancel"),
            &w.sales.token,
            &json!({}),
        )
        .await
        .problem(409, "approval_already_decided");

    // Obsolete: the lead is recycled while the request waits.
    let id = w.request_release(lead, &w.sales).await;
    w.app.travel_to(w.app.clock.now() + Duration::days(30));
    let admin = w.app.admin.clone();
    w.sweep().await;
    let got = w
        .app
        .get(&format!("/api/v1/approvals/{id}"), &admin.token)
        .await
        .ok(200);
    assert_eq!(got["status"], "obsolete");
    let manager = w.app.fresh(&w.manager);
    w.app
        .post(
            &format!("/api/v1/approvals/{id}/approve"),
            &manager.token,
            &json!({}),
        )
        .await
        .problem(409, "approval_already_decided");
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn transfers_by_request_or_by_a_manager_with_the_receivers_quota() {
    let w = world(json!({"max_owned_per_user": 2})).await;
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let path = format!("/api/v1/leads/{lead}/transfer");
    let pending = w
        .app
        .post(
            &path,
            &w.sales.token,
            &json!({"to_user_id": w.other.id, "reason": "他更懂这个行业"}),
        )
        .await;
    assert_eq!(pending.status, 202);
    let id = pending.json()["approval"]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let approved = w
        .app
        .post(
            &format!("/api/v1/approvals/{id}/approve"),
            &w.manager.token,
            &json!({}),
        )
        .await
        .ok(200);
    assert_eq!(approved["status"], "approved");
    let moved = w.lead(lead).await;
    assert_eq!(moved["owner_id"], w.other.id.to_string());
    // The new hold is not "from a pool": no first-follow-up rule, three days without contact.
    assert_eq!(moved["recycle_reason"], "recycled_no_contact");
    let claims = w.claims_of(lead).await;
    assert_eq!(claims[0]["started_how"], "transfer");
    assert_eq!(claims[1]["end_reason"], "transferred");

    // The manager transfers at once; the receiver's quota is checked.
    let back = w
        .app
        .post(&path, &w.manager.token, &json!({"to_user_id": w.sales.id}))
        .await
        .ok(200);
    assert_eq!(back["lead"]["owner_id"], w.sales.id.to_string());
    w.claimed_lead(&w.other).await;
    w.claimed_lead(&w.other).await;
    w.app
        .post(&path, &w.manager.token, &json!({"to_user_id": w.other.id}))
        .await
        .problem(422, "claim_quota_exceeded");
    w.app
        .post(&path, &w.other.token, &json!({"to_user_id": w.other.id}))
        .await
        .problem(404, "not_found");
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn managers_close_leads_salespeople_cannot() {
    let w = world(json!({})).await;
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let path = format!("/api/v1/leads/{lead}/close");
    w.app
        .post(&path, &w.sales.token, &json!({"reason": "spam"}))
        .await
        .problem(403, "forbidden");
    let closed = w
        .app
        .post(&path, &w.manager.token, &json!({"reason": "spam"}))
        .await
        .ok(200);
    assert_eq!(closed["state"], "closed");
    // A closed lead has no owner: out of the manager's sight; an admin is told it is closed.
    w.app
        .post(&path, &w.manager.token, &json!({"reason": "spam"}))
        .await
        .problem(404, "not_found");
    w.app
        .post(&path, &w.app.admin.token, &json!({"reason": "spam"}))
        .await
        .problem(409, "lead_not_open");
    let pooled = w.app.lead(w.pool, json!({"phone": "13700000099"})).await;
    let closed = w
        .app
        .post(
            &format!("/api/v1/leads/{pooled}/close"),
            &w.app.admin.token,
            &json!({"reason": "invalid"}),
        )
        .await
        .ok(200);
    assert_eq!(closed["state"], "closed");
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn two_sweepers_at_once_recycle_each_due_lead_exactly_once() {
    let mut w = world(json!({})).await;
    let people = w.app.quick_users(6, "sales", None);
    let ids: Vec<Uuid> = people.iter().map(|p| p.id).collect();
    w.app
        .patch(
            &format!("/api/v1/pools/{}", w.pool),
            &w.app.admin.token,
            &json!({"member_user_ids": ids}),
        )
        .await
        .ok(200);
    let mut leads = Vec::new();
    for (i, p) in people.iter().cycle().take(60).enumerate() {
        let lead = w
            .app
            .lead(w.pool, json!({"phone": format!("1350000{i:04}")}))
            .await;
        w.app
            .post(&format!("/api/v1/leads/{lead}/claim"), &p.token, &json!({}))
            .await
            .ok(200);
        leads.push(lead);
    }
    w.travel(w.app.clock.now() + Duration::hours(25));
    let reports = join_all((0..3).map(|_| w.sweep())).await;
    let mut all: Vec<String> = reports.iter().flat_map(recycled_ids).collect();
    all.sort();
    let before = all.len();
    all.dedup();
    assert_eq!((before, all.len()), (60, 60));
    let ended = {
        use diesel::prelude::*;
        #[derive(QueryableByName)]
        struct N {
            #[diesel(sql_type = diesel::sql_types::BigInt)]
            n: i64,
        }
        diesel::sql_query(
            "SELECT count(*) AS n FROM claims WHERE end_reason = 'recycled_no_first_follow_up'",
        )
        .get_result::<N>(&mut **w.app.pool.get().unwrap())
        .unwrap()
        .n
    };
    assert_eq!(ended, 60);
    assert_owners_match_claims(&w.app);
}

#[actix_web::test]
async fn the_what_if_shows_what_a_proposal_would_recycle_and_who_would_be_over_quota() {
    let w = world(json!({})).await;
    let (a, _) = w.claimed_lead(&w.sales).await;
    let (b, _) = w.claimed_lead(&w.sales).await;
    let (c, _) = w.claimed_lead(&w.other).await;
    w.follow_up(c, &w.other, json!({"type": "call", "content": "x"}))
        .await
        .ok(201);
    let path = format!("/api/v1/pools/{}/rules/preview", w.pool);
    w.app
        .post(&path, &w.sales.token, &json!({}))
        .await
        .problem(403, "forbidden");
    let preview = w
        .app
        .post(
            &path,
            &w.app.admin.token,
            &json!({"first_follow_up_hours": 1, "max_owned_per_user": 1}),
        )
        .await
        .ok(200);
    // Now: nothing under either; within 24 h: a and b under the proposal (1 h), also under the
    // current rules (24 h, at the edge); c (followed up) only in 3 days.
    assert_eq!(preview["current"]["count_now"], 0);
    assert_eq!(preview["proposed"]["count_within_24h"], 2);
    let ids: Vec<&str> = preview["proposed"]["within_24h"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l["lead_id"].as_str().unwrap())
        .collect();
    assert!(ids.contains(&a.to_string().as_str()) && ids.contains(&b.to_string().as_str()));
    assert_eq!(preview["proposed"]["count_within_7d"], 3);
    assert_eq!(preview["over_quota"].as_array().unwrap().len(), 1);
    assert_eq!(preview["over_quota"][0]["user_id"], w.sales.id.to_string());
    assert_eq!(preview["over_quota"][0]["owned"], 2);
    // Nothing changed.
    let rules = w
        .app
        .get(
            &format!("/api/v1/pools/{}/rules", w.pool),
            &w.app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(rules["version"], 1);
    assert_eq!(rules["rules"]["first_follow_up_hours"], 24);
}

#[actix_web::test]
async fn lost_leads_go_back_or_are_closed_as_the_rules_say_and_the_timeline_tells_it_all() {
    let w = world(json!({"release_requires_approval": false})).await;
    let (lead, _) = w.claimed_lead(&w.sales).await;
    let lost = w
        .follow_up(
            lead,
            &w.sales,
            json!({"type": "call", "content": "客户选了别家", "stage": "lost"}),
        )
        .await
        .ok(201);
    assert_eq!(lost["lead"]["state"], "pooled");
    let claims = w.claims_of(lead).await;
    assert_eq!(claims[0]["end_reason"], "released");
    // The previous owner waits out the cooldown; another takes it.
    w.app
        .post(
            &format!("/api/v1/leads/{lead}/claim"),
            &w.sales.token,
            &json!({}),
        )
        .await
        .problem(422, "reclaim_cooldown");
    w.app
        .post(
            &format!("/api/v1/leads/{lead}/claim"),
            &w.other.token,
            &json!({}),
        )
        .await
        .ok(200);

    w.app
        .json(
            "PUT",
            &format!("/api/v1/pools/{}/rules", w.pool),
            Some(&w.app.admin.token),
            &json!({"release_requires_approval": false, "lost_leads": "close"}),
        )
        .await
        .ok(200);
    // A touch, an edit, a follow-up, a release request, its rejection, then lost for good.
    let now = w.app.clock.now();
    w.app
        .patch(
            &format!("/api/v1/leads/{lead}"),
            &w.other.token,
            &json!({"city": "苏州"}),
        )
        .await
        .ok(200);
    w.follow_up(
        lead,
        &w.other,
        json!({"type": "visit", "content": "上门", "next_follow_up_at": now + Duration::days(1)}),
    )
    .await
    .ok(201);
    let closed = w
        .follow_up(
            lead,
            &w.other,
            json!({"type": "call", "content": "彻底没戏", "stage": "lost"}),
        )
        .await
        .ok(201);
    assert_eq!(closed["lead"]["state"], "closed");
    assert_eq!(closed["lead"]["stage"], "lost");
    let timeline = w.timeline(lead).await;
    let kinds: Vec<&str> = timeline
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(
        kinds,
        [
            "created",
            "claimed",
            "follow_up",
            "claim_ended",
            "claimed",
            "updated",
            "follow_up",
            "follow_up",
            "claim_ended"
        ]
    );
    assert_owners_match_claims(&w.app);
}
