//! The operator's commands against the configured store and the real services:
//! `authn-service users create|list|show|enable|disable|unlock|set-password|delete` and
//! `session-service sessions list|end USER_ID`.

use e2e_tests::checks::{assert_invalid_token, assert_problem, assert_unauthorized, token_response};
use e2e_tests::platform::{Platform, Service};
use serde_json::Value;

/// Runs an admin command that must succeed and returns its output.
async fn run(platform: &Platform, service: Service, args: &[&str], stdin: &str) -> String {
    let (ok, output) = platform.admin(service, args, stdin).await;
    assert!(ok, "`{} {}` failed: {output}", service.binary_name(), args.join(" "));
    output
}

/// Runs an admin command with `--json` and parses the one document it prints.
async fn run_json(platform: &Platform, service: Service, args: &[&str], stdin: &str) -> Value {
    let mut args = args.to_vec();
    args.push("--json");
    let output = run(platform, service, &args, stdin).await;
    let line = output.lines().find(|line| line.starts_with('{')).unwrap_or_else(|| panic!("no JSON in {output}"));
    serde_json::from_str(line).unwrap_or_else(|error| panic!("{error}: {line}"))
}

#[tokio::test]
async fn users_create_reads_the_password_from_stdin_and_disable_ends_the_sessions() {
    let platform = Platform::builder().env(Service::Authn, "ALLOW_REGISTRATION", "false").start().await;
    let api = platform.api();

    let (ok, output) = platform.admin(Service::Authn, &["users", "create", "olivia"], "olivia's password\n").await;
    assert!(ok, "`users create olivia` failed: {output}");
    let login = api.login("olivia", "olivia's password").await;
    login.expect_status(200);
    let tokens = token_response(&login);
    api.session_status(&tokens.access_token).await.expect_status(200);

    let (ok, output) = platform.admin(Service::Authn, &["users", "disable", "olivia"], "").await;
    assert!(ok, "`users disable olivia` failed: {output}");
    assert_unauthorized(&api.login("olivia", "olivia's password").await);
    assert_invalid_token(&api.session_status(&tokens.access_token).await);
    assert_unauthorized(&api.refresh(&tokens.refresh_token).await);
}

#[tokio::test]
async fn users_list_pages_through_every_account_and_show_prints_one() {
    let platform = Platform::start().await;
    let names = ["pia", "quinn", "rosa", "sam", "tess"];
    for name in names {
        run(&platform, Service::Authn, &["users", "create", name], "a long enough password\n").await;
    }

    let mut listed = Vec::new();
    let mut cursor = "0".to_owned();
    let mut pages = 0;
    loop {
        let page =
            run_json(&platform, Service::Authn, &["users", "list", "--limit", "2", "--cursor", &cursor], "").await;
        pages += 1;
        assert!(pages < 100, "the listing never ends");
        for user in page["users"].as_array().expect("a users array") {
            listed.push(user["username"].as_str().expect("a username").to_owned());
            assert_eq!(user["disabled"], false);
            assert_eq!(user["has_password"], true);
        }
        match page["next_cursor"].as_u64() {
            Some(next) => cursor = next.to_string(),
            None => break,
        }
    }
    listed.sort();
    listed.dedup();
    assert_eq!(listed, names, "SCAN lists every account present for the whole listing");

    let table = run(&platform, Service::Authn, &["users", "list"], "").await;
    assert!(table.starts_with("USERNAME"), "{table}");
    assert!(names.iter().all(|name| table.contains(name)), "{table}");

    let shown = run_json(&platform, Service::Authn, &["users", "show", "rosa"], "").await;
    assert_eq!(shown["username"], "rosa");
    assert!(shown["id"].as_str().is_some_and(|id| uuid::Uuid::parse_str(id).is_ok()), "{shown}");
    let text = run(&platform, Service::Authn, &["users", "show", "rosa"], "").await;
    assert!(text.contains("enabled") && text.contains(shown["id"].as_str().unwrap_or_default()), "{text}");

    let (ok, output) = platform.admin(Service::Authn, &["users", "show", "nobody-here"], "").await;
    assert!(!ok, "an unknown user is an error: {output}");
}

