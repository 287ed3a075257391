//! Settings the contract names: HS256, ES256, RS256, the access token lifetime, and a start without a required setting.

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use e2e_tests::binaries::binary;
use e2e_tests::checks::{assert_invalid_token, token_response};
use e2e_tests::jwt;
use e2e_tests::platform::{Platform, Service, generate_private_key_pem, random_secret};
use serde_json::json;
use test_support::free_port;
use test_support::{GroupCommand, RedisServer};

/// The well-known internal token every service uses in `dev` (service-kit's `DEV_INTERNAL_API_TOKEN`,
/// written out here: this crate talks to the binaries, not to their libraries).
const DEV_INTERNAL_API_TOKEN: &str = "dev-internal-api-token-do-not-use-in-production";

#[tokio::test]
async fn hs256_signs_and_verifies_with_the_shared_secret_and_publishes_no_keys() {
    let secret = random_secret(48);
    let platform = Platform::builder()
        .env(Service::Token, "ALGORITHM", "HS256")
        .env(Service::Token, "SECRET_KEY", secret.clone())
        .env_remove(Service::Token, "JWT_PRIVATE_KEY_FILE")
        .env(Service::Session, "ALGORITHM", "HS256")
        .env(Service::Session, "SECRET_KEY", secret.clone())
        .start()
        .await;
    let api = platform.api();
    let (account, tokens) = api.signed_in().await;
    assert_eq!(jwt::header(&tokens.access_token)["alg"], json!("HS256"));
    api.session_status(&tokens.access_token).await.expect_status(200);
    api.session_verify(&tokens.access_token).await.expect_status(200);

    let jwks = api.jwks().await;
    jwks.expect_status(200);
    assert_eq!(jwks.json(), json!({"keys": []}), "{jwks}");

    // Another secret, or the real secret with alg none, is refused (same kid as the real tokens, if any).
    let kid = jwt::header(&tokens.access_token)["kid"].as_str().map(str::to_owned);
    let claims = jwt::valid_claims(&account.user_id, &tokens.session_id, &account.username);
    let forged = jwt::sign_hs256(random_secret(48).as_bytes(), kid.as_deref(), &claims);
    assert_invalid_token(&api.session_status(&forged).await);
    let unsigned = jwt::unsigned(&json!({"alg": "none", "kid": kid}), &claims);
    assert_invalid_token(&api.session_status(&unsigned).await);
    // The control: the real secret and valid claims pass.
    let own = jwt::sign_hs256(secret.as_bytes(), kid.as_deref(), &claims);
    api.session_status(&own).await.expect_status(200);
}

#[tokio::test]
async fn es256_and_rs256_tokens_verify_at_the_session_service_through_the_jwks() {
    for algorithm in ["ES256", "RS256"] {
        let dir = tempfile::tempdir().unwrap();
        let output = Command::new(binary("token-service"))
            .args(["keys", "generate", "--algorithm", algorithm])
            .env_clear()
            .env("PATH", std::env::var_os("PATH").unwrap_or_default())
            .stdin(Stdio::null())
            .output()
            .unwrap();
        assert!(output.status.success(), "keys generate --algorithm {algorithm}: {output:?}");
        let key_file = dir.path().join("key.pem");
        std::fs::write(&key_file, &output.stdout).unwrap();
        let platform = Platform::builder()
            .env(Service::Token, "ALGORITHM", algorithm)
            .env(Service::Token, "JWT_PRIVATE_KEY_FILE", key_file.display().to_string())
            .env(Service::Session, "ALGORITHM", algorithm)
            .start()
            .await;
        let api = platform.api();
        let (_, tokens) = api.signed_in().await;
        let header = jwt::header(&tokens.access_token);
        assert_eq!(header["alg"], json!(algorithm));
        assert!(header["kid"].is_string(), "{algorithm}: {header}");
        api.session_status(&tokens.access_token).await.expect_status(200);
        api.session_verify(&tokens.access_token).await.expect_status(200);
        let refreshed = api.refresh(&tokens.refresh_token).await;
        refreshed.expect_status(200);
        api.session_status(&token_response(&refreshed).access_token).await.expect_status(200);
    }
}

