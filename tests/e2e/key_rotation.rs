//! Signing key rotation: `JWT_PREVIOUS_KEY_FILES` keeps old tokens verifiable, the session service
//! re-fetches the JWKS when it meets an unknown `kid`, and a rotation across replicas with SIGHUP (no
//! restart) refuses no valid token and gives no 5xx under steady traffic.

use std::collections::BTreeSet;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e_tests::api::{Account, Api, Reply};
use e2e_tests::checks::{assert_invalid_token, token_response};
use e2e_tests::jwt;
use e2e_tests::platform::{Platform, Service, generate_private_key_pem};
use serde_json::json;

#[tokio::test]
async fn a_rotated_key_is_published_beside_the_new_one_and_both_verify() {
    let mut platform = Platform::start().await;
    let api = platform.api().clone();
    let (account, old) = api.signed_in().await;
    api.session_status(&old.access_token).await.expect_status(200);
    let old_kid = jwt::header(&old.access_token)["kid"].as_str().unwrap().to_owned();

    let new_key = platform.dir().join("jwt-new-key.pem");
    std::fs::write(&new_key, generate_private_key_pem()).unwrap();
    let old_key = platform.env(Service::Token)["JWT_PRIVATE_KEY_FILE"].clone();
    platform.stop_service(Service::Token);
    platform.set_env(Service::Token, "JWT_PRIVATE_KEY_FILE", new_key.display().to_string());
    platform.set_env(Service::Token, "JWT_PREVIOUS_KEY_FILES", old_key);
    platform.start_service(Service::Token).await;

    let jwks = api.jwks().await;
    jwks.expect_status(200);
    let keys = jwks.json()["keys"].as_array().cloned().unwrap_or_default();
    assert_eq!(keys.len(), 2, "the current and the previous key: {jwks}");
    assert!(keys.iter().any(|k| k["kid"] == json!(old_kid)), "the previous key keeps its kid: {jwks}");
    assert!(keys.iter().all(|k| k.get("d").is_none()), "{jwks}");

    let fresh = api.login_ok(&account).await;
    let new_kid = jwt::header(&fresh.access_token)["kid"].as_str().unwrap().to_owned();
    assert_ne!(new_kid, old_kid, "new tokens are signed with the new key");
    assert!(keys.iter().any(|k| k["kid"] == json!(new_kid)), "the new kid is published: {jwks}");
    // The session service has never seen the new kid: it re-fetches the JWKS.
    api.session_status(&fresh.access_token).await.expect_status(200);
    api.session_verify(&fresh.access_token).await.expect_status(200);
    // Tokens of the previous key still verify.
    api.session_status(&old.access_token).await.expect_status(200);
    let refreshed = api.refresh(&old.refresh_token).await;
    refreshed.expect_status(200);
    let refreshed = e2e_tests::checks::token_response(&refreshed);
    assert_eq!(jwt::header(&refreshed.access_token)["kid"], json!(new_kid));
}

