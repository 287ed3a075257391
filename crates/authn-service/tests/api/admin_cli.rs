//! The `authn-service` binary: admin commands and start-up failures, run as a child process with a
//! clean environment (nothing inherited, no `.env` read).

use crate::helpers::{INTERNAL_TOKEN, PASSWORD, free_port, spawn_app};
use std::process::{Output, Stdio};
use tokio::io::AsyncWriteExt;
use tokio::process::Command;

async fn run(args: &[&str], env: &[(&str, &str)], stdin: &str) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_authn-service"))
        .args(args)
        .env_clear()
        .envs(env.iter().copied())
        .current_dir(std::env::temp_dir())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .kill_on_drop(true)
        .spawn()
        .expect("the binary runs");
    let mut input = child.stdin.take().expect("stdin");
    input.write_all(stdin.as_bytes()).await.expect("write stdin");
    drop(input);
    tokio::time::timeout(std::time::Duration::from_secs(30), child.wait_with_output())
        .await
        .expect("the command finished in time")
        .expect("output")
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn admin_env<'a>(redis_url: &'a str, token_url: &'a str) -> Vec<(&'a str, &'a str)> {
    vec![
        ("APP_ENV", "prod"),
        ("REDIS_URL", redis_url),
        ("TOKEN_SERVICE_URL", token_url),
        ("INTERNAL_API_TOKEN", INTERNAL_TOKEN),
        ("ARGON2_MEMORY_KIB", "1024"),
        ("ARGON2_ITERATIONS", "1"),
    ]
}

#[tokio::test]
async fn users_create_reads_the_password_from_stdin_and_prints_the_id() {
    let app = spawn_app().await;
    let redis_url = app.redis.url();
    let env = admin_env(&redis_url, &app.token_service.url);
    let output = run(&["users", "create", "Carol"], &env, &format!("{PASSWORD}\r\nignored second line\n")).await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    let id = text(&output.stdout).trim().to_owned();
    assert!(uuid::Uuid::parse_str(&id).is_ok(), "{id}");
    assert_eq!(app.login("carol", PASSWORD).await.status(), 200);
    assert_eq!(app.token_service.mints()[0].user_id, id);

    let again = run(&["users", "create", "carol"], &env, &format!("{PASSWORD}\n")).await;
    assert_eq!(again.status.code(), Some(1));
    assert!(text(&again.stderr).contains("taken"), "{}", text(&again.stderr));

    let short = run(&["users", "create", "dave"], &env, "short\n").await;
    assert_eq!(short.status.code(), Some(1));
    assert!(text(&short.stderr).contains("password"), "{}", text(&short.stderr));
}

#[tokio::test]
async fn users_create_without_redis_explains_the_in_memory_store() {
    let output = run(&["users", "create", "carol"], &[("APP_ENV", "dev")], &format!("{PASSWORD}\n")).await;
    assert_eq!(output.status.code(), Some(1));
    let stderr = text(&output.stderr);
    assert!(stderr.contains("REDIS_URL") && stderr.contains("in-memory"), "{stderr}");
}

#[tokio::test]
async fn users_disable_refuses_logins_and_ends_sessions() {
    let app = spawn_app().await;
    let id = app.register_user("alice").await;
    let redis_url = app.redis.url();
    let env = admin_env(&redis_url, &app.token_service.url);
    let output = run(&["users", "disable", "Alice"], &env, "").await;
    assert!(output.status.success(), "{}", text(&output.stderr));
    assert!(text(&output.stdout).contains("ended 2 sessions"), "{}", text(&output.stdout));
    assert_eq!(app.token_service.recorded.lock().expect("lock").ended_for, vec![id]);
    assert_eq!(app.login("alice", PASSWORD).await.status(), 401);

    let unknown = run(&["users", "disable", "nobody"], &env, "").await;
    assert_eq!(unknown.status.code(), Some(1));
}

#[tokio::test]
async fn users_disable_with_the_token_service_down_still_disables_and_exits_2() {
    let app = spawn_app().await;
    app.register_user("alice").await;
    let redis_url = app.redis.url();
    let closed = format!("http://127.0.0.1:{}", free_port());
    let output = run(&["users", "disable", "alice"], &admin_env(&redis_url, &closed), "").await;
    assert_eq!(output.status.code(), Some(2), "{}", text(&output.stderr));
    assert!(text(&output.stderr).contains("sessions were not ended"), "{}", text(&output.stderr));
    assert_eq!(app.login("alice", PASSWORD).await.status(), 401);
}

#[tokio::test]
async fn a_bad_setting_stops_the_start_with_one_line_naming_it() {
    let missing_redis = run(&[], &[("APP_ENV", "prod"), ("INTERNAL_API_TOKEN", INTERNAL_TOKEN)], "").await;
    assert_eq!(missing_redis.status.code(), Some(1));
    let stderr = text(&missing_redis.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.starts_with("authn-service: ") && stderr.contains("REDIS_URL"), "{stderr}");

    let listen = format!("127.0.0.1:{}", free_port());
    let malformed = run(&[], &[("APP_ENV", "dev"), ("LISTEN_ADDR", &listen), ("LOGIN_MAX_FAILURES", "many")], "").await;
    assert_eq!(malformed.status.code(), Some(1));
    let stderr = text(&malformed.stderr);
    assert_eq!(stderr.lines().count(), 1, "{stderr}");
    assert!(stderr.contains("LOGIN_MAX_FAILURES"), "{stderr}");
}