#[tokio::test]
async fn access_token_lifetime_follows_access_token_expire_minutes() {
    let platform = Platform::builder().env(Service::Token, "ACCESS_TOKEN_EXPIRE_MINUTES", "5").start().await;
    let api = platform.api();
    let (_, tokens) = api.signed_in().await;
    assert!((290..=300).contains(&tokens.expires_in), "expires_in {} should be 300", tokens.expires_in);
    let claims = jwt::claims(&tokens.access_token);
    assert_eq!(claims["exp"].as_i64().unwrap() - claims["iat"].as_i64().unwrap(), 300, "{claims}");
    let refreshed = api.refresh(&tokens.refresh_token).await;
    refreshed.expect_status(200);
    assert!((290..=300).contains(&token_response(&refreshed).expires_in));
}

#[test]
fn a_prod_start_without_the_internal_token_stops_with_a_line_naming_it() {
    // Every other setting is there, so the missing one is the one to name.
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.pem");
    std::fs::write(&key_path, generate_private_key_pem()).unwrap();
    let elsewhere = format!("http://127.0.0.1:{}", free_port());
    let jwks = format!("{elsewhere}/.well-known/jwks.json");
    let key = key_path.to_string_lossy().into_owned();
    let redis_url = redis.url();
    for service in Service::ALL {
        let env = [
            ("APP_ENV", "prod"),
            ("REDIS_URL", redis_url.as_str()),
            ("TOKEN_SERVICE_URL", elsewhere.as_str()),
            ("SESSION_SERVICE_URL", elsewhere.as_str()),
            ("JWKS_URL", jwks.as_str()),
            ("JWT_PRIVATE_KEY_FILE", key.as_str()),
        ];
        let text = failed_start(service, dir.path(), &env);
        assert!(text.contains("INTERNAL_API_TOKEN"), "{} must name INTERNAL_API_TOKEN: {text}", service.binary_name());
    }
}

#[test]
fn a_prod_start_with_the_dev_internal_token_or_a_short_one_stops_naming_the_variable() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let key_path = dir.path().join("key.pem");
    std::fs::write(&key_path, generate_private_key_pem()).unwrap();
    let elsewhere = format!("http://127.0.0.1:{}", free_port());
    let jwks = format!("{elsewhere}/.well-known/jwks.json");
    let key = key_path.to_string_lossy().into_owned();
    let redis_url = redis.url();
    let good = random_secret(40);
    let short = random_secret(31);
    let cases = [
        ("INTERNAL_API_TOKEN", DEV_INTERNAL_API_TOKEN, None),
        ("INTERNAL_API_TOKEN", short.as_str(), None),
        ("INTERNAL_API_TOKEN_PREVIOUS", good.as_str(), Some(DEV_INTERNAL_API_TOKEN)),
        ("INTERNAL_API_TOKEN_PREVIOUS", good.as_str(), Some(short.as_str())),
    ];
    for service in Service::ALL {
        for (variable, token, previous) in cases {
            let mut env = vec![
                ("APP_ENV", "prod"),
                ("REDIS_URL", redis_url.as_str()),
                ("TOKEN_SERVICE_URL", elsewhere.as_str()),
                ("SESSION_SERVICE_URL", elsewhere.as_str()),
                ("JWKS_URL", jwks.as_str()),
                ("JWT_PRIVATE_KEY_FILE", key.as_str()),
                ("INTERNAL_API_TOKEN", token),
            ];
            env.extend(previous.map(|previous| ("INTERNAL_API_TOKEN_PREVIOUS", previous)));
            let text = failed_start(service, dir.path(), &env);
            let line = format!("{}: invalid setting {variable}", service.binary_name());
            assert!(text.contains(&line), "{} must name {variable}: {text}", service.binary_name());
            assert!(!text.contains(DEV_INTERNAL_API_TOKEN) && !text.contains(&short), "no secret echoed: {text}");
        }
    }
}

