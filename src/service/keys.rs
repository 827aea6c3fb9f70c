//! Start-up check that the configured keys can read what the database holds.

use chrono::{DateTime, Utc};
use diesel::PgConnection;

use crate::crypto::{KeyRole, Vault};
use crate::error::AppError;
use crate::repo;

/// Refuses a configuration that could not decrypt stored contact data, or whose blind indexes
/// differ from the ones stored (dedupe and search would silently stop matching). Registers the
/// configured keys otherwise. The message names the setting to fix and never shows a key.
pub fn check_and_register(
    conn: &mut PgConnection,
    vault: &Vault,
    now: DateTime<Utc>,
) -> Result<Result<(), String>, AppError> {
    let index_id = vault.index_key_id();
    let stored_index = repo::crypto_keys::ids(conn, KeyRole::Index)?;
    if let Some(stored) = stored_index.first() {
        if stored.as_slice() != index_id.as_slice() {
            return Ok(Err(format!(
                "LEADPOOL_INDEX_KEY: the blind indexes in this database were made with key id {}, \
                 but this configuration gives key id {}; set LEADPOOL_INDEX_KEY (or LEADPOOL_DATA_OLD_KEYS) \
                 as it was (see README, \"Keys\")",
                hex::encode(stored),
                hex::encode(index_id)
            )));
        }
    }
    let readable: Vec<[u8; 4]> = vault.key_ids();
    let missing: Vec<String> = repo::crypto_keys::ids(conn, KeyRole::Data)?
        .into_iter()
        .filter(|id| !readable.iter().any(|r| r.as_slice() == id.as_slice()))
        .map(hex::encode)
        .collect();
    if !missing.is_empty() {
        return Ok(Err(format!(
            "LEADPOOL_DATA_KEY: contact data in this database was encrypted with key id(s) {}, which \
             neither LEADPOOL_DATA_KEY nor LEADPOOL_DATA_OLD_KEYS provides; without it that data \
             cannot be read",
            missing.join(", ")
        )));
    }
    repo::crypto_keys::register(conn, KeyRole::Index, &index_id, now)?;
    repo::crypto_keys::register(conn, KeyRole::Data, &vault.current_key_id(), now)?;
    Ok(Ok(()))
}