/// Zero-downtime rotation across replicas, as the README's "Key rotation" steps do it: two token replicas
/// behind a round-robin nginx share two key files whose paths never change (`JWT_PRIVATE_KEY_FILE` and a
/// one-entry `JWT_PREVIOUS_KEY_FILES`; a previous key equal to the current one is not published twice, so
/// "previous = current" means "nothing previous"). Each step rewrites the files and signals each replica
/// with SIGHUP, one at a time:
///
/// 1. publish: previous = the new key; every replica publishes it, none signs with it;
/// 2. promote: current = the new key, previous = the old one; replicas switch one by one, and during the
///    switch the two sign with different keys, each key published by both;
/// 3. retire, once every token of the old key has expired (access lifetime plus the 30 s skew):
///    previous = current.
///
/// Steady traffic (three workers looping login, verify, refresh, verify, and re-verifying recent tokens,
/// with a short pause between rounds) runs throughout; no valid token may be refused and no request may
/// get a 5xx.
#[tokio::test]
async fn rotation_across_two_replicas_under_traffic_refuses_no_valid_token_and_gives_no_5xx() {
    let keys = tempfile::tempdir().unwrap();
    let current_file = keys.path().join("jwt-private-key.pem");
    let previous_file = keys.path().join("jwt-previous-key.pem");
    let old_pem = generate_private_key_pem();
    let new_pem = generate_private_key_pem();
    std::fs::write(&current_file, &old_pem).unwrap();
    std::fs::write(&previous_file, &old_pem).unwrap();
    let mut platform = Platform::builder()
        .token_replicas(2)
        .env(Service::Token, "JWT_PRIVATE_KEY_FILE", current_file.display().to_string())
        .env(Service::Token, "JWT_PREVIOUS_KEY_FILES", previous_file.display().to_string())
        .env(Service::Token, "ACCESS_TOKEN_EXPIRE_MINUTES", ACCESS_MINUTES.to_string())
        .start()
        .await;
    let api = platform.api().clone();
    let replicas = platform.token_replica_ports();
    let direct = reqwest::Client::builder().no_proxy().timeout(Duration::from_secs(5)).build().unwrap();

    let (_, first) = api.signed_in().await;
    let old_kid = jwt::header(&first.access_token)["kid"].as_str().unwrap().to_owned();
    for &port in &replicas {
        assert_eq!(published_kids(&direct, port).await, std::slice::from_ref(&old_kid), "one key to start with");
    }

    let traffic = Traffic::start(&api, 3).await;
    tokio::time::sleep(Duration::from_secs(3)).await;

    // 1. Publish the new key everywhere before anyone signs with it.
    std::fs::write(&previous_file, &new_pem).unwrap();
    for index in 0..replicas.len() {
        platform.hangup_token_replica(index);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    let new_kid = wait_for_kids(&direct, &replicas, 2, |kids| kids.len() == 2 && kids[0] == old_kid).await[1].clone();
    assert_ne!(new_kid, old_kid);
    tokio::time::sleep(Duration::from_secs(2)).await;
    assert!(!traffic.kids_seen().contains(&new_kid), "nobody signs with a key that is only published");

    // 2. Promote it, one replica at a time: meanwhile the two sign with different keys.
    std::fs::write(&current_file, &new_pem).unwrap();
    std::fs::write(&previous_file, &old_pem).unwrap();
    platform.hangup_token_replica(0);
    wait_for_kids(&direct, &replicas[..1], 2, |kids| kids == [new_kid.clone(), old_kid.clone()]).await;
    tokio::time::sleep(Duration::from_secs(3)).await;
    for index in 1..replicas.len() {
        platform.hangup_token_replica(index);
    }
    wait_for_kids(&direct, &replicas, 2, |kids| kids == [new_kid.clone(), old_kid.clone()]).await;
    let promoted = Instant::now();
    traffic.forget_kids();

    // A token of the old key that would outlive its retirement (forged with a long lifetime): every
    // replica introspects it as active, and remembers it verified (the verified-token cache).
    let (holder, held) = api.signed_in().await;
    let outliving =
        jwt::sign_eddsa(&old_pem, &old_kid, &jwt::valid_claims(&holder.user_id, &held.session_id, &holder.username));
    for &port in &replicas {
        assert!(introspected_active(&direct, port, api.internal_token(), &outliving).await, "replica on {port}");
    }

    // 3. Retire the old key once every token it signed has expired (lifetime plus the verifier's skew).
    let old_tokens_dead = Duration::from_secs(ACCESS_MINUTES * 60 + 30 + 2);
    tokio::time::sleep(old_tokens_dead.saturating_sub(promoted.elapsed())).await;
    assert_eq!(traffic.kids_seen(), BTreeSet::from([new_kid.clone()]), "after the promotion only the new key signs");
    std::fs::write(&previous_file, &new_pem).unwrap();
    for index in 0..replicas.len() {
        platform.hangup_token_replica(index);
        tokio::time::sleep(Duration::from_secs(1)).await;
    }
    wait_for_kids(&direct, &replicas, 2, |kids| kids == [new_kid.clone()]).await;
    for &port in &replicas {
        assert!(
            !introspected_active(&direct, port, api.internal_token(), &outliving).await,
            "the replica on {port} still vouches for a token it verified with the retired key"
        );
    }
    tokio::time::sleep(Duration::from_secs(3)).await;

    let report = traffic.stop().await;
    eprintln!("rotation under traffic: {} logins (each with a verify, a refresh and re-verifications)", report.logins);
    assert!(
        report.failures.is_empty(),
        "{} failures, first ones:\n{}",
        report.failures.len(),
        report.failures[..report.failures.len().min(10)].join("\n")
    );
    assert!(report.logins >= 20, "steady traffic throughout: only {} logins", report.logins);
    for (index, &port) in replicas.iter().enumerate() {
        let metrics =
            direct.get(format!("http://127.0.0.1:{port}/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(
            metrics.contains(r#"endpoint="/internal/tokens",method="POST",status="200""#),
            "replica {index} minted tokens (the balancer spreads the load):\n{metrics}"
        );
        let log = platform.token_replica_log(index);
        assert!(
            !log.contains("key reload failed"),
            "replica {index}:
{log}"
        );
    }

    // The session service drops the retired key too: once it re-fetches the JWKS (here forced by an
    // unknown kid, else within its periodic refresh), a token of the old key is refused.
    let (account, live) = api.signed_in().await;
    let claims = jwt::valid_claims(&account.user_id, &live.session_id, &account.username);
    let stranger = jwt::sign_eddsa(&generate_private_key_pem(), "a-kid-nobody-published", &claims);
    assert_invalid_token(&api.session_status(&stranger).await);
    assert_invalid_token(&api.session_status(&jwt::sign_eddsa(&old_pem, &old_kid, &claims)).await);
    api.session_status(&jwt::sign_eddsa(&new_pem, &new_kid, &claims)).await.expect_status(200);
    api.session_status(&live.access_token).await.expect_status(200);
}

#[tokio::test]
async fn a_sighup_with_a_broken_key_file_keeps_the_keys_in_force_and_logs_why() {
    let keys = tempfile::tempdir().unwrap();
    let key_file = keys.path().join("jwt-private-key.pem");
    std::fs::write(&key_file, generate_private_key_pem()).unwrap();
    let mut platform =
        Platform::builder().env(Service::Token, "JWT_PRIVATE_KEY_FILE", key_file.display().to_string()).start().await;
    let api = platform.api().clone();
    let (account, before) = api.signed_in().await;
    let jwks = api.jwks().await.body;

    std::fs::write(&key_file, "-----BEGIN PRIVATE KEY-----\nnot a key\n-----END PRIVATE KEY-----\n").unwrap();
    platform.hangup_token_replica(0);
    let deadline = Instant::now() + Duration::from_secs(5);
    while !platform.log(Service::Token).contains("key reload failed") {
        assert!(Instant::now() < deadline, "no failed reload logged:\n{}", platform.log(Service::Token));
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let log = platform.log(Service::Token);
    assert!(log.contains("JWT_PRIVATE_KEY_FILE"), "the log names the variable:\n{log}");
    // Still serving, with the keys it had.
    assert_eq!(api.jwks().await.body, jwks);
    let after = api.login_ok(&account).await;
    assert_eq!(jwt::header(&after.access_token)["kid"], jwt::header(&before.access_token)["kid"]);
    api.session_status(&after.access_token).await.expect_status(200);
    api.refresh(&before.refresh_token).await.expect_status(200);
}

/// The access-token lifetime of the rotation test: the old key is retired after it (plus the skew).
const ACCESS_MINUTES: u64 = 1;
/// Recent tokens are verified again while younger than this (well inside their lifetime).
const REVERIFY_WITHIN: Duration = Duration::from_secs(40);

/// Each traffic worker waits this long between rounds.
const PAUSE_BETWEEN_ROUNDS: Duration = Duration::from_millis(100);
/// Each traffic worker logs in as a new user after this many rounds (one session each): below
/// `MAX_SESSIONS_PER_USER` (100), so no session of the traffic is ended by the cap, and few enough
/// registrations that the workers, all on 127.0.0.1, stay well within `RATE_LIMIT_PER_MINUTE` (60).
const ROUNDS_PER_ACCOUNT: u32 = 60;

/// Whether one replica's `/token/introspect` calls `token` active.
async fn introspected_active(client: &reqwest::Client, port: u16, internal_token: &str, token: &str) -> bool {
    let answer: serde_json::Value = client
        .post(format!("http://127.0.0.1:{port}/token/introspect"))
        .bearer_auth(internal_token)
        .form(&[("token", token)])
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    answer["active"] == true
}

/// The kids a replica publishes, in its JWKS's order (the current key first).
async fn published_kids(client: &reqwest::Client, port: u16) -> Vec<String> {
    let url = format!("http://127.0.0.1:{port}/.well-known/jwks.json");
    let set: serde_json::Value = client.get(url).send().await.unwrap().json().await.unwrap();
    set["keys"].as_array().unwrap().iter().map(|key| key["kid"].as_str().unwrap().to_owned()).collect()
}

/// Waits until every replica of `ports` publishes kids satisfying `done` (a reload runs in the background
/// of the signal), and returns the last replica's kids.
async fn wait_for_kids(
    client: &reqwest::Client,
    ports: &[u16],
    seconds: u64,
    done: impl Fn(&[String]) -> bool,
) -> Vec<String> {
    let deadline = Instant::now() + Duration::from_secs(seconds);
    loop {
        let mut all = Vec::new();
        for &port in ports {
            all.push(published_kids(client, port).await);
        }
        if all.iter().all(|kids| done(kids)) {
            return all.pop().unwrap_or_default();
        }
        assert!(Instant::now() < deadline, "the replicas never published the expected keys after SIGHUP: {all:?}");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// What the traffic saw.
#[derive(Debug, Default)]
struct Report {
    failures: Vec<String>,
    logins: usize,
}

#[derive(Debug, Default)]
struct Seen {
    report: Report,
    kids: BTreeSet<String>,
    /// Bumped by `forget_kids`: a round records its kids only if none happened since it began, so a token
    /// minted before the forget but recorded after it (a round takes a login, a refresh and checks) does
    /// not count as seen after it.
    kids_epoch: u64,
    /// Access tokens of live sessions, with when they were minted, to verify again later.
    recent: Vec<(Instant, String)>,
}

/// Workers that each loop login → verify → refresh → verify → re-verify recent tokens, recording every
/// refusal of a valid token and every 5xx.
struct Traffic {
    stop: Arc<AtomicBool>,
    seen: Arc<Mutex<Seen>>,
    workers: Vec<tokio::task::JoinHandle<()>>,
}

impl Traffic {
    async fn start(api: &Api, workers: usize) -> Traffic {
        let stop = Arc::new(AtomicBool::new(false));
        let seen = Arc::new(Mutex::new(Seen::default()));
        let mut handles = Vec::new();
        for _ in 0..workers {
            let (api, stop, seen) = (api.clone(), Arc::clone(&stop), Arc::clone(&seen));
            handles.push(tokio::spawn(async move {
                // A fresh account now and then keeps each user's session count far below any per-user cap.
                let mut account = api.new_account().await;
                let mut rounds = 0_u32;
                while !stop.load(Ordering::Acquire) {
                    one_round(&api, &account, &seen).await;
                    // Steady, not saturating: the rest of the suite runs beside this test on few cores.
                    tokio::time::sleep(PAUSE_BETWEEN_ROUNDS).await;
                    rounds += 1;
                    if rounds.is_multiple_of(ROUNDS_PER_ACCOUNT) {
                        account = api.new_account().await;
                    }
                }
            }));
        }
        Traffic { stop, seen, workers: handles }
    }

    fn kids_seen(&self) -> BTreeSet<String> {
        self.seen.lock().unwrap().kids.clone()
    }

    fn forget_kids(&self) {
        let mut seen = self.seen.lock().unwrap();
        seen.kids.clear();
        seen.kids_epoch += 1;
    }

    async fn stop(self) -> Report {
        self.stop.store(true, Ordering::Release);
        let mut panics = Vec::new();
        for worker in self.workers {
            if let Err(error) = worker.await {
                panics.push(format!("a traffic worker failed: {error}"));
            }
        }
        let mut seen = self.seen.lock().unwrap();
        let mut report = std::mem::take(&mut seen.report);
        report.failures.extend(panics);
        report
    }
}

async fn one_round(api: &Api, account: &Account, seen: &Mutex<Seen>) {
    let record = |what: &str, reply: &Reply, expected: u16| {
        if reply.status != expected {
            seen.lock().unwrap().report.failures.push(format!("{what}: {reply}"));
            return false;
        }
        true
    };
    let epoch = seen.lock().unwrap().kids_epoch;
    let login = api.login(&account.username, &account.password).await;
    seen.lock().unwrap().report.logins += 1;
    if !record("login", &login, 200) {
        return;
    }
    let tokens = token_response(&login);
    let mut minted = vec![tokens.access_token.clone()];
    record("verify a fresh token", &api.session_verify(&tokens.access_token).await, 200);
    let refreshed = api.refresh(&tokens.refresh_token).await;
    if record("refresh", &refreshed, 200) {
        let refreshed = token_response(&refreshed);
        record("status with a refreshed token", &api.session_status(&refreshed.access_token).await, 200);
        minted.push(refreshed.access_token);
    }
    let recent: Vec<String> = {
        let mut seen = seen.lock().unwrap();
        let counted = seen.kids_epoch == epoch;
        for token in &minted {
            if counted {
                seen.kids.insert(jwt::header(token)["kid"].as_str().unwrap_or_default().to_owned());
            }
            seen.recent.push((Instant::now(), token.clone()));
        }
        seen.recent.retain(|(at, _)| at.elapsed() < REVERIFY_WITHIN);
        let len = seen.recent.len();
        seen.recent[len.saturating_sub(6)..].iter().map(|(_, token)| token.clone()).collect()
    };
    for token in recent {
        record("verify a recent token", &api.session_verify(&token).await, 200);
    }
}

/// HS256 rotation without a restart, as the README's "Rotating the HS256 secret" does it: the secret
/// file both services read (`SECRET_KEY_FILE`) is rewritten, the session service is sent SIGHUP first
/// (it then accepts the new and the previous secret), then the token service (it signs with the new
/// one). Tokens of either secret verify; a broken file on the next SIGHUP keeps both in force.
#[tokio::test]
async fn sighup_rereads_the_hs256_secret_file_and_old_tokens_stay_valid() {
    let dir = tempfile::tempdir().unwrap();
    let secret_file = dir.path().join("secret-key");
    std::fs::write(&secret_file, format!("{}\n", e2e_tests::platform::random_secret(48))).unwrap();
    let secret_path = secret_file.display().to_string();
    let mut platform = Platform::builder()
        .env_remove(Service::Token, "JWT_PRIVATE_KEY_FILE")
        .env_all("ALGORITHM", "HS256")
        .env(Service::Token, "SECRET_KEY_FILE", secret_path.clone())
        .env(Service::Session, "SECRET_KEY_FILE", secret_path)
        .env(Service::Session, "RUST_LOG", "warn,session_service::secret_reload=info")
        .start()
        .await;
    let api = platform.api().clone();
    let (account, old) = api.signed_in().await;
    let old_kid = jwt::header(&old.access_token)["kid"].clone();

    std::fs::write(&secret_file, format!("{}\n", e2e_tests::platform::random_secret(48))).unwrap();
    platform.hangup(Service::Session);
    wait_for_log(&platform, Service::Session, "SECRET_KEY_FILE reloaded").await;
    platform.hangup(Service::Token);
    let fresh = wait_for_new_kid(&api, &account, &old_kid).await;
    api.session_status(&fresh.access_token).await.expect_status(200);
    api.session_status(&old.access_token).await.expect_status(200);
    let refreshed = token_response(api.refresh(&old.refresh_token).await.expect_status(200));
    assert_eq!(jwt::header(&refreshed.access_token)["kid"], jwt::header(&fresh.access_token)["kid"]);

    // A broken file: the reload fails, logs why, and both secrets stay in force.
    std::fs::write(&secret_file, "short\n").unwrap();
    platform.hangup(Service::Session);
    platform.hangup(Service::Token);
    wait_for_log(&platform, Service::Session, "secret reload failed").await;
    wait_for_log(&platform, Service::Token, "key reload failed").await;
    api.session_status(&old.access_token).await.expect_status(200);
    api.session_status(&fresh.access_token).await.expect_status(200);
    let after = api.login_ok(&account).await;
    assert_eq!(jwt::header(&after.access_token)["kid"], jwt::header(&fresh.access_token)["kid"]);
    api.session_status(&after.access_token).await.expect_status(200);
}

async fn wait_for_log(platform: &Platform, service: Service, text: &str) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !platform.log(service).contains(text) {
        assert!(Instant::now() < deadline, "{} never logged {text:?}", service.binary_name());
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Logs in until the token service signs with a kid other than `old_kid` (the SIGHUP is asynchronous).
async fn wait_for_new_kid(api: &Api, account: &Account, old_kid: &serde_json::Value) -> e2e_tests::api::Tokens {
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let tokens = api.login_ok(account).await;
        if jwt::header(&tokens.access_token)["kid"] != *old_kid {
            return tokens;
        }
        assert!(Instant::now() < deadline, "the token service never took the new secret");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}