#[tokio::test]
async fn internal_token_rotation_the_previous_token_is_accepted_while_replicas_disagree() {
    // Mid-rotation: authn still sends the old token, token and session already send the new one and
    // accept the old as INTERNAL_API_TOKEN_PREVIOUS. Every internal call succeeds.
    let old = random_secret(48);
    let new = random_secret(48);
    let platform = Platform::builder()
        .env_all("INTERNAL_API_TOKEN", new.clone())
        .env(Service::Token, "INTERNAL_API_TOKEN_PREVIOUS", old.clone())
        .env(Service::Session, "INTERNAL_API_TOKEN_PREVIOUS", old.clone())
        .env(Service::Authn, "INTERNAL_API_TOKEN", old.clone())
        .start()
        .await;
    let api = platform.api();
    // Login: authn → token with the old token, token → session with the new one.
    let (_, tokens) = api.signed_in().await;
    api.refresh(&tokens.refresh_token).await.expect_status(200);
    // Both are accepted at /internal/ of token and session; a third is not.
    for service in [Service::Token, Service::Session] {
        for (token, accepted) in [(&old, true), (&new, true), (&random_secret(48), false)] {
            let path = format!("/internal/users/{}/sessions/invalidate", uuid::Uuid::new_v4());
            let reply = api.send(api.request(reqwest::Method::POST, service, &path).bearer_auth(token)).await;
            assert_eq!(reply.status == 401, !accepted, "{service:?}: {reply}");
            assert!(reply.status < 500, "{service:?}: {reply}");
        }
    }
}

#[test]
fn a_malformed_url_stops_the_start_with_a_line_naming_it_without_its_value() {
    let dir = tempfile::tempdir().unwrap();
    let cases = [
        (Service::Authn, "TOKEN_SERVICE_URL", "htp:/token:hunter2"),
        (Service::Authn, "OIDC_ISSUER_URL", "hunter2"),
        // Tokens go to a front-end URL in its fragment: plain http only to a loopback host.
        (Service::Authn, "OIDC_FRONTEND_REDIRECT_URLS", "http://app.example.com/hunter2"),
        (Service::Authn, "REDIS_URL", "http://user:hunter2@redis"),
        (Service::Token, "SESSION_SERVICE_URL", "session.internal:hunter2"),
        (Service::Session, "JWKS_URL", "ftp://token/hunter2"),
        (Service::Session, "REDIS_URL", "redis//user:hunter2@redis"),
        (Service::Token, "OTEL_EXPORTER_OTLP_ENDPOINT", "collector:4318/hunter2"),
        (Service::Authn, "OTEL_EXPORTER_OTLP_ENDPOINT", "hunter2"),
        (Service::Session, "OTEL_EXPORTER_OTLP_ENDPOINT", "ftp://collector/hunter2"),
        (Service::Authn, "OIDC_FRONTEND_REDIRECT_URLS", "https://app.example.com/,hunter2"),
        (Service::Token, "SESSION_SERVICE_URL", "http://session.internal/#hunter2"),
        (Service::Authn, "TOKEN_SERVICE_URL", "file:///hunter2"),
    ];
    // Every URL setting of every service, named providers' included (they need OIDC_PROVIDERS).
    let cases = cases.into_iter().map(|(service, variable, value)| (service, variable, value, None)).chain([
        (Service::Authn, "OIDC_REDIRECT_URL", "hunter2", None),
        (Service::Authn, "OIDC_CORP_ISSUER_URL", "hunter2", Some(("OIDC_PROVIDERS", "corp"))),
        (Service::Authn, "OIDC_CORP_REDIRECT_URL", "//hunter2", Some(("OIDC_PROVIDERS", "corp"))),
    ]);
    for (service, variable, value, extra) in cases {
        let mut env = vec![("APP_ENV", "dev"), (variable, value)];
        env.extend(extra);
        let text = failed_start(service, dir.path(), &env);
        let line = format!("{}: invalid setting {variable}", service.binary_name());
        assert!(text.contains(&line), "{} must name {variable}: {text}", service.binary_name());
        assert!(!text.contains("hunter2"), "{} echoed the value of {variable}: {text}", service.binary_name());
        assert_eq!(text.trim().lines().count(), 1, "one line: {text}");
    }
}

