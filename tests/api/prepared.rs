//! The hot statements written as raw SQL are prepared once per connection and kept
//! (`src/db/prepared.rs`): PostgreSQL lists each once in `pg_prepared_statements` however often it
//! runs, while diesel's plain `sql_query` leaves nothing there.

use diesel::prelude::*;

use crate::common::TestDb;

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = diesel::sql_types::BigInt)]
    n: i64,
}

fn kept(conn: &mut PgConnection, prefix: &str) -> i64 {
    diesel::sql_query(
        "SELECT count(*) AS n FROM pg_prepared_statements WHERE statement LIKE $1 || '%'",
    )
    .bind::<diesel::sql_types::Text, _>(prefix)
    .get_result::<Count>(conn)
    .expect("prepared statements")
    .n
}

#[test]
fn a_claims_rate_counter_is_prepared_once_and_reused() {
    let db = TestDb::new();
    let mut conn = PgConnection::establish(&db.url).expect("connect");
    let user: uuid::Uuid = diesel::sql_query(
        "INSERT INTO users (id, email, name, role, password_hash, created_at, updated_at)
         VALUES (gen_random_uuid(), 'rate@example.com', 'Rate', 'sales', 'x', now(), now())
         RETURNING id",
    )
    .get_result::<IdRow>(&mut conn)
    .expect("a user")
    .id;
    let window = chrono::Utc::now();
    let mut last = 0;
    for _ in 0..7 {
        last = leadpool::repo::action_rate::count_attempt(&mut conn, user, "claim", window)
            .expect("count");
    }
    assert_eq!(last, 7, "every attempt counted");
    assert_eq!(kept(&mut conn, "INSERT INTO action_rate_windows"), 1);
    // The same text through diesel's `sql_query` is parsed every time and never kept.
    for _ in 0..3 {
        diesel::sql_query("SELECT 1 AS n_unkept")
            .execute(&mut conn)
            .expect("select");
    }
    assert_eq!(kept(&mut conn, "SELECT 1 AS n_unkept"), 0);
}

#[derive(QueryableByName)]
struct IdRow {
    #[diesel(sql_type = diesel::sql_types::Uuid)]
    id: uuid::Uuid,
}