#[tokio::test]
async fn enable_unlock_and_set_password_give_an_account_back() {
    let platform = Platform::builder()
        .env(Service::Authn, "LOGIN_MAX_FAILURES", "2")
        .env(Service::Authn, "LOGIN_LOCKOUT_SECONDS", "600")
        .start()
        .await;
    let api = platform.api();
    run(&platform, Service::Authn, &["users", "create", "uma"], "uma's first password\n").await;

    // Disabled, then enabled: the password logs in again.
    run(&platform, Service::Authn, &["users", "disable", "uma"], "").await;
    assert_unauthorized(&api.login("uma", "uma's first password").await);
    let enabled = run_json(&platform, Service::Authn, &["users", "enable", "uma"], "").await;
    assert_eq!(enabled["disabled"], false);
    api.login("uma", "uma's first password").await.expect_status(200);

    // Locked by failures (the refused login of the disabled account counted too), even for the right
    // password, until `unlock` clears the counters.
    for _ in 0..2 {
        let reply = api.login("uma", "a wrong password").await;
        assert!(reply.status == 401 || reply.status == 429, "{reply}");
    }
    assert_problem(&api.login("uma", "uma's first password").await, 429);
    let unlocked = run_json(&platform, Service::Authn, &["users", "unlock", "uma", "--address", "127.0.0.1"], "").await;
    assert_eq!(unlocked["unlocked"], true);
    api.login("uma", "uma's first password").await.expect_status(200);

    // A new password from standard input replaces the old one.
    run(&platform, Service::Authn, &["users", "set-password", "uma"], "uma's second password\n").await;
    assert_unauthorized(&api.login("uma", "uma's first password").await);
    api.login("uma", "uma's second password").await.expect_status(200);

    // A password the policy refuses changes nothing.
    let (ok, output) = platform.admin(Service::Authn, &["users", "set-password", "uma"], "short\n").await;
    assert!(!ok, "a too-short password is refused: {output}");
    api.login("uma", "uma's second password").await.expect_status(200);
}

#[tokio::test]
async fn delete_removes_the_account_and_its_name_and_ends_its_sessions() {
    let platform = Platform::start().await;
    let api = platform.api();
    run(&platform, Service::Authn, &["users", "create", "vera"], "vera's password\n").await;
    let tokens = token_response(api.login("vera", "vera's password").await.expect_status(200));

    let deleted = run_json(&platform, Service::Authn, &["users", "delete", "vera"], "").await;
    assert_eq!(deleted["deleted"], true);
    assert_eq!(deleted["sessions_ended"], 1);
    assert_unauthorized(&api.login("vera", "vera's password").await);
    assert_invalid_token(&api.session_status(&tokens.access_token).await);
    assert_unauthorized(&api.refresh(&tokens.refresh_token).await);
    let (ok, output) = platform.admin(Service::Authn, &["users", "show", "vera"], "").await;
    assert!(!ok, "a deleted user is gone: {output}");

    // The name is free again, for a new account with a new id.
    let id = run(&platform, Service::Authn, &["users", "create", "vera"], "another password\n").await;
    assert_ne!(id.trim(), deleted["id"].as_str().unwrap_or_default());
    api.login("vera", "another password").await.expect_status(200);
}

#[tokio::test]
async fn sessions_list_and_end_work_on_the_session_services_store() {
    let platform = Platform::start().await;
    let api = platform.api();
    run(&platform, Service::Authn, &["users", "create", "wade"], "wade's password\n").await;
    let user_id = run_json(&platform, Service::Authn, &["users", "show", "wade"], "").await["id"]
        .as_str()
        .expect("an id")
        .to_owned();
    let first = token_response(api.login("wade", "wade's password").await.expect_status(200));
    let second = token_response(api.login("wade", "wade's password").await.expect_status(200));

    let listed = run_json(&platform, Service::Session, &["sessions", "list", &user_id], "").await;
    let sessions = listed["sessions"].as_array().expect("a sessions array");
    assert_eq!(sessions.len(), 2, "{listed}");
    assert!(sessions.iter().all(|session| session["username"] == "wade"), "{listed}");
    let table = run(&platform, Service::Session, &["sessions", "list", &user_id], "").await;
    assert!(table.starts_with("SESSION") && table.lines().count() == 3, "{table}");

    // One session by id, then the rest.
    let first_sid = sessions[0]["session_id"].as_str().expect("a session id").to_owned();
    let ended =
        run_json(&platform, Service::Session, &["sessions", "end", &user_id, "--session", &first_sid], "").await;
    assert_eq!(ended["ended"], 1);
    let remaining = run_json(&platform, Service::Session, &["sessions", "list", &user_id], "").await;
    assert_eq!(remaining["sessions"].as_array().map(Vec::len), Some(1), "{remaining}");

    let ended = run_json(&platform, Service::Session, &["sessions", "end", &user_id], "").await;
    assert_eq!(ended["ended"], 1);
    assert_invalid_token(&api.session_status(&first.access_token).await);
    assert_invalid_token(&api.session_status(&second.access_token).await);
    assert_unauthorized(&api.refresh(&second.refresh_token).await);
    let text = run(&platform, Service::Session, &["sessions", "list", &user_id], "").await;
    assert!(text.contains("no live sessions"), "{text}");

    let (ok, output) = platform.admin(Service::Session, &["sessions", "list", "not-a-uuid"], "").await;
    assert!(!ok, "a bad id is refused: {output}");
}