#[test]
fn a_malformed_redis_topology_stops_the_start_with_a_line_naming_the_variable() {
    let dir = tempfile::tempdir().unwrap();
    let sentinels = "redis://:hunter2@10.0.0.1:26379,redis://10.0.0.2:26379";
    let cases: [(&str, &[(&str, &str)]); 4] = [
        ("REDIS_URL", &[("REDIS_URL", sentinels)]),
        ("REDIS_CLUSTER", &[("REDIS_URL", sentinels), ("REDIS_CLUSTER", "hunter2")]),
        ("REDIS_CLUSTER", &[("REDIS_URL", sentinels), ("REDIS_CLUSTER", "true"), ("REDIS_SENTINEL_MASTER", "m")]),
        (
            "REDIS_CA_FILE",
            &[("REDIS_URL", "rediss://:hunter2@redis:6380"), ("REDIS_CA_FILE", "/nonexistent/hunter2.pem")],
        ),
    ];
    for service in [Service::Authn, Service::Session] {
        for (variable, vars) in cases {
            let env: Vec<(&str, &str)> = [("APP_ENV", "dev")].into_iter().chain(vars.iter().copied()).collect();
            let text = failed_start(service, dir.path(), &env);
            let line = format!("{}: invalid setting {variable}", service.binary_name());
            assert!(text.contains(&line), "{} must name {variable}: {text}", service.binary_name());
            assert!(!text.contains("hunter2"), "{} echoed a value: {text}", service.binary_name());
            assert_eq!(text.trim().lines().count(), 1, "one line: {text}");
        }
    }
}

