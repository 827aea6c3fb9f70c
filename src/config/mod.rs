//! Settings from the environment (and `.env` via dotenvy, loaded by `main`).
//!
//! Every setting has a default that lets the service start on a developer machine. A bad value
//! stops start-up with one line naming the setting; secret values are never printed.

use std::collections::HashMap;
use std::fmt;
use std::net::{SocketAddr, ToSocketAddrs};

use std::path::PathBuf;

use chrono::Duration;
use chrono_tz::Tz;

use crate::crypto::{Key, Vault};

pub const DEFAULT_DATABASE_URL: &str = "postgres://postgres@127.0.0.1:5432/leadpool";
pub const DEFAULT_BIND: &str = "127.0.0.1:8080";
pub const MIN_JWT_SECRET_BYTES: usize = 32;

/// A value that must never reach a log line or an error message.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

/// The first administrator, created on start-up when the users table is empty.
#[derive(Debug, Clone)]
pub struct BootstrapAdmin {
    pub email: String,
    pub password: Secret,
}

/// Everything the service reads from its environment.
#[derive(Debug, Clone)]
pub struct Config {
    /// Connection string; may contain a password, so it is only shown redacted.
    pub database_url: Secret,
    pub bind: SocketAddr,
    pub jwt_secret: Secret,
    /// True when no secret was configured and a random one was generated for this process.
    pub jwt_secret_generated: bool,
    pub access_token_ttl: Duration,
    pub refresh_token_ttl: Duration,
    pub timezone: Tz,
    pub admin: Option<BootstrapAdmin>,
    pub db_pool_size: u32,
    /// How long a request waits for a database connection before answering 503.
    pub db_timeout: std::time::Duration,
    /// Largest accepted JSON request body.
    pub max_body_bytes: usize,
    /// How long a client has to send a request's head, and a JSON body in whole (or, for an
    /// upload, each part of it): past it 408 and the connection is closed.
    pub client_timeout: std::time::Duration,
    /// Largest accepted CSV upload.
    pub max_import_bytes: usize,
    /// Rows an import processes per transaction.
    pub import_chunk_rows: usize,
    /// How often background jobs look for work.
    pub job_interval: std::time::Duration,
    /// How often the recycle sweep runs (`LEADPOOL_SWEEP_INTERVAL_SECS`).
    pub sweep_interval: std::time::Duration,
    /// Pause between full sweep batches, as a multiple of the batch's time
    /// (`LEADPOOL_SWEEP_PAUSE_PERCENT` / 100).
    pub sweep_pause_factor: f64,
    /// Workers that drain one sweep side by side (`LEADPOOL_SWEEP_WORKERS`).
    pub sweep_workers: usize,
    /// Leads the sweep recycles per transaction (`LEADPOOL_SWEEP_BATCH`): smaller batches hold
    /// the rows they touch for less time.
    pub sweep_batch: i64,
    /// How long an instance trusts what it read of a caller's access (`LEADPOOL_ACCESS_CACHE_SECS`;
    /// changes are pushed to every instance at once, this is the safety net).
    pub access_cache_ttl: std::time::Duration,
    /// How long `POST /admin/sweep` waits for its drain before answering 202 with the progress
    /// (`LEADPOOL_SWEEP_ANSWER_MS`).
    pub sweep_answer_within: std::time::Duration,
    /// How often the report projection folds what was committed since it last did
    /// (`LEADPOOL_PROJECTOR_INTERVAL_MS`).
    pub projector_interval: std::time::Duration,
    /// How often computed tiers are recomputed from the tier policy (`LEADPOOL_TIER_RECOMPUTE_SECS`).
    pub tier_recompute_interval: std::time::Duration,
    /// Failed sign-ins of one account from one client address within `login_block` before that
    /// account's sign-ins from that address are delayed (`LEADPOOL_LOGIN_MAX_FAILURES`): 1 s, then
    /// twice as long with each further failure, up to `login_block`.
    pub login_max_failures: i32,
    /// The same for all failures from one client address (`LEADPOOL_LOGIN_MAX_FAILURES_PER_ADDRESS`);
    /// higher, as an office shares one address. An address's delay does not hold back an account
    /// with no failures of its own from there.
    pub login_max_failures_per_address: i32,
    /// The window failures are counted in, and the longest delay (`LEADPOOL_LOGIN_BLOCK_SECS`).
    pub login_block_secs: i32,
    /// Proxies whose `X-Forwarded-For` names the client (`LEADPOOL_TRUSTED_PROXIES`: addresses or
    /// CIDR ranges, comma-separated). From anyone else the header is ignored.
    pub trusted_proxies: Vec<ipnet::IpNet>,
    /// Claim attempts (claims and next-lead) one person may make in a minute
    /// (`LEADPOOL_CLAIM_ATTEMPTS_PER_MINUTE`); past it, 429 with `Retry-After`.
    pub claim_attempts_per_minute: i32,
    /// When set, `GET /metrics` wants `Authorization: Bearer <this>` (`LEADPOOL_METRICS_TOKEN`).
    pub metrics_token: Option<Secret>,
    /// A read replica for reports, listings and exports (`DATABASE_READ_URL`); `None`: the
    /// primary serves them too.
    pub database_read_url: Option<Secret>,
    /// Whether connections keep prepared statements (`LEADPOOL_DB_STATEMENT_CACHE`, default on);
    /// off behind PgBouncer in transaction mode.
    pub db_statement_cache: bool,
    /// A direct connection for the start-up work (migrations under a session lock) when
    /// `DATABASE_URL` goes through PgBouncer in transaction mode (`DATABASE_MIGRATION_URL`).
    pub database_migration_url: Option<Secret>,
    /// Origins whose browser pages may call the API (`LEADPOOL_CORS_ORIGINS`, comma-separated, e.g.
    /// `https://crm.example.com`); none by default. Never `*`.
    pub cors_origins: Vec<String>,
    /// Encrypts contact data. `from_env` always sets it (from a development key file if need be).
    pub data_key: Option<Key>,
    /// Earlier data keys, for reading values encrypted before a rotation (newest first).
    pub data_old_keys: Vec<Key>,
    /// Keys the blind indexes; when unset, derived from the first data key ever used (the last of
    /// `data_old_keys`, else `data_key`).
    pub index_key: Option<Key>,
    /// Where a development data key is kept when `LEADPOOL_DATA_KEY` is not set.
    pub data_key_file: PathBuf,
    /// Set when the data key came from (or was written to) `data_key_file`.
    pub data_key_from_file: bool,
}

