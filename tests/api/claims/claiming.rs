//! Claiming a pooled lead: the masked pool view, the claim record and its explained refusals, a
//! hundred claims racing for one lead, and the guard against owners without a claim record.

use futures_util::future::join_all;
use serde_json::json;
use uuid::Uuid;

use super::{assert_owners_match_claims, claim, count, reasons};
use crate::common::TestApp;

#[actix_web::test]
async fn a_claim_takes_a_pooled_lead_records_it_and_reveals_it_to_the_new_owner_only() {
    let app = TestApp::spawn().await;
    let team = app.team("East", None).await;
    let a = app.user("sales", Some(team)).await;
    let b = app.user("sales", Some(team)).await;
    let outsider = app.user("sales", None).await;
    let pool = app.pool("East pool", true, &[team], &[]).await;
    let lead = app
        .lead(
            pool,
            json!({"name": "张伟", "company": "星辰科技", "phone": "138 1234 5678",
                   "email": "Zhang.Wei@Example.com", "wechat": "wxid_abc123", "grade": "B"}),
        )
        .await;

    // Members browse the pool with contact data masked.
    let page = app
        .get(&format!("/api/v1/pools/{pool}/leads"), &a.token)
        .await;
    let body = String::from_utf8_lossy(&page.body).to_string();
    let page = page.ok(200);
    let item = &page["items"][0];
    assert_eq!(item["id"], lead.to_string());
    assert_eq!(item["phone"], "138****5678");
    assert_eq!(item["email"], "z***@example.com");
    assert_eq!(item["wechat"], "w***3");
    assert_eq!(item["company"], "星辰科技");
    for secret in ["13812345678", "zhang.wei", "wxid_abc123"] {
        assert!(!body.contains(secret), "{secret} leaked: {body}");
    }
    app.get(&format!("/api/v1/pools/{pool}/leads"), &outsider.token)
        .await
        .problem(404, "not_found");
    claim(&app, lead, &outsider).await.problem(404, "not_found");
    // A pooled lead is not one of a salesperson's leads.
    app.get(&format!("/api/v1/leads/{lead}"), &a.token)
        .await
        .problem(404, "not_found");

    let taken = claim(&app, lead, &a).await.ok(200);
    assert_eq!(taken["lead"]["state"], "owned");
    assert_eq!(taken["lead"]["stage"], "new");
    assert_eq!(taken["lead"]["owner_id"], a.id.to_string());
    assert_eq!(taken["lead"]["phone"], "+8613812345678");
    assert_eq!(taken["claim"]["started_how"], "self_claim");
    assert_eq!(taken["claim"]["active"], true);
    assert_eq!(taken["claim"]["user_id"], a.id.to_string());
    let full = app
        .get(&format!("/api/v1/leads/{lead}"), &a.token)
        .await
        .ok(200);
    assert_eq!(full["email"], "zhang.wei@example.com");
    let page = app
        .get(&format!("/api/v1/pools/{pool}/leads"), &b.token)
        .await
        .ok(200);
    assert_eq!(page["items"], json!([]));

    // The loser learns nothing about a colleague's lead: it answers like an id no lead has, and
    // no decision is stored for the attempt.
    claim(&app, lead, &b).await.problem(404, "not_found");
    let none = app
        .get("/api/v1/claim-decisions?outcome=refused", &b.token)
        .await
        .ok(200);
    assert_eq!(none["items"], json!([]));
    // The holder, who may read the lead, is told it is taken, with the stored explanation.
    let refused = claim(&app, lead, &a)
        .await
        .problem(409, "lead_already_claimed");
    assert_eq!(reasons(&refused["explanation"][0]), ["already_claimed"]);
    let decision_id = refused["decision_id"].as_str().unwrap();
    let decision = app
        .get(&format!("/api/v1/claim-decisions/{decision_id}"), &a.token)
        .await
        .ok(200);
    assert_eq!(decision["outcome"], "refused");
    assert_eq!(decision["code"], "lead_already_claimed");
    assert_eq!(decision["kind"], "claim");
    app.get(&format!("/api/v1/claim-decisions/{decision_id}"), &b.token)
        .await
        .problem(404, "not_found");
    app.get(
        &format!("/api/v1/claim-decisions/{decision_id}"),
        &app.admin.token,
    )
    .await
    .ok(200);
    let mine = app
        .get("/api/v1/claim-decisions?outcome=refused", &a.token)
        .await
        .ok(200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    app.get(
        &format!("/api/v1/claim-decisions?user_id={}", a.id),
        &b.token,
    )
    .await
    .problem(403, "forbidden");

    // The record: on the timeline, in the claim list (scoped), in the audit trail.
    let timeline = app
        .get(&format!("/api/v1/leads/{lead}/timeline"), &a.token)
        .await
        .ok(200);
    let kinds: Vec<&str> = timeline["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["kind"].as_str().unwrap())
        .collect();
    assert_eq!(kinds, ["created", "claimed"]);
    let claims = app.get("/api/v1/claims", &a.token).await.ok(200);
    assert_eq!(claims["items"].as_array().unwrap().len(), 1);
    assert_eq!(claims["items"][0]["lead_id"], lead.to_string());
    let none = app.get("/api/v1/claims", &b.token).await.ok(200);
    assert_eq!(none["items"], json!([]));
    let open = app
        .get(
            &format!("/api/v1/claims?lead_id={lead}&active=true"),
            &app.admin.token,
        )
        .await
        .ok(200);
    assert_eq!(open["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM audit_log WHERE action = 'lead.claimed' AND lead_id = '{lead}'"
            )
        ),
        1
    );
    assert_owners_match_claims(&app);
}

#[actix_web::test]
async fn of_a_hundred_parallel_claims_on_one_lead_exactly_one_wins() {
    let app = TestApp::spawn().await;
    let team = app.team("Crowd", None).await;
    let people = app.quick_users(100, "sales", Some(team));
    let pool = app.pool("Crowded", true, &[team], &[]).await;
    let lead = app.lead(pool, json!({"phone": "13900000001"})).await;
    let answers = join_all(people.iter().map(|p| claim(&app, lead, p))).await;
    let won = answers.iter().filter(|r| r.status == 200).count();
    assert_eq!(won, 1);
    // A loser that read the lead while it was pooled lost the race (409); one that read it after
    // the winner took it is answered like an unknown id (404).
    let mut lost_races = 0;
    for answer in answers.iter().filter(|r| r.status != 200) {
        if answer.status == 404 {
            answer.problem(404, "not_found");
        } else {
            answer.problem(409, "lead_already_claimed");
            lost_races += 1;
        }
    }
    assert_eq!(
        count(
            &app,
            &format!("SELECT count(*) FROM claims WHERE lead_id = '{lead}'")
        ),
        1
    );
    assert_eq!(
        count(
            &app,
            &format!(
                "SELECT count(*) FROM claim_decisions WHERE lead_id = '{lead}' AND outcome = 'refused'"
            )
        ),
        lost_races,
        "a decision is stored for each lost race, none for a lead already out of the pool"
    );
    assert_owners_match_claims(&app);
}

#[actix_web::test]
async fn no_owner_changes_without_a_claim_record_whatever_the_path() {
    use diesel::connection::SimpleConnection;
    let app = TestApp::spawn().await;
    let me = app.user("sales", None).await;
    let pool = app.pool("Guarded", true, &[], &[me.id]).await;
    let lead = app.lead(pool, json!({"phone": "13100000000"})).await;
    let mut conn = app.pool.get().unwrap();
    // An owner set by hand, without a claim record: refused at commit.
    let err = conn
        .batch_execute(&format!(
            "UPDATE leads SET state = 'owned', stage = 'new', owner_id = '{}' WHERE id = '{lead}'",
            me.id
        ))
        .unwrap_err();
    assert!(err.to_string().contains("open claim"), "{err}");
    // A claim record without the owner: refused too.
    let err = conn
        .batch_execute(&format!(
            "INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how)
             VALUES ('{}', '{lead}', '{pool}', '{}', now(), current_date, 'self_claim')",
            Uuid::now_v7(),
            me.id
        ))
        .unwrap_err();
    assert!(err.to_string().contains("open claim"), "{err}");
    // Two open claims for one lead cannot exist.
    claim(&app, lead, &me).await.ok(200);
    let err = conn
        .batch_execute(&format!(
            "INSERT INTO claims (id, lead_id, pool_id, user_id, started_at, started_day, started_how)
             VALUES ('{}', '{lead}', '{pool}', '{}', now(), current_date, 'self_claim')",
            Uuid::now_v7(),
            me.id
        ))
        .unwrap_err();
    assert!(
        err.to_string().contains("claims_one_open_per_lead"),
        "{err}"
    );
    // The audit trail cannot be rewritten.
    let err = conn.batch_execute("DELETE FROM audit_log").unwrap_err();
    assert!(err.to_string().contains("append-only"), "{err}");
    assert_owners_match_claims(&app);
}