/// Starts `service` with only `env` (and a free `LISTEN_ADDR`), expects it to exit with a failure within
/// 10 s, and returns what it printed.
fn failed_start(service: Service, dir: &std::path::Path, env: &[(&str, &str)]) -> String {
    let mut command = GroupCommand::new(binary(service.binary_name()));
    command
        .env_clear()
        .env("PATH", std::env::var_os("PATH").unwrap_or_default())
        .env("LISTEN_ADDR", format!("127.0.0.1:{}", free_port()))
        .env("RUST_LOG", "warn")
        .current_dir(dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (name, value) in env {
        command.env(name, value);
    }
    let mut child = command.spawn().unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    let status = loop {
        if let Some(status) = child.try_wait().unwrap() {
            break status;
        }
        if Instant::now() > deadline {
            child.kill();
            panic!("{} kept running with {env:?}", service.binary_name());
        }
        std::thread::sleep(Duration::from_millis(50));
    };
    let output = child.wait_with_output().unwrap();
    let text = format!("{}{}", String::from_utf8_lossy(&output.stdout), String::from_utf8_lossy(&output.stderr));
    assert!(!status.success(), "{} must fail to start: {text}", service.binary_name());
    text
}

#[test]
fn malformed_introspection_credentials_stop_the_start_naming_the_variable_without_a_secret() {
    let dir = tempfile::tempdir().unwrap();
    for value in ["orders-api-hunter2", "orders-api:hunter2-0123456789,:hunter2-0123456789", "a:hunter2,a:hunter2x"] {
        let text =
            failed_start(Service::Token, dir.path(), &[("APP_ENV", "dev"), ("INTROSPECTION_CREDENTIALS", value)]);
        assert!(text.contains("token-service: invalid setting INTROSPECTION_CREDENTIALS"), "{value}: {text}");
        assert!(!text.contains("hunter2"), "the value was echoed: {text}");
        assert_eq!(text.trim().lines().count(), 1, "one line: {text}");
    }
}

/// Every secret given only as a `*_FILE` (the Docker and Kubernetes secret convention): the internal
/// token, the HS256 secret and the Redis URL (which holds the password) are read from files, with a
/// trailing newline as `echo` and editors leave it.
#[tokio::test]
async fn a_start_with_only_secret_files_signs_verifies_and_stores() {
    let redis = RedisServer::start();
    let dir = tempfile::tempdir().unwrap();
    let write = |name: &str, value: &str| {
        let path = dir.path().join(name);
        std::fs::write(&path, format!("{value}\n")).unwrap();
        path.display().to_string()
    };
    let internal_token = write("internal-api-token", &random_secret(48));
    let secret_key = write("secret-key", &random_secret(48));
    let redis_url = write("redis-url", &redis.url());
    let platform = Platform::builder()
        .env_remove(Service::Authn, "INTERNAL_API_TOKEN")
        .env_remove(Service::Token, "INTERNAL_API_TOKEN")
        .env_remove(Service::Session, "INTERNAL_API_TOKEN")
        .env_all("INTERNAL_API_TOKEN_FILE", internal_token)
        .env_remove(Service::Authn, "REDIS_URL")
        .env_remove(Service::Session, "REDIS_URL")
        .env(Service::Authn, "REDIS_URL_FILE", redis_url.clone())
        .env(Service::Session, "REDIS_URL_FILE", redis_url)
        .env_remove(Service::Token, "JWT_PRIVATE_KEY_FILE")
        .env_all("ALGORITHM", "HS256")
        .env(Service::Token, "SECRET_KEY_FILE", secret_key.clone())
        .env(Service::Session, "SECRET_KEY_FILE", secret_key)
        .start()
        .await;
    let api = platform.api();
    let (_, tokens) = api.signed_in().await;
    assert_eq!(jwt::header(&tokens.access_token)["alg"], json!("HS256"));
    api.session_status(&tokens.access_token).await.expect_status(200);
    let refreshed = token_response(api.refresh(&tokens.refresh_token).await.expect_status(200));
    api.session_status(&refreshed.access_token).await.expect_status(200);
    // Authn and token talk with the token from the file; sessions are in the Redis the file names.
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let stored: u64 = redis::cmd("DBSIZE").query_async(&mut connection).await.unwrap();
    assert!(stored > 0, "nothing stored in the Redis that REDIS_URL_FILE names");
}

/// A secret given both ways stops the start with one line naming both variables and neither value; an
/// unreadable secret file stops it naming the variable and the path.
#[tokio::test]
async fn a_secret_given_twice_or_an_unreadable_secret_file_stops_the_start() {
    let dir = tempfile::tempdir().unwrap();
    let token_file = dir.path().join("token");
    let token = random_secret(48);
    std::fs::write(&token_file, &token).unwrap();
    let cases = [
        (
            vec![("INTERNAL_API_TOKEN", token.clone()), ("INTERNAL_API_TOKEN_FILE", token_file.display().to_string())],
            "INTERNAL_API_TOKEN and INTERNAL_API_TOKEN_FILE",
        ),
        (vec![("INTERNAL_API_TOKEN_FILE", "/nonexistent/secret".to_owned())], "/nonexistent/secret"),
    ];
    for (vars, expected) in cases {
        let mut command = Command::new(binary("session-service"));
        command.env_clear().env("PATH", std::env::var_os("PATH").unwrap_or_default()).env("APP_ENV", "dev");
        for (name, value) in &vars {
            command.env(name, value);
        }
        let output = command.stdin(Stdio::null()).output().unwrap();
        let stderr = String::from_utf8_lossy(&output.stderr);
        assert!(!output.status.success(), "started with {vars:?}");
        assert!(stderr.contains(expected), "{stderr}");
        assert!(!stderr.contains(&token), "the secret is echoed: {stderr}");
    }
}
