//! API5: function-level authorization over every operation of the document.

use std::collections::BTreeSet;

use serde_json::Map;
use uuid::Uuid;

use super::{ACCESS, Access, Operation, access_of, call, code, document, operations};
use crate::common::{TestApp, TestUser};

/// API5: the table covers the document exactly, and every admin operation refuses managers and
/// salespeople (every manager operation, salespeople) with 403 before looking at anything else.
#[actix_web::test]
async fn function_level_matrix_every_restricted_operation_refuses_lower_roles() {
    let app = TestApp::spawn_without_jobs().await;
    let doc = document();
    let ops = operations(&doc);
    let documented: BTreeSet<String> = ops.iter().map(Operation::name).collect();
    let listed: BTreeSet<String> = ACCESS.iter().map(|(n, _)| n.to_string()).collect();
    assert_eq!(documented, listed, "ACCESS and the document differ");

    let manager = app.user("manager", None).await;
    let sales = app.user("sales", None).await;
    let mut checked = 0;
    let mut failures = Vec::new();
    for op in &ops {
        let lower: Vec<&TestUser> = match access_of(op) {
            Access::Admin => vec![&manager, &sales],
            Access::Manager => vec![&sales],
            Access::Intake => vec![&app.admin, &manager, &sales],
            Access::Public | Access::Signed => continue,
        };
        for user in lower {
            let res = call(
                &app,
                &doc,
                op,
                Some(&user.token),
                &Uuid::now_v7().to_string(),
                &Map::new(),
            )
            .await;
            let expected = if access_of(op) == Access::Intake {
                (401, "invalid_token".to_string())
            } else {
                (403, "forbidden".to_string())
            };
            if code(&res) != expected {
                failures.push(format!(
                    "{} as {}: {} {}",
                    op.name(),
                    user.email,
                    res.status,
                    String::from_utf8_lossy(&res.body)
                ));
            }
            checked += 1;
        }
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
    assert!(checked >= 40, "only {checked} checks");
}
