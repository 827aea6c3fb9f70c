//! Settings read from the environment: defaults, bounds and refusals.

use super::*;

fn vars(pairs: &[(&str, &str)]) -> HashMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn defaults_start_without_any_setting() {
    let config = Config::from_vars(&HashMap::new()).unwrap();
    assert_eq!(config.database_url.expose(), DEFAULT_DATABASE_URL);
    assert_eq!(config.bind.to_string(), DEFAULT_BIND);
    assert!(config.jwt_secret_generated);
    assert!(config.jwt_secret.expose().len() >= MIN_JWT_SECRET_BYTES);
    assert_eq!(config.access_token_ttl, Duration::minutes(15));
    assert_eq!(config.timezone, chrono_tz::Asia::Shanghai);
    assert!(config.admin.is_none());
}

#[test]
fn short_jwt_secret_is_refused_without_printing_it() {
    let err = Config::from_vars(&vars(&[("LEADPOOL_JWT_SECRET", "hunter2-hunter2")])).unwrap_err();
    assert_eq!(err.setting, "LEADPOOL_JWT_SECRET");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[test]
fn each_bad_setting_is_named() {
    let cases = [
        ("LEADPOOL_BIND", "not-an-address"),
        ("LEADPOOL_TIMEZONE", "Mars/Olympus"),
        ("LEADPOOL_ACCESS_TOKEN_TTL_SECS", "ten"),
        ("LEADPOOL_ACCESS_TOKEN_TTL_SECS", "5"),
        ("LEADPOOL_DB_POOL_SIZE", "0"),
        ("DATABASE_URL", "mysql://localhost/x"),
        ("DATABASE_URL", "postgres://localhost"),
    ];
    for (setting, value) in cases {
        let err = Config::from_vars(&vars(&[(setting, value)])).unwrap_err();
        assert_eq!(err.setting, setting, "{setting}={value}: {err}");
        assert!(err.to_string().starts_with(setting));
        assert!(!err.to_string().contains('\n'));
    }
}

#[test]
fn admin_settings_come_in_pairs_and_are_checked() {
    let err = Config::from_vars(&vars(&[("LEADPOOL_ADMIN_EMAIL", "a@example.com")])).unwrap_err();
    assert_eq!(err.setting, "LEADPOOL_ADMIN_PASSWORD");
    let err = Config::from_vars(&vars(&[
        ("LEADPOOL_ADMIN_EMAIL", "a@example.com"),
        ("LEADPOOL_ADMIN_PASSWORD", "short"),
    ]))
    .unwrap_err();
    assert_eq!(err.setting, "LEADPOOL_ADMIN_PASSWORD");
    assert!(!err.to_string().contains("short"));
    let config = Config::from_vars(&vars(&[
        ("LEADPOOL_ADMIN_EMAIL", " Admin@Example.COM "),
        ("LEADPOOL_ADMIN_PASSWORD", "correct horse battery"),
    ]))
    .unwrap();
    assert_eq!(config.admin.unwrap().email, "admin@example.com");
}

#[test]
fn data_keys_are_hex_and_the_index_key_survives_rotation() {
    let first = "11".repeat(32);
    let second = "22".repeat(32);
    let err = Config::from_vars(&vars(&[("LEADPOOL_DATA_KEY", "not-hex")])).unwrap_err();
    assert_eq!(err.setting, "LEADPOOL_DATA_KEY");
    let before = Config::from_vars(&vars(&[("LEADPOOL_DATA_KEY", &first)]))
        .unwrap()
        .vault()
        .unwrap();
    let after = Config::from_vars(&vars(&[
        ("LEADPOOL_DATA_KEY", &second),
        ("LEADPOOL_DATA_OLD_KEYS", &first),
    ]))
    .unwrap()
    .vault()
    .unwrap();
    assert_eq!(before.index_key_id(), after.index_key_id());
    assert_ne!(before.current_key_id(), after.current_key_id());
    assert!(Config::from_vars(&HashMap::new()).unwrap().vault().is_err());
}

#[test]
fn the_development_key_file_is_created_once_and_reused() {
    let dir = std::env::temp_dir().join(format!("leadpool-key-{}", uuid::Uuid::now_v7()));
    let path = dir.join("nested/dev.key");
    let first = load_or_create_key_file(&path).unwrap();
    let second = load_or_create_key_file(&path).unwrap();
    assert_eq!(first, second);
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
    }
    std::fs::write(&path, "garbage").unwrap();
    assert_eq!(
        load_or_create_key_file(&path).unwrap_err().setting,
        "LEADPOOL_DATA_KEY_FILE"
    );
    std::fs::remove_dir_all(dir).unwrap();
}

#[test]
fn refresh_must_outlive_access_tokens() {
    let err = Config::from_vars(&vars(&[
        ("LEADPOOL_ACCESS_TOKEN_TTL_SECS", "3600"),
        ("LEADPOOL_REFRESH_TOKEN_TTL_SECS", "600"),
    ]))
    .unwrap_err();
    assert_eq!(err.setting, "LEADPOOL_REFRESH_TOKEN_TTL_SECS");
}

#[test]
fn database_password_is_redacted() {
    let config = Config::from_vars(&vars(&[(
        "DATABASE_URL",
        "postgres://app:s3cret@db.internal:5432/leadpool",
    )]))
    .unwrap();
    let shown = config.database_url_redacted();
    assert!(!shown.contains("s3cret"));
    let config = Config::from_vars(&vars(&[(
        "DATABASE_URL",
        "postgres://app@db.internal/leadpool?sslmode=require&password=s3cret",
    )]))
    .unwrap();
    let shown = config.database_url_redacted();
    assert!(
        !shown.contains("s3cret") && shown.contains("sslmode=require"),
        "{shown}"
    );
    assert!(!format!("{config:?}").contains("s3cret"));
}

#[test]
fn cors_origins_are_exact_origins() {
    assert_eq!(
        super::cors_origin("https://crm.example.com"),
        Some("https://crm.example.com".into())
    );
    assert_eq!(
        super::cors_origin("http://localhost:5173"),
        Some("http://localhost:5173".into())
    );
    for bad in [
        "*",
        "https://crm.example.com/",
        "https://crm.example.com/app",
        "crm.example.com",
        "ftp://x.example.com",
        "https://*.example.com",
    ] {
        assert_eq!(super::cors_origin(bad), None, "{bad}");
    }
}
