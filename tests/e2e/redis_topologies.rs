//! The core flows through the real binaries on each Redis topology the README's "Scaling" section
//! documents: a TLS-only server with a private CA (`rediss://` + `REDIS_CA_FILE`), a Sentinel group
//! (`REDIS_SENTINEL_MASTER`) and a three-master Cluster (`REDIS_CLUSTER=true`). And the failover: steady
//! traffic while Sentinel's master is killed, with the seconds of 503 and the acknowledged revocations
//! and rotations that came back to life (there must be none) printed.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use e2e_tests::api::{Api, Tokens};
use e2e_tests::checks::{assert_invalid_token, assert_problem, assert_unauthorized, state_cookie, token_response};
use e2e_tests::oidc_provider::{Browser, Consent, OidcProvider, ProviderOptions};
use e2e_tests::platform::{Platform, PlatformBuilder, Service};
use serde_json::json;
use test_support::{RedisCluster, SentinelGroup, TlsRedisServer, free_port};

const CLIENT_ID: &str = "auth-platform-topologies";
const CLIENT_SECRET: &str = "topologies-client-secret-0123456789";

/// Points authn and session (the two services that keep data in Redis) at a topology.
fn redis_env(mut builder: PlatformBuilder, vars: &[(&str, String)]) -> PlatformBuilder {
    for service in [Service::Authn, Service::Session] {
        for (key, value) in vars {
            builder = builder.env(service, key, value.clone());
        }
    }
    builder
}

/// A platform on the topology `vars` describe, with SSO against a real OpenID Connect provider (whose
/// login state authn keeps in Redis) and a low lockout threshold.
async fn platform_on(vars: &[(&str, String)]) -> (Platform, OidcProvider, String) {
    let authn_port = free_port();
    let callback = format!("http://127.0.0.1:{authn_port}/oauth/callback");
    let idp = OidcProvider::start(ProviderOptions::new(CLIENT_ID, CLIENT_SECRET, &callback)).await;
    let builder = Platform::builder()
        .port(Service::Authn, authn_port)
        .env(Service::Authn, "OIDC_ISSUER_URL", idp.issuer())
        .env(Service::Authn, "OIDC_CLIENT_ID", CLIENT_ID)
        .env(Service::Authn, "OIDC_CLIENT_SECRET", CLIENT_SECRET)
        .env(Service::Authn, "OIDC_REDIRECT_URL", callback.clone())
        .env(Service::Authn, "LOGIN_MAX_FAILURES", "3")
        .env(Service::Authn, "LOGIN_LOCKOUT_SECONDS", "120");
    let platform = redis_env(builder, vars).start().await;
    (platform, idp, callback)
}

/// `/readyz` of authn and session is 200 and its redis check names `topology` (within 5 s: after a
/// failover, the first request on a pooled connection to the dead master fails, and replaces it).
async fn assert_ready_on(api: &Api, topology: &str) {
    for service in [Service::Authn, Service::Session] {
        let deadline = Instant::now() + Duration::from_secs(5);
        let mut reply = api.get(service, "/readyz").await;
        while reply.status != 200 && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(100)).await;
            reply = api.get(service, "/readyz").await;
        }
        reply.expect_status(200);
        let checks = reply.json()["checks"].clone();
        let redis = checks
            .as_array()
            .and_then(|checks| checks.iter().find(|check| check["name"] == "redis"))
            .unwrap_or_else(|| panic!("no redis check: {reply}"))
            .clone();
        let detail = redis["detail"].as_str().unwrap_or_default();
        assert!(detail.starts_with(topology), "{service:?} /readyz should report {topology:?}: {reply}");
    }
}

/// The masters of `cluster` holding a key that names one of `user_ids`.
fn masters_holding(cluster: &RedisCluster, user_ids: &[String]) -> HashSet<u16> {
    user_ids
        .iter()
        .flat_map(|user_id| {
            cluster.ports().into_iter().filter(move |&port| {
                cluster
                    .cli(port, &["--scan", "--pattern", &format!("*{user_id}*")])
                    .is_some_and(|keys| !keys.trim().is_empty())
            })
        })
        .collect()
}

