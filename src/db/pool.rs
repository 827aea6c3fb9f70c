//! The connection pool's manager: diesel's, except that a connection handed back moments ago is
//! handed out again without a `SELECT 1` first.
//!
//! r2d2 tests every connection it hands out (`test_on_check_out`), which under load is one more
//! round trip in front of every request (a named claim is otherwise two or three statements). A
//! connection that came back less than [`FRESH`] ago, from work that did not fail, was talking to
//! the server then; any older one, or one whose last work failed, is tested as before, so after a
//! database restart or a killed backend no stale connection is trusted.

use std::ops::{Deref, DerefMut};
use std::time::{Duration, Instant};

use diesel::pg::PgConnection;
use diesel::r2d2::{ConnectionManager, Error, ManageConnection};

/// How recently a connection must have come back, from work that succeeded, to skip its test.
pub const FRESH: Duration = Duration::from_secs(1);

/// A pooled PostgreSQL connection and when it last came back from work that succeeded.
pub struct Conn {
    pg: PgConnection,
    returned: Option<Instant>,
    /// False once work on it failed (until it is tested again).
    trusted: bool,
}

impl Conn {
    /// Tests the connection at its next checkout whatever its age (its last work failed, which
    /// may mean the server went away).
    pub fn distrust(&mut self) {
        self.trusted = false;
    }
}

impl Deref for Conn {
    type Target = PgConnection;
    fn deref(&self) -> &PgConnection {
        &self.pg
    }
}

impl DerefMut for Conn {
    fn deref_mut(&mut self) -> &mut PgConnection {
        &mut self.pg
    }
}

/// [`ConnectionManager`] with the freshness rule above.
pub struct Manager(ConnectionManager<PgConnection>);

impl Manager {
    pub fn new(database_url: &str) -> Self {
        Manager(ConnectionManager::new(database_url))
    }
}

impl ManageConnection for Manager {
    type Connection = Conn;
    type Error = Error;

    fn connect(&self) -> Result<Conn, Error> {
        Ok(Conn {
            pg: self.0.connect()?,
            returned: None,
            trusted: true,
        })
    }

    fn is_valid(&self, conn: &mut Conn) -> Result<(), Error> {
        let fresh = conn.trusted && conn.returned.is_some_and(|at| at.elapsed() < FRESH);
        if !fresh {
            self.0.is_valid(&mut conn.pg)?;
        }
        conn.trusted = true;
        Ok(())
    }

    fn has_broken(&self, conn: &mut Conn) -> bool {
        conn.returned = Some(Instant::now());
        self.0.has_broken(&mut conn.pg)
    }
}
