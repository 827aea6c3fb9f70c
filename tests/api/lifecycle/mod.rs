//! The lead lifecycle: follow-ups and stages, the recycle rules at their exact boundaries, the
//! sweep (also two at once), warnings, the agenda, release, transfer, approvals, close, what-if.
//! Here: the world every lifecycle test starts from, and its helpers.

mod agenda;
mod approvals;
mod bulk;
mod close;
mod customers;
mod departures;
mod follow_ups;
mod recycle;

use chrono::{DateTime, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

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
