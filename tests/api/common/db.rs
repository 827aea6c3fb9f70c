//! Each test's own database, cloned from a template migrated once per set of migrations.

use std::sync::OnceLock;

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use diesel_migrations::MigrationHarness;
use leadpool::db::{self, quote_ident};
use sha2::{Digest, Sha256};
use uuid::Uuid;

/// The server-level connection tests use to create and drop their databases.
pub fn server_url() -> String {
    static DOTENV: OnceLock<()> = OnceLock::new();
    DOTENV.get_or_init(|| {
        let _ = dotenvy::dotenv();
    });
    std::env::var("LEADPOOL_TEST_DATABASE_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/postgres".into())
}

/// `server_url` with another database name.
pub fn database_url(name: &str) -> String {
    let mut url = url::Url::parse(&server_url()).expect("LEADPOOL_TEST_DATABASE_URL is a URL");
    url.set_path(&format!("/{name}"));
    url.to_string()
}

fn server() -> PgConnection {
    PgConnection::establish(&server_url()).unwrap_or_else(|e| {
        panic!(
            "cannot reach Postgres at {} ({e}); start it (scripts/test does) or set LEADPOOL_TEST_DATABASE_URL",
            server_url()
        )
    })
}

/// The template's name depends on the migrations, so a changed migration gets a fresh template.
fn template_name() -> &'static str {
    static NAME: OnceLock<String> = OnceLock::new();
    NAME.get_or_init(|| {
        let mut hasher = Sha256::new();
        let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations");
        let mut files: Vec<_> = walk(&dir);
        files.sort();
        for file in files {
            hasher.update(file.to_string_lossy().as_bytes());
            hasher.update(std::fs::read(&file).expect("read migration"));
        }
        let digest = hasher.finalize();
        let hex: String = digest.iter().take(6).map(|b| format!("{b:02x}")).collect();
        let name = format!("lp_tmpl_{hex}");
        ensure_template(&name);
        name
    })
}

fn walk(dir: &std::path::Path) -> Vec<std::path::PathBuf> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir)
        .expect("read migrations dir")
        .flatten()
    {
        let path = entry.path();
        if path.is_dir() {
            out.extend(walk(&path));
        } else {
            out.push(path);
        }
    }
    out
}

/// Creates the migrated template once, even with several test processes starting together:
/// built under another name, then renamed, while holding an advisory lock.
fn ensure_template(name: &str) {
    let mut conn = server();
    conn.batch_execute("SELECT pg_advisory_lock(7236814917)")
        .expect("lock");
    let exists: bool = diesel::select(diesel::dsl::sql::<diesel::sql_types::Bool>(&format!(
        "EXISTS (SELECT 1 FROM pg_database WHERE datname = '{name}')"
    )))
    .get_result(&mut conn)
    .expect("query pg_database");
    if !exists {
        let building = format!("{name}_building");
        conn.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {} WITH (FORCE)",
            quote_ident(&building)
        ))
        .expect("drop stale template");
        conn.batch_execute(&format!("CREATE DATABASE {}", quote_ident(&building)))
            .expect("create template");
        {
            let mut template =
                PgConnection::establish(&database_url(&building)).expect("connect template");
            template
                .run_pending_migrations(db::MIGRATIONS)
                .expect("migrate template");
            // As start-up does: the report projection, built (empty) in the tests' time zone.
            leadpool::repo::reports::projector::prepare(&mut template, "Asia/Shanghai")
                .expect("prepare the report projection");
        }
        conn.batch_execute(&format!(
            "ALTER DATABASE {} RENAME TO {}",
            quote_ident(&building),
            quote_ident(name)
        ))
        .expect("rename template");
    }
    // Templates of older migrations are no longer needed (one in use is left alone: no FORCE).
    #[derive(QueryableByName)]
    struct Name {
        #[diesel(sql_type = diesel::sql_types::Text)]
        datname: String,
    }
    let stale: Vec<Name> = diesel::sql_query(format!(
        r"SELECT datname FROM pg_database WHERE datname LIKE 'lp\_tmpl\_%' AND datname <> '{name}'"
    ))
    .load(&mut conn)
    .unwrap_or_default();
    for old in stale {
        let _ = conn.batch_execute(&format!(
            "DROP DATABASE IF EXISTS {}",
            quote_ident(&old.datname)
        ));
    }
    conn.batch_execute("SELECT pg_advisory_unlock(7236814917)")
        .expect("unlock");
}

/// A database of one test's own, dropped when the test ends (pass or fail).
pub struct TestDb {
    pub name: String,
    pub url: String,
}

impl TestDb {
    pub fn new() -> Self {
        let template = template_name();
        let name = format!("lp_test_{}", Uuid::now_v7().simple());
        server()
            .batch_execute(&format!(
                "CREATE DATABASE {} TEMPLATE {}",
                quote_ident(&name),
                quote_ident(template)
            ))
            .expect("clone template");
        let url = database_url(&name);
        Self { name, url }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&server_url()) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                quote_ident(&self.name)
            ));
        }
    }
}
