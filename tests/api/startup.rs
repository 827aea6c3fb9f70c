//! The binary itself: settings errors, database creation, migrations, admin bootstrap, serving,
//! and graceful shutdown on SIGTERM.

use std::io::{BufRead, BufReader};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use diesel::connection::SimpleConnection;
use diesel::prelude::*;
use serde_json::json;
use uuid::Uuid;

use crate::common::{database_url, server_url};

fn leadpool() -> Command {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_leadpool"));
    // Run away from any developer .env file, with only the settings each test gives.
    cmd.current_dir(std::env::temp_dir())
        .env_remove("DATABASE_URL")
        .env_remove("LEADPOOL_JWT_SECRET")
        .env_remove("LEADPOOL_ADMIN_EMAIL")
        .env_remove("LEADPOOL_ADMIN_PASSWORD")
        .env_remove("LEADPOOL_BIND")
        .env_remove("LEADPOOL_DATA_KEY")
        .env_remove("LEADPOOL_DATA_OLD_KEYS")
        .env_remove("LEADPOOL_INDEX_KEY")
        .env_remove("LEADPOOL_DATA_KEY_FILE");
    cmd
}

#[test]
fn a_bad_setting_stops_start_up_with_one_line_naming_it() {
    let cases = [
        ("LEADPOOL_BIND", "nowhere"),
        ("LEADPOOL_TIMEZONE", "Moon/Base"),
        ("LEADPOOL_JWT_SECRET", "too-short-secret-value"),
        ("LEADPOOL_ACCESS_TOKEN_TTL_SECS", "-5"),
        ("DATABASE_URL", "mysql://root@localhost/leadpool"),
    ];
    for (setting, value) in cases {
        let out = leadpool().env(setting, value).output().unwrap();
        assert_eq!(out.status.code(), Some(2), "{setting}");
        let stderr = String::from_utf8_lossy(&out.stderr);
        let lines: Vec<&str> = stderr.lines().collect();
        assert_eq!(lines.len(), 1, "{setting}: {stderr}");
        assert!(lines[0].contains(setting), "{setting}: {stderr}");
    }
    let out = leadpool()
        .env("LEADPOOL_JWT_SECRET", "hunter2hunter2")
        .output()
        .unwrap();
    assert!(!String::from_utf8_lossy(&out.stderr).contains("hunter2"));
}

struct DropDatabase(String);

impl Drop for DropDatabase {
    fn drop(&mut self) {
        if let Ok(mut conn) = PgConnection::establish(&server_url()) {
            let _ = conn.batch_execute(&format!(
                "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
                self.0
            ));
        }
    }
}

#[actix_web::test]
async fn starts_on_a_new_database_serves_and_stops_gracefully() {
    let name = format!("lp_test_{}", Uuid::now_v7().simple());
    let _cleanup = DropDatabase(name.clone());
    let admin_password = "first admin password 42";
    let jwt_secret = "startup-test-secret-0123456789-abcdefghij";
    let mut child = leadpool()
        .env("DATABASE_URL", database_url(&name))
        .env("LEADPOOL_BIND", "127.0.0.1:0")
        .env("LEADPOOL_JWT_SECRET", jwt_secret)
        .env("LEADPOOL_DATA_KEY", "11".repeat(32))
        .env("LEADPOOL_ADMIN_EMAIL", "boss@example.com")
        .env("LEADPOOL_ADMIN_PASSWORD", admin_password)
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();

    let (tx, rx) = mpsc::channel::<String>();
    let stderr = child.stderr.take().unwrap();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    let base = loop {
        let line = rx
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .unwrap_or_else(|_| panic!("no 'listening' line; log so far: {log:#?}"));
        log.push(line.clone());
        if let Some(rest) = line.split("listening on ").nth(1) {
            break rest.split_whitespace().next().unwrap().to_string();
        }
    };
    assert!(
        log.iter().any(|l| l.contains("created database")),
        "{log:#?}"
    );
    assert!(
        log.iter().any(|l| l.contains("created the first admin")),
        "{log:#?}"
    );

    let client = awc::Client::default();
    let res = client.get(format!("{base}/readyz")).send().await.unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let mut res = client
        .post(format!("{base}/api/v1/auth/login"))
        .send_json(&json!({"email": "boss@example.com", "password": admin_password}))
        .await
        .unwrap();
    assert_eq!(res.status().as_u16(), 200);
    let tokens: serde_json::Value = res.json().await.unwrap();
    assert!(tokens["access_token"].is_string());

    let status = Command::new("kill")
        .args(["-TERM", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(status.success());
    let deadline = Instant::now() + Duration::from_secs(20);
    let exit = loop {
        if let Some(exit) = child.try_wait().unwrap() {
            break exit;
        }
        assert!(
            Instant::now() < deadline,
            "leadpool did not stop on SIGTERM"
        );
        std::thread::sleep(Duration::from_millis(50));
    };
    assert!(exit.success(), "exit status {exit:?}");
    while let Ok(line) = rx.recv_timeout(Duration::from_millis(200)) {
        log.push(line);
    }
    let all = log.join("\n");
    assert!(all.contains("leadpool stopped"), "{all}");
    assert!(
        !all.contains(admin_password) && !all.contains(jwt_secret),
        "a secret reached the log"
    );
}

/// Runs start-up only as far as it goes with these settings: the exit code and what it said.
fn start_until_listening_or_exit(name: &str, envs: &[(&str, String)]) -> (Option<i32>, String) {
    let mut cmd = leadpool();
    cmd.env("DATABASE_URL", database_url(name))
        .env("LEADPOOL_BIND", "127.0.0.1:0")
        .env("RUST_LOG", "info")
        .stderr(Stdio::piped())
        .stdout(Stdio::null());
    for (k, v) in envs {
        cmd.env(k, v);
    }
    let mut child = cmd.spawn().unwrap();
    let stderr = child.stderr.take().unwrap();
    let (tx, rx) = mpsc::channel::<String>();
    std::thread::spawn(move || {
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line);
        }
    });
    let mut log = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        match rx.recv_timeout(Duration::from_millis(100)) {
            Ok(line) => {
                let listening = line.contains("listening on");
                log.push(line);
                if listening {
                    let _ = Command::new("kill")
                        .args(["-TERM", &child.id().to_string()])
                        .status();
                    let _ = child.wait();
                    return (None, log.join("\n"));
                }
            }
            Err(_) => {
                if let Some(status) = child.try_wait().unwrap() {
                    while let Ok(line) = rx.recv_timeout(Duration::from_millis(100)) {
                        log.push(line);
                    }
                    return (status.code(), log.join("\n"));
                }
                assert!(Instant::now() < deadline, "start-up hung: {log:#?}");
            }
        }
    }
}