/// A setting that could not be used; `Display` is the one-line start-up message.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ConfigError {
    pub setting: &'static str,
    pub problem: String,
}

impl fmt::Display for ConfigError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.setting, self.problem)
    }
}

impl std::error::Error for ConfigError {}

/// An origin as browsers send it (`https://crm.example.com`, `http://localhost:5173`), in the
/// form they send it: lower-case scheme and host, no path, no trailing slash, no wildcard.
fn cors_origin(text: &str) -> Option<String> {
    let url = url::Url::parse(text).ok()?;
    let origin = url.origin().ascii_serialization();
    (matches!(url.scheme(), "http" | "https")
        && !text.contains('*')
        && origin == text.to_ascii_lowercase())
    .then_some(origin)
}

fn bad(setting: &'static str, problem: impl Into<String>) -> ConfigError {
    ConfigError {
        setting,
        problem: problem.into(),
    }
}

impl Config {
    /// Reads the process environment. Without `LEADPOOL_DATA_KEY`, the development key in
    /// `LEADPOOL_DATA_KEY_FILE` is used, and created on first start, so that stored data stays
    /// readable across restarts.
    pub fn from_env() -> Result<Self, ConfigError> {
        let vars: HashMap<String, String> = std::env::vars().collect();
        let mut config = Self::from_vars(&vars)?;
        if config.data_key.is_none() {
            config.data_key = Some(load_or_create_key_file(&config.data_key_file)?);
            config.data_key_from_file = true;
        }
        Ok(config)
    }

