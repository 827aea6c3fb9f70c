//! The registry of key ids that encrypted data or built blind indexes in this database.

use chrono::{DateTime, Utc};
use diesel::prelude::*;

use crate::crypto::KeyRole;
use crate::db::schema::crypto_keys;

pub fn ids(conn: &mut PgConnection, purpose: KeyRole) -> QueryResult<Vec<Vec<u8>>> {
    crypto_keys::table
        .filter(crypto_keys::purpose.eq(purpose))
        .select(crypto_keys::key_id)
        .load(conn)
}

pub fn register(
    conn: &mut PgConnection,
    purpose: KeyRole,
    key_id: &[u8],
    now: DateTime<Utc>,
) -> QueryResult<()> {
    diesel::insert_into(crypto_keys::table)
        .values((
            crypto_keys::purpose.eq(purpose),
            crypto_keys::key_id.eq(key_id),
            crypto_keys::first_used.eq(now),
        ))
        .on_conflict_do_nothing()
        .execute(conn)
        .map(|_| ())
}
