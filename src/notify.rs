//! PostgreSQL notifications to this instance: one thread holds one session that `LISTEN`s on
//! the channels the in-memory caches need (access changes, lead field definitions) and tells each
//! cache what changed. A session through PgBouncer in transaction mode cannot `LISTEN`, so it
//! uses `DATABASE_MIGRATION_URL` (a direct connection) when that is set.
//!
//! Notifications are lost while the session is away, so whenever it (re)connects every cache
//! forgets everything; each cache also expires its entries after a few seconds, the safety net
//! should the session die quietly.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::pg::PgConnection;
use diesel::prelude::*;

/// A cache that listens: the channel it is told about, and what to do.
pub trait Listener: Send + Sync {
    /// The channel (a plain identifier).
    fn channel(&self) -> &'static str;
    /// A notification on the channel arrived, with its payload.
    fn notified(&self, payload: &str);
    /// Notifications may have been missed: forget everything.
    fn reset(&self);
}

/// Starts the listening thread for `listeners`; it stops when every listener is dropped.
pub fn spawn(database_url: String, listeners: Vec<Weak<dyn Listener>>) {
    let spawned = std::thread::Builder::new()
        .name("pg-listener".into())
        .spawn(move || listen(&database_url, &listeners));
    if let Err(e) = spawned {
        log::error!(
            "cannot start the notification listener: {e}; cached access and field definitions apply changes only when they expire"
        );
    }
}

fn alive(listeners: &[Weak<dyn Listener>]) -> Vec<Arc<dyn Listener>> {
    listeners.iter().filter_map(Weak::upgrade).collect()
}

fn listen(database_url: &str, listeners: &[Weak<dyn Listener>]) {
    let mut failures = 0u32;
    loop {
        let live = alive(listeners);
        if live.is_empty() {
            return;
        }
        let statement: String = live
            .iter()
            .map(|l| format!("LISTEN {};", l.channel()))
            .collect();
        drop(live);
        let connected = PgConnection::establish(database_url)
            .map_err(|e| e.to_string())
            .and_then(|mut conn| {
                conn.batch_execute(&statement).map_err(|e| e.to_string())?;
                Ok(conn)
            });
        let mut conn = match connected {
            Ok(conn) => conn,
            Err(e) => {
                failures += 1;
                if failures == 1 || failures % 60 == 0 {
                    log::warn!("notification listener cannot connect ({e}); retrying");
                }
                // Back off up to 30 s: a database that is gone for good costs little.
                std::thread::sleep(Duration::from_secs(u64::from(failures.min(30))));
                continue;
            }
        };
        failures = 0;
        for l in alive(listeners) {
            l.reset();
        }
        serve(&mut conn, listeners);
        for l in alive(listeners) {
            l.reset();
        }
    }
}

/// Dispatches notifications until the session breaks or every listener is gone.
fn serve(conn: &mut PgConnection, listeners: &[Weak<dyn Listener>]) {
    let mut last_check = Instant::now();
    loop {
        let live = alive(listeners);
        if live.is_empty() {
            return;
        }
        for note in conn.notifications_iter() {
            match note {
                Ok(note) => {
                    for l in live.iter().filter(|l| l.channel() == note.channel) {
                        l.notified(&note.payload);
                    }
                }
                Err(e) => {
                    log::warn!("notification listener lost its session ({e}); reconnecting");
                    return;
                }
            }
        }
        drop(live);
        // A session that died quietly shows on the next statement.
        if last_check.elapsed() > Duration::from_secs(5) {
            if let Err(e) = conn.batch_execute("SELECT 1") {
                log::warn!("notification listener lost its session ({e}); reconnecting");
                return;
            }
            last_check = Instant::now();
        }
        std::thread::sleep(Duration::from_millis(20));
    }
}