#[test]
fn keys_that_cannot_read_the_stored_data_stop_start_up() {
    let name = format!("lp_test_{}", Uuid::now_v7().simple());
    let _cleanup = DropDatabase(name.clone());
    let first = "11".repeat(32);
    let second = "22".repeat(32);
    let jwt = (
        "LEADPOOL_JWT_SECRET",
        "startup-test-secret-0123456789-abcdefghij".to_string(),
    );

    let (code, log) =
        start_until_listening_or_exit(&name, &[jwt.clone(), ("LEADPOOL_DATA_KEY", first.clone())]);
    assert_eq!(code, None, "first start serves: {log}");

    // Another key alone: blind indexes and stored values would not match. Refused, naming why.
    let (code, log) =
        start_until_listening_or_exit(&name, &[jwt.clone(), ("LEADPOOL_DATA_KEY", second.clone())]);
    assert_eq!(code, Some(1), "{log}");
    assert!(log.contains("LEADPOOL_INDEX_KEY"), "{log}");
    assert!(
        !log.contains(&first) && !log.contains(&second),
        "keys never reach the log"
    );

    // Rotation done right: the new key encrypts, the old one stays for reading and indexing.
    let (code, log) = start_until_listening_or_exit(
        &name,
        &[
            jwt.clone(),
            ("LEADPOOL_DATA_KEY", second.clone()),
            ("LEADPOOL_DATA_OLD_KEYS", first.clone()),
        ],
    );
    assert_eq!(code, None, "rotated start serves: {log}");

    // Dropping the old key afterwards would leave data unreadable: refused.
    let (code, log) = start_until_listening_or_exit(
        &name,
        &[
            jwt,
            ("LEADPOOL_DATA_KEY", second.clone()),
            ("LEADPOOL_INDEX_KEY", {
                // the index key as it was derived before (HMAC of the first key), given explicitly
                leadpool::crypto::Key::from_hex(&first)
                    .unwrap()
                    .derive("leadpool blind index v1")
                    .to_hex()
            }),
        ],
    );
    assert_eq!(code, Some(1), "{log}");
    assert!(
        log.contains("LEADPOOL_DATA_KEY") && log.contains("cannot be read"),
        "{log}"
    );
}

#[test]
fn without_a_data_key_a_development_key_file_keeps_data_readable() {
    let name = format!("lp_test_{}", Uuid::now_v7().simple());
    let _cleanup = DropDatabase(name.clone());
    let dir = std::env::temp_dir().join(format!("leadpool-devkey-{}", Uuid::now_v7()));
    let file = dir.join("dev.key");
    let envs = [
        (
            "LEADPOOL_JWT_SECRET",
            "startup-test-secret-0123456789-abcdefghij".to_string(),
        ),
        ("LEADPOOL_DATA_KEY_FILE", file.display().to_string()),
    ];
    let (code, log) = start_until_listening_or_exit(&name, &envs);
    assert_eq!(code, None, "{log}");
    assert!(log.contains("LEADPOOL_DATA_KEY is not set"), "{log}");
    assert!(file.exists());
    let (code, log) = start_until_listening_or_exit(&name, &envs);
    assert_eq!(code, None, "the same file serves again: {log}");
    std::fs::remove_file(&file).unwrap();
    let (code, log) = start_until_listening_or_exit(&name, &envs);
    assert_eq!(
        code,
        Some(1),
        "a lost key file is noticed, not papered over: {log}"
    );
    std::fs::remove_dir_all(dir).unwrap();
}
