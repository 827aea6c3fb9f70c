//! The settings of every test app: its secrets, the admin's credentials, the configuration.

use std::collections::HashMap;

use leadpool::config::Config;

/// The JWT secret of every test app, so tests can forge tokens.
pub const JWT_SECRET: &str = "test-only-secret-that-is-long-enough-0123456789";
/// The data key of every test app (64 hex characters).
pub const DATA_KEY: &str = "00112233445566778899aabbccddeeff00112233445566778899aabbccddeeff";
pub const ADMIN_EMAIL: &str = "admin@example.com";
pub const PASSWORD: &str = "correct horse battery";

pub fn test_config(database_url: &str) -> Config {
    test_config_with(database_url, &[])
}

/// The test settings with some changed or added.
pub fn test_config_with(database_url: &str, settings: &[(&str, &str)]) -> Config {
    let mut vars: HashMap<String, String> = [
        ("DATABASE_URL", database_url),
        ("LEADPOOL_JWT_SECRET", JWT_SECRET),
        ("LEADPOOL_BIND", "127.0.0.1:0"),
        ("LEADPOOL_DB_POOL_SIZE", "8"),
        ("LEADPOOL_MAX_BODY_BYTES", "65536"),
        ("LEADPOOL_DATA_KEY", DATA_KEY),
        ("LEADPOOL_JOB_INTERVAL_MS", "50"),
        ("LEADPOOL_IMPORT_CHUNK_ROWS", "3"),
        (
            "LEADPOOL_CORS_ORIGINS",
            "https://crm.example.com, http://localhost:5173",
        ),
        // Tests of quotas claim in bursts; the rate limit has its own test at the default.
        ("LEADPOOL_CLAIM_ATTEMPTS_PER_MINUTE", "100000"),
    ]
    .into_iter()
    .map(|(k, v)| (k.to_string(), v.to_string()))
    .collect();
    vars.extend(settings.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    Config::from_vars(&vars).expect("test config")
}