    /// The contact-data vault these settings describe.
    pub fn vault(&self) -> Result<Vault, ConfigError> {
        let current = self
            .data_key
            .clone()
            .ok_or_else(|| bad("LEADPOOL_DATA_KEY", "is not set"))?;
        let index = match &self.index_key {
            Some(key) => key.clone(),
            None => self
                .data_old_keys
                .last()
                .unwrap_or(&current)
                .derive("leadpool blind index v1"),
        };
        Ok(Vault::new(current, self.data_old_keys.clone(), index))
    }

    /// Reads settings from a map (the environment, or a test's own values).
    pub fn from_vars(vars: &HashMap<String, String>) -> Result<Self, ConfigError> {
        let get = |name: &str| {
            vars.get(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        // Secrets are taken exactly as given: trimming would silently change a password.
        let secret = |name: &str| vars.get(name).filter(|v| !v.is_empty()).cloned();

        let database_url = get("DATABASE_URL").unwrap_or_else(|| DEFAULT_DATABASE_URL.into());
        let parsed = url::Url::parse(&database_url)
            .map_err(|e| bad("DATABASE_URL", format!("not a valid URL ({e})")))?;
        if !matches!(parsed.scheme(), "postgres" | "postgresql") {
            return Err(bad(
                "DATABASE_URL",
                "must start with postgres:// or postgresql://",
            ));
        }
        if parsed.path().trim_start_matches('/').is_empty() {
            return Err(bad("DATABASE_URL", "must name a database, e.g. /leadpool"));
        }

        let bind_text = get("LEADPOOL_BIND").unwrap_or_else(|| DEFAULT_BIND.into());
        let bind = bind_text
            .to_socket_addrs()
            .ok()
            .and_then(|mut addrs| addrs.next())
            .ok_or_else(|| {
                bad(
                    "LEADPOOL_BIND",
                    format!("expected host:port, e.g. 127.0.0.1:8080, got {bind_text:?}"),
                )
            })?;

        let (jwt_secret, jwt_secret_generated) = match secret("LEADPOOL_JWT_SECRET") {
            Some(secret) if secret.len() < MIN_JWT_SECRET_BYTES => {
                return Err(bad(
                    "LEADPOOL_JWT_SECRET",
                    format!(
                        "must be at least {MIN_JWT_SECRET_BYTES} bytes (it has {})",
                        secret.len()
                    ),
                ));
            }
            Some(secret) => (Secret::new(secret), false),
            None => (Secret::new(random_secret()), true),
        };

        let access_token_ttl = seconds(
            &get,
            "LEADPOOL_ACCESS_TOKEN_TTL_SECS",
            15 * 60,
            60..=24 * 3600,
        )?;
        let refresh_token_ttl = seconds(
            &get,
            "LEADPOOL_REFRESH_TOKEN_TTL_SECS",
            14 * 24 * 3600,
            300..=365 * 24 * 3600,
        )?;
        if refresh_token_ttl <= access_token_ttl {
            return Err(bad(
                "LEADPOOL_REFRESH_TOKEN_TTL_SECS",
                "must be longer than LEADPOOL_ACCESS_TOKEN_TTL_SECS",
            ));
        }

        let tz_text = get("LEADPOOL_TIMEZONE").unwrap_or_else(|| "Asia/Shanghai".into());
        let timezone: Tz = tz_text.parse().map_err(|_| {
            bad(
                "LEADPOOL_TIMEZONE",
                format!("unknown IANA time zone {tz_text:?} (e.g. Asia/Shanghai)"),
            )
        })?;

        let admin = match (
            get("LEADPOOL_ADMIN_EMAIL"),
            secret("LEADPOOL_ADMIN_PASSWORD"),
        ) {
            (Some(email), Some(password)) => {
                let email = crate::domain::email::Email::parse(&email)
                    .map_err(|_| bad("LEADPOOL_ADMIN_EMAIL", "not a valid email address"))?;
                crate::domain::password::check_policy(&password)
                    .map_err(|problem| bad("LEADPOOL_ADMIN_PASSWORD", problem))?;
                Some(BootstrapAdmin {
                    email: email.into_inner(),
                    password: Secret::new(password),
                })
            }
            (Some(_), None) => {
                return Err(bad(
                    "LEADPOOL_ADMIN_PASSWORD",
                    "must be set together with LEADPOOL_ADMIN_EMAIL",
                ));
            }
            (None, Some(_)) => {
                return Err(bad(
                    "LEADPOOL_ADMIN_EMAIL",
                    "must be set together with LEADPOOL_ADMIN_PASSWORD",
                ));
            }
            (None, None) => None,
        };

        let db_pool_size = integer(&get, "LEADPOOL_DB_POOL_SIZE", 10, 1..=200)? as u32;
        let db_timeout_ms = integer(&get, "LEADPOOL_DB_TIMEOUT_MS", 5000, 100..=60_000)?;
        let max_body_bytes =
            integer(&get, "LEADPOOL_MAX_BODY_BYTES", 1 << 20, 1024..=64 << 20)? as usize;
        let client_timeout_secs = integer(&get, "LEADPOOL_CLIENT_TIMEOUT_SECS", 30, 1..=3600)?;

        let max_import_bytes =
            integer(&get, "LEADPOOL_MAX_IMPORT_BYTES", 200 << 20, 1024..=2 << 30)? as usize;
        let import_chunk_rows =
            integer(&get, "LEADPOOL_IMPORT_CHUNK_ROWS", 2000, 1..=50_000)? as usize;
        let job_interval_ms = integer(&get, "LEADPOOL_JOB_INTERVAL_MS", 1000, 10..=3_600_000)?;
        let sweep_secs = integer(&get, "LEADPOOL_SWEEP_INTERVAL_SECS", 60, 1..=86_400)?;
        let sweep_pause_percent = integer(&get, "LEADPOOL_SWEEP_PAUSE_PERCENT", 0, 0..=10_000)?;
        let sweep_batch = integer(&get, "LEADPOOL_SWEEP_BATCH", 500, 1..=10_000)?;
        let sweep_workers = integer(&get, "LEADPOOL_SWEEP_WORKERS", 1, 1..=16)? as usize;
        let tier_recompute_secs =
            integer(&get, "LEADPOOL_TIER_RECOMPUTE_SECS", 3600, 1..=7 * 86_400)?;
        let sweep_answer_ms = integer(&get, "LEADPOOL_SWEEP_ANSWER_MS", 2000, 0..=60_000)?;
        let access_cache_secs = integer(&get, "LEADPOOL_ACCESS_CACHE_SECS", 5, 0..=60)?;
        let projector_interval_ms =
            integer(&get, "LEADPOOL_PROJECTOR_INTERVAL_MS", 1000, 10..=60_000)?;
        let login_max_failures = integer(&get, "LEADPOOL_LOGIN_MAX_FAILURES", 5, 1..=1000)? as i32;
        let login_max_failures_per_address = integer(
            &get,
            "LEADPOOL_LOGIN_MAX_FAILURES_PER_ADDRESS",
            50,
            1..=100_000,
        )? as i32;
        let login_block_secs = integer(&get, "LEADPOOL_LOGIN_BLOCK_SECS", 900, 1..=86_400)? as i32;
        let trusted_proxies = get("LEADPOOL_TRUSTED_PROXIES")
            .map(|list| parse_networks(&list))
            .transpose()
            .map_err(|problem| bad("LEADPOOL_TRUSTED_PROXIES", problem))?
            .unwrap_or_default();
        let metrics_token = secret("LEADPOOL_METRICS_TOKEN").map(Secret::new);
        let database_read_url = secret("DATABASE_READ_URL").map(Secret::new);
        let database_migration_url = secret("DATABASE_MIGRATION_URL").map(Secret::new);
        let db_statement_cache = match get("LEADPOOL_DB_STATEMENT_CACHE").as_deref() {
            None | Some("on") => true,
            Some("off") => false,
            Some(other) => {
                return Err(bad(
                    "LEADPOOL_DB_STATEMENT_CACHE",
                    format!("expected on or off, got {other:?}"),
                ));
            }
        };
        let claim_attempts_per_minute = integer(
            &get,
            "LEADPOOL_CLAIM_ATTEMPTS_PER_MINUTE",
            30,
            1..=1_000_000,
        )? as i32;
        let cors_origins = get("LEADPOOL_CORS_ORIGINS")
            .unwrap_or_default()
            .split(',')
            .map(str::trim)
            .filter(|o| !o.is_empty())
            .map(|o| {
                cors_origin(o).ok_or_else(|| {
                    bad(
                        "LEADPOOL_CORS_ORIGINS",
                        format!(
                            "`{o}` is not an origin (scheme://host[:port], no path, no wildcard)"
                        ),
                    )
                })
            })
            .collect::<Result<Vec<_>, _>>()?;
        let hex_key = |setting: &'static str, text: &str| {
            Key::from_hex(text).map_err(|problem| bad(setting, problem))
        };
        let data_key = secret("LEADPOOL_DATA_KEY")
            .map(|k| hex_key("LEADPOOL_DATA_KEY", &k))
            .transpose()?;
        let data_old_keys = secret("LEADPOOL_DATA_OLD_KEYS")
            .map(|list| {
                list.split(',')
                    .map(str::trim)
                    .filter(|k| !k.is_empty())
                    .map(|k| hex_key("LEADPOOL_DATA_OLD_KEYS", k))
                    .collect::<Result<Vec<_>, _>>()
            })
            .transpose()?
            .unwrap_or_default();
        let index_key = secret("LEADPOOL_INDEX_KEY")
            .map(|k| hex_key("LEADPOOL_INDEX_KEY", &k))
            .transpose()?;
        let data_key_file = PathBuf::from(
            get("LEADPOOL_DATA_KEY_FILE").unwrap_or_else(|| ".leadpool/dev-data.key".into()),
        );

        Ok(Config {
            database_url: Secret::new(database_url),
            bind,
            jwt_secret,
            jwt_secret_generated,
            access_token_ttl,
            refresh_token_ttl,
            timezone,
            admin,
            db_pool_size,
            db_timeout: std::time::Duration::from_millis(db_timeout_ms as u64),
            max_body_bytes,
            client_timeout: std::time::Duration::from_secs(client_timeout_secs as u64),
            max_import_bytes,
            import_chunk_rows,
            job_interval: std::time::Duration::from_millis(job_interval_ms as u64),
            sweep_interval: std::time::Duration::from_secs(sweep_secs as u64),
            sweep_pause_factor: sweep_pause_percent as f64 / 100.0,
            sweep_workers,
            sweep_batch,
            tier_recompute_interval: std::time::Duration::from_secs(tier_recompute_secs as u64),
            projector_interval: std::time::Duration::from_millis(projector_interval_ms as u64),
            access_cache_ttl: std::time::Duration::from_secs(access_cache_secs as u64),
            sweep_answer_within: std::time::Duration::from_millis(sweep_answer_ms as u64),
            login_max_failures,
            login_max_failures_per_address,
            cors_origins,
            login_block_secs,
            trusted_proxies,
            claim_attempts_per_minute,
            metrics_token,
            database_read_url,
            db_statement_cache,
            database_migration_url,
            data_key,
            data_old_keys,
            index_key,
            data_key_file,
            data_key_from_file: false,
        })
    }

    /// The database URL with any password replaced, for log lines.
    pub fn database_url_redacted(&self) -> String {
        match url::Url::parse(self.database_url.expose()) {
            Ok(mut url) => {
                if url.password().is_some() {
                    let _ = url.set_password(Some("***"));
                }
                // libpq also takes `?password=...`.
                let pairs: Vec<(String, String)> = url
                    .query_pairs()
                    .map(|(k, v)| {
                        let v = if k.eq_ignore_ascii_case("password") {
                            "***".into()
                        } else {
                            v.into_owned()
                        };
                        (k.into_owned(), v)
                    })
                    .collect();
                if !pairs.is_empty() {
                    url.query_pairs_mut().clear().extend_pairs(pairs);
                }
                url.to_string()
            }
            Err(_) => "(unparseable)".into(),
        }
    }
}

/// Addresses and CIDR ranges, comma-separated (`10.0.0.0/8, 192.168.1.7, ::1`).
fn parse_networks(list: &str) -> Result<Vec<ipnet::IpNet>, String> {
    list.split(',')
        .map(str::trim)
        .filter(|item| !item.is_empty())
        .map(|item| {
            item.parse::<ipnet::IpNet>()
                .or_else(|_| item.parse::<std::net::IpAddr>().map(ipnet::IpNet::from))
                .map_err(|_| format!("`{item}` is neither an IP address nor a CIDR range"))
        })
        .collect()
}

fn integer(
    get: &impl Fn(&str) -> Option<String>,
    setting: &'static str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<i64, ConfigError> {
    let Some(text) = get(setting) else {
        return Ok(default);
    };
    let value: i64 = text
        .parse()
        .map_err(|_| bad(setting, format!("expected a whole number, got {text:?}")))?;
    if !range.contains(&value) {
        return Err(bad(
            setting,
            format!(
                "must be between {} and {}, got {value}",
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(value)
}

fn seconds(
    get: &impl Fn(&str) -> Option<String>,
    setting: &'static str,
    default: i64,
    range: std::ops::RangeInclusive<i64>,
) -> Result<Duration, ConfigError> {
    integer(get, setting, default, range).map(Duration::seconds)
}

/// Reads the development data key, or creates it (readable by the owner only) on first start.
fn load_or_create_key_file(path: &std::path::Path) -> Result<Key, ConfigError> {
    const SETTING: &str = "LEADPOOL_DATA_KEY_FILE";
    match std::fs::read_to_string(path) {
        Ok(text) => Key::from_hex(&text)
            .map_err(|problem| bad(SETTING, format!("{} {problem}", path.display()))),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
            if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
                std::fs::create_dir_all(dir)
                    .map_err(|e| bad(SETTING, format!("cannot create {}: {e}", dir.display())))?;
            }
            let key = Key::random();
            let mut options = std::fs::OpenOptions::new();
            options.write(true).create_new(true);
            #[cfg(unix)]
            std::os::unix::fs::OpenOptionsExt::mode(&mut options, 0o600);
            let mut file = options
                .open(path)
                .map_err(|e| bad(SETTING, format!("cannot create {}: {e}", path.display())))?;
            std::io::Write::write_all(&mut file, key.to_hex().as_bytes())
                .map_err(|e| bad(SETTING, format!("cannot write {}: {e}", path.display())))?;
            Ok(key)
        }
        Err(e) => Err(bad(SETTING, format!("cannot read {}: {e}", path.display()))),
    }
}

/// 48 random bytes, base64url: used when no JWT secret is configured.
fn random_secret() -> String {
    use base64::Engine;
    let bytes: [u8; 48] = crate::crypto::random_bytes();
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
}

#[cfg(test)]
mod tests;