/// Register, login, refresh with rotation and reuse detection, revoke, invalidate-all over `users`
/// accounts (on a cluster, checked first to have keys on several masters), the lockout, and an SSO
/// login whose state is single-use.
async fn core_flows(platform: &Platform, callback: &str, users: usize, cluster: Option<&RedisCluster>) {
    let api = platform.api();

    // Register and login; refresh rotates; the rotated token presented again ends the session.
    let (account, first) = api.signed_in().await;
    api.session_status(&first.access_token).await.expect_status(200);
    let rotated = api.refresh(&first.refresh_token).await;
    rotated.expect_status(200);
    let second = token_response(&rotated);
    api.session_verify(&second.access_token).await.expect_status(200);
    let reuse = api.refresh(&first.refresh_token).await;
    assert_unauthorized(&reuse);
    assert_eq!(reuse.json()["type"], "urn:auth-platform:problem:refresh-token-reused", "{reuse}");
    assert_invalid_token(&api.session_status(&second.access_token).await);
    assert_unauthorized(&api.refresh(&second.refresh_token).await);

    // Revoke one access token: refused, while the user's other session goes on.
    let revoked = api.login_ok(&account).await;
    let other = api.login_ok(&account).await;
    api.revoke(&revoked.access_token).await.expect_status(200);
    assert_invalid_token(&api.session_verify(&revoked.access_token).await);
    api.session_verify(&other.access_token).await.expect_status(200);

    // Invalidate-all over several users (on a cluster their keys land on different nodes).
    let mut user_ids = Vec::new();
    let mut everyone: Vec<(Tokens, Tokens)> = Vec::new();
    for _ in 0..users {
        let (account, one) = api.signed_in().await;
        let two = api.login_ok(&account).await;
        user_ids.push(account.user_id.clone());
        everyone.push((one, two));
    }
    if let Some(cluster) = cluster {
        let masters = masters_holding(cluster, &user_ids);
        assert!(masters.len() >= 2, "the {users} users' sessions should span several masters, found {masters:?}");
    }
    for (one, two) in &everyone {
        // A refresh first, so that a session has a rotated-hash list for logout-all to delete.
        api.refresh(&one.refresh_token).await.expect_status(200);
        let ended = api.session_invalidate(&one.access_token, Some(&json!({"all": true}))).await;
        ended.expect_status(200);
        assert_eq!(ended.json()["invalidated"], json!(2), "{ended}");
        assert_invalid_token(&api.session_verify(&two.access_token).await);
        assert_unauthorized(&api.refresh(&two.refresh_token).await);
    }
    if let Some(cluster) = cluster {
        // Every session key of each user is gone from the user's master, the refreshed sessions' rotated-
        // hash lists included (deleted after the script, through the cluster connection).
        let left: Vec<String> = user_ids
            .iter()
            .filter_map(|user_id| {
                let master = cluster.master_port_of(&format!("session:{{{user_id}}}:s"));
                cluster.cli(master, &["--scan", "--pattern", &format!("session:{{{user_id}}}:*")])
            })
            .flat_map(|keys| keys.lines().filter(|key| !key.trim().is_empty()).map(str::to_owned).collect::<Vec<_>>())
            .collect();
        assert!(left.is_empty(), "session keys left after logout-all: {left:?}");
    }

    // The lockout counters: three failures lock even the right password out.
    let locked = api.new_account().await;
    for attempt in 1..=3 {
        let reply = api.login(&locked.username, "wrong password").await;
        assert_eq!(reply.status, 401, "failure {attempt}: {reply}");
    }
    assert_problem(&api.login(&locked.username, &locked.password).await, 429);

    // SSO: the login state authn stored in Redis lets the callback through once.
    let authorization = api.get(Service::Authn, "/oauth/login").await;
    authorization.expect_status(302);
    let location = authorization.header("location").unwrap_or_default().to_owned();
    let url = Browser::new().sign_in(&location, "jane", Consent::Grant, callback).await;
    let base = api.url(Service::Authn, "");
    let path = url.strip_prefix(&base).unwrap_or_else(|| panic!("{url} is not at authn"));
    // The browser that started the login sends its state cookie back.
    let cookie = state_cookie(&authorization);
    let callback = || api.send(api.request(reqwest::Method::GET, Service::Authn, path).header("cookie", &cookie));
    let reply = callback().await;
    reply.expect_status(200);
    let sso = token_response(&reply);
    api.session_verify(&sso.access_token).await.expect_status(200);
    // Single-use: the same browser replaying the callback is refused.
    assert_problem(&callback().await, 400);
}

#[tokio::test]
async fn core_flows_over_tls_with_a_private_ca() {
    let redis = TlsRedisServer::start_with_password(Some("tls-pass-123"));
    let vars = [("REDIS_URL", redis.url()), ("REDIS_CA_FILE", redis.ca_file().display().to_string())];
    let (platform, _idp, callback) = platform_on(&vars).await;
    assert_ready_on(platform.api(), "standalone").await;
    core_flows(&platform, &callback, 3, None).await;
    let keys = redis.cli(&["DBSIZE"]).unwrap_or_default();
    assert!(keys.trim().parse::<u64>().unwrap_or(0) > 0, "the data is on the TLS server: DBSIZE {keys}");
}

