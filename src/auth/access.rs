//! Whether a signed-in person still has the access their token carries: active, their current
//! role, and a token version at least the one their token was issued at.
//!
//! Each instance keeps these three facts of recent callers in memory, so a request usually costs
//! one map lookup. A change to a user (deactivation, new role, password change, "sign out
//! everywhere") notifies every instance through PostgreSQL (`LISTEN leadpool_access`, sent by a
//! trigger on `users`, received by [`crate::notify`]), and each forgets that user at once; the next
//! request reads the user again. Entries also expire after `LEADPOOL_ACCESS_CACHE_SECS` (5 s), the
//! safety net should a notification be lost; the listener forgets everyone whenever it
//! (re)connects.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::prelude::*;
use uuid::Uuid;

use crate::domain::role::Role;

/// The channel the `users_access_changed` trigger notifies, with the user's id as payload.
pub const CHANNEL: &str = "leadpool_access";

/// More entries than this and the cache starts over (it only ever holds people who called).
const MAX_ENTRIES: usize = 100_000;

/// What a user may do now, as stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Access {
    pub active: bool,
    pub role: Role,
    pub token_version: i32,
}

/// Reads a user's current access; `None` when there is no such user.
pub fn load(conn: &mut PgConnection, id: Uuid) -> QueryResult<Option<Access>> {
    use crate::db::schema::users;
    let row: Option<(bool, String, i32)> = users::table
        .find(id)
        .select((users::active, users::role, users::token_version))
        .first(conn)
        .optional()?;
    Ok(row.and_then(|(active, role, token_version)| {
        Some(Access {
            active,
            role: role.parse().ok()?,
            token_version,
        })
    }))
}

/// The per-instance memory of callers' access.
#[derive(Debug)]
pub struct AccessCache {
    ttl: Duration,
    entries: RwLock<HashMap<Uuid, (Access, Instant)>>,
    /// Moves on every forget: a read that started before one is not remembered.
    epoch: AtomicU64,
}

impl AccessCache {
    /// A cache whose entries live `ttl` (zero: nothing is kept, every request reads the user).
    pub fn new(ttl: Duration) -> Arc<Self> {
        Arc::new(Self {
            ttl,
            entries: RwLock::new(HashMap::new()),
            epoch: AtomicU64::new(0),
        })
    }

    /// The access remembered for `id`, if still fresh.
    pub fn get(&self, id: Uuid) -> Option<Access> {
        let entries = self.entries.read().unwrap_or_else(|e| e.into_inner());
        entries
            .get(&id)
            .filter(|(_, at)| at.elapsed() < self.ttl)
            .map(|(access, _)| *access)
    }

    /// Where forgetting stands: take it before reading a user, give it to [`Self::put`].
    pub fn epoch(&self) -> u64 {
        self.epoch.load(Ordering::SeqCst)
    }

    /// Remembers `access` of `id`, read from the database after [`Self::epoch`] gave `epoch`.
    /// When anything was forgotten since (a change may have crossed the read), it is not kept.
    pub fn put(&self, id: Uuid, access: Access, epoch: u64) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        if self.epoch.load(Ordering::SeqCst) != epoch {
            return;
        }
        if entries.len() >= MAX_ENTRIES {
            entries.clear();
        }
        entries.insert(id, (access, Instant::now()));
    }

    /// Forgets `id` (its access changed).
    pub fn forget(&self, id: Uuid) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.remove(&id);
    }

    /// Forgets everyone (notifications may have been missed).
    pub fn clear(&self) {
        let mut entries = self.entries.write().unwrap_or_else(|e| e.into_inner());
        self.epoch.fetch_add(1, Ordering::SeqCst);
        entries.clear();
    }
}

impl crate::notify::Listener for AccessCache {
    fn channel(&self) -> &'static str {
        CHANNEL
    }

    fn notified(&self, payload: &str) {
        match payload.parse::<Uuid>() {
            Ok(id) => self.forget(id),
            Err(_) => self.clear(),
        }
    }

    fn reset(&self) {
        self.clear();
    }
}
