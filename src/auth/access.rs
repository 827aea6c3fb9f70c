//! Whether a signed-in person still has the access their token carries: active, their current
//! role, and a token version at least the one their token was issued at.
//!
//! Each instance keeps these three facts of recent callers in memory, so a request usually costs
//! one map lookup. A change to a user (deactivation, new role, password change, "sign out
//! everywhere") notifies every instance through PostgreSQL (`LISTEN leadpool_access`, sent by a
//! trigger on `users`), and each forgets that user at once; the next request reads the user
//! again. Entries also expire after `LEADPOOL_ACCESS_CACHE_SECS` (5 s), the safety net should a
//! notification be lost; the listener forgets everyone whenever it (re)connects.

use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock, Weak};
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

/// Listens for access changes on its own connection to `database_url` (a direct one: `LISTEN`
/// does not work through PgBouncer in transaction mode) and makes `cache` forget each changed
/// user. Reconnects after a failure (forgetting everyone, as changes may have been missed); stops
/// when the cache is dropped.
pub fn spawn_listener(database_url: String, cache: &Arc<AccessCache>) {
    let cache: Weak<AccessCache> = Arc::downgrade(cache);
    let spawned = std::thread::Builder::new()
        .name("access-listener".into())
        .spawn(move || listen(&database_url, &cache));
    if let Err(e) = spawned {
        log::error!(
            "cannot start the access listener: {e}; access changes apply after the cache expiry"
        );
    }
}

fn listen(database_url: &str, cache: &Weak<AccessCache>) {
    use diesel::connection::SimpleConnection;
    let mut failures = 0u32;
    while cache.strong_count() > 0 {
        let connected = PgConnection::establish(database_url)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                conn.batch_execute(&format!("LISTEN {CHANNEL}"))
                    .map_err(|e| e.to_string())?;
                Ok(conn)
            });
        let mut conn = match connected {
            Ok(conn) => conn,
            Err(e) => {
                failures += 1;
                if failures == 1 || failures % 60 == 0 {
                    log::warn!("access listener cannot connect ({e}); retrying");
                }
                std::thread::sleep(Duration::from_secs(1));
                continue;
            }
        };
        failures = 0;
        let Some(live) = cache.upgrade() else { return };
        live.clear();
        drop(live);
        let mut last_check = Instant::now();
        'connected: loop {
            let Some(live) = cache.upgrade() else { return };
            for note in conn.notifications_iter() {
                match note {
                    Ok(note) => match note.payload.parse::<Uuid>() {
                        Ok(id) => live.forget(id),
                        Err(_) => live.clear(),
                    },
                    Err(e) => {
                        log::warn!("access listener lost its connection ({e}); reconnecting");
                        break 'connected;
                    }
                }
            }
            drop(live);
            // A connection that died quietly shows on the next statement.
            if last_check.elapsed() > Duration::from_secs(5) {
                if let Err(e) = conn.batch_execute("SELECT 1") {
                    log::warn!("access listener lost its connection ({e}); reconnecting");
                    break 'connected;
                }
                last_check = Instant::now();
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        if let Some(live) = cache.upgrade() {
            live.clear();
        }
    }
}