#[tokio::test]
async fn a_server_certificate_from_another_ca_is_refused() {
    let redis = TlsRedisServer::start();
    let vars = [("REDIS_URL", redis.url()), ("REDIS_CA_FILE", redis.other_ca_file().display().to_string())];
    let platform = redis_env(Platform::builder(), &vars).start().await;
    let api = platform.api();
    let reply = api.get(Service::Session, "/readyz").await;
    assert_problem(&reply, 503);
    assert_problem(&api.register("mallory", "a long enough password").await, 503);
}

#[tokio::test]
async fn core_flows_through_sentinel() {
    let group = SentinelGroup::start();
    let vars = [("REDIS_URL", group.url()), ("REDIS_SENTINEL_MASTER", group.master_name().to_owned())];
    let (platform, _idp, callback) = platform_on(&vars).await;
    let master = group.master_port().expect("a master");
    assert_ready_on(platform.api(), &format!("sentinel, master 127.0.0.1:{master}")).await;
    core_flows(&platform, &callback, 3, None).await;
}

#[tokio::test]
async fn core_flows_on_a_three_master_cluster() {
    let cluster = RedisCluster::start();
    let vars = [("REDIS_URL", cluster.url()), ("REDIS_CLUSTER", "true".to_owned())];
    let (platform, _idp, callback) = platform_on(&vars).await;
    assert_ready_on(platform.api(), "cluster").await;
    core_flows(&platform, &callback, 9, Some(&cluster)).await;
}

/// What the traffic of the failover test saw.
#[derive(Debug, Default)]
struct Traffic {
    requests: u64,
    unavailable: u64,
    /// Neither the expected answer nor a 503.
    unexpected: Vec<String>,
    first_503: Option<Instant>,
    last_503: Option<Instant>,
    /// Refresh tokens whose rotation was acknowledged (200): each must never work again.
    rotated: Vec<String>,
    /// Access tokens whose revocation was acknowledged (200): each must stay refused.
    revoked: Vec<String>,
}

impl Traffic {
    fn saw(&mut self, status: u16, expected: u16, what: &str) {
        self.requests += 1;
        if status == 503 {
            self.unavailable += 1;
            let now = Instant::now();
            self.first_503.get_or_insert(now);
            self.last_503 = Some(now);
        } else if status != expected {
            self.unexpected.push(format!("{what}: {status}"));
        }
    }
}

