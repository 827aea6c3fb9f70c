//! The pool engine: the masked pool view, first-come claims and their quotas, capability tiers,
//! manager assignment, claim records and explained refusals.
//! Here: the helpers the claim tests share, and the owner/claim invariant other suites check too.

mod assign;
mod claiming;
mod quotas;
mod tiers;

use serde_json::{Value, json};
use uuid::Uuid;

use crate::common::{TestApp, TestUser};

async fn set_rules(app: &TestApp, pool: Uuid, rules: Value) -> Value {
    app.json(
        "PUT",
        &format!("/api/v1/pools/{pool}/rules"),
        Some(&app.admin.token),
        &rules,
    )
    .await
    .ok(200)
}

async fn claim(app: &TestApp, lead: Uuid, user: &TestUser) -> crate::common::Response {
    app.post(
        &format!("/api/v1/leads/{lead}/claim"),
        &user.token,
        &json!({}),
    )
    .await
}

fn count(app: &TestApp, sql: &str) -> i64 {
    use diesel::prelude::*;
    #[derive(QueryableByName)]
    struct N {
        #[diesel(sql_type = diesel::sql_types::BigInt)]
        n: i64,
    }
    let mut conn = app.pool.get().unwrap();
    diesel::sql_query(format!("SELECT ({sql})::bigint AS n"))
        .get_result::<N>(&mut **conn)
        .unwrap()
        .n
}

fn reasons(candidate: &Value) -> Vec<String> {
    candidate["reasons"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r.as_str().unwrap().to_string())
        .collect()
}

/// Every owned lead has exactly one open claim, for its owner, and no other lead has one.
pub fn assert_owners_match_claims(app: &TestApp) {
    let broken = count(
        app,
        "SELECT count(*) FROM leads l FULL JOIN (SELECT * FROM claims WHERE ended_at IS NULL) c
           ON c.lead_id = l.id
         -- A customer (converted) keeps its owner with no open claim.
         WHERE CASE WHEN l.state = 'converted' THEN c.user_id IS NOT NULL
                    ELSE l.owner_id IS DISTINCT FROM c.user_id END",
    );
    assert_eq!(broken, 0, "owners and open claims disagree");
}
