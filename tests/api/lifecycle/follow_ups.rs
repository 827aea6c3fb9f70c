//! Follow-ups: validation, the direction of stages and corrections, the recycle clock they move,
//! and where won and lost leads go.

use chrono::Duration;
use leadpool::clock::Clock;
use serde_json::json;

use super::{at, world};
use crate::claims::assert_owners_match_claims;

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
    // The lead stays with the person who won it: their customer (see lifecycle::customers).
    assert_eq!(won["lead"]["owner_id"], w.sales.id.to_string());
    let claims = w.claims_of(lead).await;
    assert_eq!(claims[0]["end_reason"], "converted");
    w.follow_up(lead, &w.other, json!({"type": "call", "content": "x"}))
        .await
        .problem(404, "not_found");
    assert_owners_match_claims(&w.app);
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