/// One client: logs in, then verifies, refreshes (rotation) and revokes its previous access token in
/// a loop until `stop`; logs in again whenever its session is gone.
async fn client_loop(api: Api, account: e2e_tests::api::Account, traffic: Arc<Mutex<Traffic>>, stop: Instant) {
    let mut tokens: Option<Tokens> = None;
    while Instant::now() < stop {
        let Some(current) = tokens.clone() else {
            let reply = api.login(&account.username, &account.password).await;
            traffic.lock().unwrap().saw(reply.status, 200, "login");
            if reply.status == 200 {
                tokens = Some(token_response(&reply));
            } else {
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
            continue;
        };
        let verify = api.session_verify(&current.access_token).await;
        traffic.lock().unwrap().saw(verify.status, 200, "verify");
        let refresh = api.refresh(&current.refresh_token).await;
        match refresh.status {
            200 => {
                let next = token_response(&refresh);
                let revoke = api.revoke(&current.access_token).await;
                let mut seen = traffic.lock().unwrap();
                seen.saw(200, 200, "refresh");
                seen.rotated.push(current.refresh_token.clone());
                seen.saw(revoke.status, 200, "revoke");
                if revoke.status == 200 {
                    seen.revoked.push(current.access_token.clone());
                }
                tokens = Some(next);
            }
            401 => {
                // A rotation answered 503 may still have happened (on the master, not acknowledged):
                // its token is then "reused" and the session ends. Not an acknowledged write: log in again.
                traffic.lock().unwrap().requests += 1;
                tokens = None;
            }
            status => {
                traffic.lock().unwrap().saw(status, 200, "refresh");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn a_sentinel_failover_during_traffic_loses_no_acknowledged_revocation_or_rotation() {
    let mut group = SentinelGroup::start();
    let vars = [("REDIS_URL", group.url()), ("REDIS_SENTINEL_MASTER", group.master_name().to_owned())];
    let platform = redis_env(Platform::builder(), &vars).start().await;
    let api = platform.api().clone();
    let mut accounts = Vec::new();
    for _ in 0..4 {
        accounts.push(api.new_account().await);
    }

    let traffic = Arc::new(Mutex::new(Traffic::default()));
    let started = Instant::now();
    let stop = started + Duration::from_secs(14);
    let clients: Vec<_> = accounts
        .into_iter()
        .map(|account| tokio::spawn(client_loop(api.clone(), account, Arc::clone(&traffic), stop)))
        .collect();
    tokio::time::sleep(Duration::from_secs(3)).await;
    let killed_at = Instant::now();
    let old = group.kill_master();
    let (new, promoted_after) = tokio::task::block_in_place(|| group.wait_for_new_master(old, Duration::from_secs(30)));
    for client in clients {
        client.await.expect("a client loop");
    }
    let traffic = Arc::try_unwrap(traffic).expect("the clients are done").into_inner().unwrap();

    // Every acknowledged rotation and revocation still holds on the new master.
    let mut revived_rotations = 0;
    for refresh_token in &traffic.rotated {
        let reply = api.refresh(refresh_token).await;
        assert_ne!(reply.status, 503, "the platform recovered: {reply}");
        if reply.status == 200 {
            revived_rotations += 1;
        }
    }
    let mut revived_revocations = 0;
    for access_token in &traffic.revoked {
        let reply = api.session_verify(access_token).await;
        if reply.status == 200 {
            revived_revocations += 1;
        }
    }
    assert_ready_on(&api, &format!("sentinel, master 127.0.0.1:{new}")).await;
    let window = match (traffic.first_503, traffic.last_503) {
        (Some(first), Some(last)) => (last - first).as_secs_f64(),
        _ => 0.0,
    };
    let since_kill = traffic.last_503.map_or(0.0, |last| last.saturating_duration_since(killed_at).as_secs_f64());
    println!(
        "failover figures: sentinel promoted the replica {:.1} s after the master was killed; 503s for {window:.1} s \
         (last one {since_kill:.1} s after the kill); {} of {} requests answered 503; {} rotations and {} revocations \
         acknowledged; revived afterwards: {revived_rotations} rotations, {revived_revocations} revocations; \
         unexpected answers: {}",
        promoted_after.as_secs_f64(),
        traffic.unavailable,
        traffic.requests,
        traffic.rotated.len(),
        traffic.revoked.len(),
        traffic.unexpected.len()
    );
    assert!(traffic.rotated.len() > 10 && traffic.revoked.len() > 10, "the traffic ran: {traffic:?}");
    assert_eq!(revived_rotations, 0, "an acknowledged rotation was lost in the failover");
    assert_eq!(revived_revocations, 0, "an acknowledged revocation was lost in the failover");
    assert!(traffic.unexpected.is_empty(), "answers other than the expected or 503: {:?}", traffic.unexpected);
}

/// The sum of `MEMORY USAGE` over every key, and `used_memory`, of the platform's Redis.
async fn redis_bytes(connection: &mut redis::aio::MultiplexedConnection) -> (u64, u64) {
    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query_async(connection).await.unwrap();
    let mut total = 0;
    for key in keys {
        let bytes: Option<u64> =
            redis::cmd("MEMORY").arg("USAGE").arg(&key).arg("SAMPLES").arg(0).query_async(connection).await.unwrap();
        total += bytes.unwrap_or(0);
    }
    let info: String = redis::cmd("INFO").arg("memory").query_async(connection).await.unwrap();
    let used = info
        .lines()
        .find_map(|line| line.strip_prefix("used_memory:"))
        .and_then(|value| value.trim().parse().ok())
        .unwrap_or(0);
    (total, used)
}

/// For the README's sizing guide: what an account and a session cost in Redis, measured with
/// `MEMORY USAGE` on every key after registrations, then after logins. Printed, not asserted.
#[tokio::test]
async fn redis_bytes_per_account_and_per_session_are_printed() {
    const USERS: u64 = 50;
    const SESSIONS_PER_USER: u64 = 4;
    let platform = Platform::start().await;
    let api = platform.api();
    let client = redis::Client::open(platform.redis().url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let (keys_before, used_before) = redis_bytes(&mut connection).await;
    let mut accounts = Vec::new();
    for _ in 0..USERS {
        accounts.push(api.new_account().await);
    }
    let (keys_accounts, used_accounts) = redis_bytes(&mut connection).await;
    for account in &accounts {
        for _ in 0..SESSIONS_PER_USER {
            api.login_ok(account).await;
        }
    }
    let (keys_sessions, used_sessions) = redis_bytes(&mut connection).await;
    let sessions = USERS * SESSIONS_PER_USER;
    println!(
        "redis bytes: per account {} (MEMORY USAGE of its keys) / {} (used_memory); per session {} / {}",
        (keys_accounts - keys_before) / USERS,
        used_accounts.saturating_sub(used_before) / USERS,
        (keys_sessions - keys_accounts) / sessions,
        used_sessions.saturating_sub(used_accounts) / sessions,
    );
    assert!(keys_sessions > keys_accounts, "the sessions are in Redis");
}
