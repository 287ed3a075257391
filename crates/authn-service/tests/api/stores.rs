//! One contract per storage trait, run against the Redis and the in-memory implementation alike.

use crate::helpers::{PASSWORD, StandInTokenService, TestRedis, http_client, start, test_settings};
use auth_proto::clock;
use authn_service::domain::{Email, UserId, Username};
use authn_service::error::Error;
use authn_service::hashing::PasswordHash;
use authn_service::lockout::memory_store::MemoryFailureStore;
use authn_service::lockout::redis_store::RedisFailureStore;
use authn_service::lockout::{FailureStore, FailureSubject, LockoutPolicy, Reservation};
use authn_service::oidc::flow_state::{FlowState, FlowStateStore, MemoryFlowStateStore, RedisFlowStateStore, StateKey};
use authn_service::rate_limit::RateLimiter;
use authn_service::users::memory_store::MemoryUserStore;
use authn_service::users::redis_store::{RedisUserStore, migrate_layout};
use authn_service::users::{ExternalIdentity, IdentityCreateConflict, User, UserStore};
use redis_kit::{RedisPool, RedisTimeouts};
use std::time::Duration;

fn user(name: &str) -> User {
    User {
        id: UserId::generate(),
        username: Username::parse(name).expect("valid"),
        password_hash: Some(PasswordHash::from_stored("$argon2id$v=19$m=8,t=1,p=1$c2FsdHNhbHQ$aGFzaA".to_owned())),
        email: Some(Email::parse("someone@example.com").expect("valid")),
        email_verified: false,
        display_name: None,
        disabled: false,
        created_at: clock::now(),
    }
}

async fn user_store_contract(store: impl UserStore) {
    let alice = user("alice");
    store.create(&alice).await.expect("create");
    let name = |raw: &str| Username::parse(raw).expect("valid");
    assert_eq!(store.find_by_username(&name("ALICE")).await.expect("find"), Some(alice.clone()));
    assert_eq!(store.find_by_id(&alice.id).await.expect("find"), Some(alice.clone()));
    assert_eq!(store.find_by_username(&name("bob")).await.expect("find"), None);
    assert_eq!(store.find_by_id(&UserId::generate()).await.expect("find"), None);

    assert!(matches!(store.create(&user("Alice")).await, Err(Error::UsernameTaken)));
    assert_eq!(store.find_by_username(&name("alice")).await.expect("find").map(|u| u.id), Some(alice.id));

    let passwordless = User { password_hash: None, email: None, ..user("sso-user") };
    store.create(&passwordless).await.expect("create");
    assert_eq!(store.find_by_id(&passwordless.id).await.expect("find"), Some(passwordless));

    assert!(store.set_disabled(&alice.id, true).await.expect("disable"));
    assert!(store.find_by_id(&alice.id).await.expect("find").expect("exists").disabled);
    assert!(store.set_disabled(&alice.id, false).await.expect("enable"));
    assert!(!store.find_by_id(&alice.id).await.expect("find").expect("exists").disabled);
    let stranger = UserId::generate();
    assert!(!store.set_disabled(&stranger, true).await.expect("no such user"));
    assert_eq!(store.find_by_id(&stranger).await.expect("find"), None, "no half-account was created");

    // A rehash replaces only the hash it was given.
    let old = alice.password_hash.clone().expect("has one");
    let fresh = PasswordHash::from_stored("$argon2id$v=19$m=16,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2g".to_owned());
    assert!(store.replace_password_hash(&alice.id, &old, &fresh).await.expect("replace"));
    assert_eq!(store.find_by_id(&alice.id).await.expect("find").expect("exists").password_hash, Some(fresh.clone()));
    assert!(!store.replace_password_hash(&alice.id, &old, &old).await.expect("stale"), "changed meanwhile");
    assert!(!store.replace_password_hash(&stranger, &old, &fresh).await.expect("no such user"));
    assert_eq!(store.find_by_id(&stranger).await.expect("find"), None, "no half-account was created");

    identity_contract(&store, &alice).await;
}

/// External identities (single sign-on): found by (issuer, subject), taken atomically with the
/// username, linkable to an existing account once, and emails indexed case-insensitively.
async fn identity_contract(store: &impl UserStore, alice: &User) {
    let identity =
        |issuer: &str, subject: &str| ExternalIdentity { issuer: issuer.to_owned(), subject: subject.to_owned() };
    let idp = identity("https://idp.example.com", "248289761001");
    assert_eq!(store.find_by_identity(&idp).await.expect("find"), None);

    let sso = User {
        password_hash: None,
        email: Some(Email::parse("Jane@Example.com").expect("valid")),
        email_verified: true,
        display_name: Some("Jane Doe".to_owned()),
        ..user("jane")
    };
    assert_eq!(store.create_with_identity(&sso, &idp).await.expect("create"), Ok(()));
    assert_eq!(store.find_by_identity(&idp).await.expect("find"), Some(sso.clone()));
    assert_eq!(store.find_by_username(&sso.username).await.expect("find"), Some(sso.clone()));

    // The same identity again (a concurrent first login) and a taken username create nothing.
    let again = User { username: Username::parse("jane-2").expect("valid"), ..user("jane-2") };
    assert_eq!(
        store.create_with_identity(&again, &idp).await.expect("create"),
        Err(IdentityCreateConflict::IdentityTaken)
    );
    assert_eq!(store.find_by_id(&again.id).await.expect("find"), None, "nothing written");
    assert_eq!(store.find_by_username(&again.username).await.expect("find"), None, "username not taken");
    let other_idp = identity("https://other.example.com", "248289761001");
    let clash = user("JANE");
    assert_eq!(
        store.create_with_identity(&clash, &other_idp).await.expect("create"),
        Err(IdentityCreateConflict::UsernameTaken)
    );
    assert_eq!(store.find_by_identity(&other_idp).await.expect("find"), None, "identity not taken");

    // The subject is unique per issuer only; issuers with ports and subjects with colons don't collide.
    assert_eq!(
        store.find_by_identity(&identity("https://idp.example.com:443", "248289761001")).await.expect("find"),
        None
    );
    let tricky = identity("https://idp.example.com", "443:248289761001");
    assert_eq!(store.find_by_identity(&tricky).await.expect("find"), None);

    // Linking: once per identity, only to an existing account.
    assert!(store.link_identity(&alice.id, &other_idp).await.expect("link"));
    assert_eq!(store.find_by_identity(&other_idp).await.expect("find").map(|u| u.id), Some(alice.id));
    assert!(!store.link_identity(&sso.id, &other_idp).await.expect("link"), "already linked");
    assert!(!store.link_identity(&UserId::generate(), &tricky).await.expect("link"), "no such account");
    assert_eq!(store.find_by_identity(&tricky).await.expect("find"), None);

    // Emails: every account with the address, whatever its case.
    let by_email = store.find_by_email(&Email::parse("jane@example.COM").expect("valid")).await.expect("find");
    assert_eq!(by_email, vec![sso]);
    let mut shared: Vec<_> = store
        .find_by_email(&Email::parse("someone@example.com").expect("valid"))
        .await
        .expect("find")
        .into_iter()
        .map(|u| u.id)
        .collect();
    shared.sort_by_key(ToString::to_string);
    assert!(shared.contains(&alice.id), "registered accounts are indexed by email: {shared:?}");
    assert!(store.find_by_email(&Email::parse("nobody@example.com").expect("valid")).await.expect("find").is_empty());
}

async fn failure_store_contract(store: impl FailureStore) {
    let alice = FailureSubject::Username(Username::parse("alice").expect("valid"));
    let address = FailureSubject::Address("203.0.113.9".parse().expect("ip"));
    let policy = LockoutPolicy { max_failures: 3, window: Duration::from_secs(1) };
    let refused = |reservation: Reservation| match reservation {
        Reservation::Refused { resets_in } => resets_in,
        Reservation::Granted => panic!("expected a refusal"),
    };

    for _ in 0..3 {
        assert_eq!(store.reserve(&alice, policy).await.expect("reserve"), Reservation::Granted);
    }
    let left = refused(store.reserve(&alice, policy).await.expect("reserve"));
    assert!(left > Duration::ZERO && left <= policy.window, "{left:?}");
    store.give_back(&alice).await.expect("give back");
    assert_eq!(store.reserve(&alice, policy).await.expect("reserve"), Reservation::Granted, "one came back");
    refused(store.reserve(&alice, policy).await.expect("reserve"));
    store.clear(&alice).await.expect("clear");
    assert_eq!(store.reserve(&alice, policy).await.expect("reserve"), Reservation::Granted, "cleared");
    // Giving back never goes below zero: three more are still there after extra give-backs.
    for _ in 0..3 {
        store.give_back(&address).await.expect("give back");
    }

    // The attempt that reaches the limit restarts the window: the lockout lasts a full window.
    store.reserve(&address, policy).await.expect("reserve");
    store.reserve(&address, policy).await.expect("reserve");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(store.reserve(&address, policy).await.expect("reserve"), Reservation::Granted);
    assert!(refused(store.reserve(&address, policy).await.expect("reserve")) > Duration::from_millis(900));
    tokio::time::sleep(Duration::from_millis(700)).await;
    refused(store.reserve(&address, policy).await.expect("reserve"));
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(store.reserve(&address, policy).await.expect("reserve"), Reservation::Granted, "window passed");
}

/// Forty simultaneous reservations for one subject, half through each of two stores over one backend
/// (two replicas): exactly the limit are granted.
async fn concurrent_reservations(first: impl FailureStore, second: impl FailureStore) {
    let alice = FailureSubject::Username(Username::parse("alice").expect("valid"));
    let policy = LockoutPolicy { max_failures: 5, window: Duration::from_secs(60) };
    let mut tasks = Vec::new();
    for n in 0..40 {
        let (first, second, alice) = (first.clone(), second.clone(), alice.clone());
        tasks.push(tokio::spawn(async move {
            if n % 2 == 0 { first.reserve(&alice, policy).await } else { second.reserve(&alice, policy).await }
        }));
    }
    let mut granted = 0;
    for task in tasks {
        granted += usize::from(task.await.expect("joined").expect("reserve") == Reservation::Granted);
    }
    assert_eq!(granted, 5);
}

fn redis_pool(redis: &TestRedis) -> RedisPool {
    RedisPool::new(&redis.url().parse().expect("a redis url"), RedisTimeouts::default()).expect("pool")
}

#[tokio::test]
async fn the_memory_user_store_keeps_the_contract() {
    user_store_contract(MemoryUserStore::default()).await;
}

#[tokio::test]
async fn the_redis_user_store_keeps_the_contract() {
    let redis = TestRedis::start().await;
    user_store_contract(RedisUserStore::new(redis_pool(&redis))).await;
}

#[tokio::test]
async fn the_memory_failure_store_keeps_the_contract() {
    failure_store_contract(MemoryFailureStore::default()).await;
}

#[tokio::test]
async fn the_redis_failure_store_keeps_the_contract() {
    let redis = TestRedis::start().await;
    failure_store_contract(RedisFailureStore::new(redis_pool(&redis))).await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_reservations_never_exceed_the_limit_in_redis_across_pools() {
    let redis = TestRedis::start().await;
    concurrent_reservations(RedisFailureStore::new(redis_pool(&redis)), RedisFailureStore::new(redis_pool(&redis)))
        .await;
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn simultaneous_reservations_never_exceed_the_limit_in_memory() {
    let store = MemoryFailureStore::default();
    concurrent_reservations(store.clone(), store).await;
}

/// Two limiters over one backend (two replicas) share one count per address.
async fn rate_limit_contract(first: RateLimiter, second: RateLimiter) {
    let address = Some("203.0.113.9".parse().expect("ip"));
    for n in 0..4 {
        let limiter = if n % 2 == 0 { &first } else { &second };
        limiter.admit(address).await.expect("within the limit");
    }
    for limiter in [&first, &second] {
        match limiter.admit(address).await {
            Err(Error::RateLimited { retry_after_seconds }) => assert!((59..=60).contains(&retry_after_seconds)),
            other => panic!("expected a 429, got {other:?}"),
        }
    }
    first.admit(Some("203.0.113.10".parse().expect("ip"))).await.expect("another address");
}

#[tokio::test]
async fn the_redis_rate_limit_is_shared_by_replicas() {
    let redis = TestRedis::start().await;
    rate_limit_contract(RateLimiter::redis(redis_pool(&redis), 4), RateLimiter::redis(redis_pool(&redis), 4)).await;
    let mut client = redis.client().await;
    let ttl: i64 = redis::cmd("PTTL").arg("authn:rate-limit:203.0.113.9").query_async(&mut client).await.expect("pttl");
    assert!(ttl > 0 && ttl <= 60_000, "the counter expires with its window: {ttl}");
}

#[tokio::test]
async fn the_memory_rate_limit_keeps_the_contract() {
    let limiter = RateLimiter::memory(4);
    rate_limit_contract(limiter.clone(), limiter).await;
}

#[tokio::test]
async fn without_redis_a_dev_app_serves_from_memory() {
    let token_service = StandInTokenService::start().await;
    let address = start(test_settings(None, &token_service.url)).await;
    let http = http_client();
    let body = serde_json::json!({"username": "alice", "password": PASSWORD});
    assert_eq!(http.post(format!("{address}/register")).json(&body).send().await.expect("request").status(), 201);
    assert_eq!(http.post(format!("{address}/register")).json(&body).send().await.expect("request").status(), 409);
    assert_eq!(http.post(format!("{address}/login")).json(&body).send().await.expect("request").status(), 200);
    let ready = http.get(format!("{address}/readyz")).send().await.expect("request");
    assert_eq!(ready.status(), 200);
    let body = ready.json::<serde_json::Value>().await.expect("json");
    assert!(body.get("checks").is_none(), "no redis check without redis: {body}");
    assert_eq!(body["peers"], serde_json::json!([{"name": "token service", "ok": true}]), "{body}");
}

fn flow_state(provider: &str) -> FlowState {
    FlowState {
        provider: provider.to_owned(),
        pkce_verifier: "verifier-0123456789abcdefghijklmnopqrstuvwxyz".to_owned(),
        nonce: "nonce-0123456789".to_owned(),
        frontend_redirect: Some("https://app.example.com/sso".to_owned()),
        browser_binding: "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef".to_owned(),
    }
}

/// A login in progress is taken exactly once, unknown states find nothing, and records expire.
async fn flow_state_contract(store: impl FlowStateStore, short_lived: impl FlowStateStore) {
    let state = StateKey::parse("c3RhdGUtb25l").expect("valid");
    let record = flow_state("default");
    store.put(&state, &record).await.expect("put");
    assert_eq!(store.take(&state).await.expect("take"), Some(record));
    assert_eq!(store.take(&state).await.expect("take"), None, "single use");
    assert_eq!(store.take(&StateKey::parse("bm90LW91cnM").expect("valid")).await.expect("take"), None);

    // Concurrent takes of one state: exactly one wins.
    let racy = StateKey::parse("cmFjeQ").expect("valid");
    store.put(&racy, &flow_state("corp")).await.expect("put");
    let (a, b) = tokio::join!(store.take(&racy), store.take(&racy));
    assert_eq!(usize::from(a.expect("take").is_some()) + usize::from(b.expect("take").is_some()), 1);

    let expiring = StateKey::parse("ZXhwaXJpbmc").expect("valid");
    short_lived.put(&expiring, &flow_state("default")).await.expect("put");
    tokio::time::sleep(Duration::from_millis(400)).await;
    assert_eq!(short_lived.take(&expiring).await.expect("take"), None, "expired");
}

#[tokio::test]
async fn the_memory_flow_state_store_keeps_the_contract() {
    flow_state_contract(MemoryFlowStateStore::default(), MemoryFlowStateStore::with_ttl(Duration::from_millis(200)))
        .await;
}

#[tokio::test]
async fn the_redis_flow_state_store_keeps_the_contract() {
    let redis = TestRedis::start().await;
    let pool = redis_pool(&redis);
    flow_state_contract(
        RedisFlowStateStore::new(pool.clone()),
        RedisFlowStateStore::with_ttl(pool, Duration::from_millis(200)),
    )
    .await;
}

#[tokio::test]
async fn the_first_releases_account_keys_are_renamed_once_and_found_again() {
    let redis = TestRedis::start().await;
    let mut client = redis.client().await;
    let id = UserId::generate();
    // An account as the first release wrote it.
    let () = redis::pipe()
        .cmd("HSET")
        .arg(format!("authn:user:{id}"))
        .arg(&[("id", id.to_string()), ("username", "alice".to_owned()), ("disabled", "0".to_owned())])
        .arg(&[("created_at", "1700000000"), ("email", "alice@example.com")])
        .ignore()
        .cmd("SET")
        .arg("authn:username:alice")
        .arg(id.to_string())
        .ignore()
        .cmd("SET")
        .arg("authn:identity:https%3A//idp.example.com:248289761001")
        .arg(id.to_string())
        .ignore()
        .cmd("SADD")
        .arg("authn:email:alice@example.com")
        .arg(id.to_string())
        .ignore()
        .cmd("SET")
        .arg("authn:login-failures:user:alice")
        .arg(1)
        .ignore()
        .query_async(&mut client)
        .await
        .expect("seed");
    let pool = redis_pool(&redis);
    assert_eq!(migrate_layout(&pool).await.expect("migrate"), 4);
    let store = RedisUserStore::new(pool.clone());
    let found = store.find_by_username(&Username::parse("Alice").expect("valid")).await.expect("find");
    assert_eq!(found.map(|user| user.id), Some(id));
    let identity =
        ExternalIdentity { issuer: "https://idp.example.com".to_owned(), subject: "248289761001".to_owned() };
    assert_eq!(store.find_by_identity(&identity).await.expect("find").map(|user| user.id), Some(id));
    let by_email = store.find_by_email(&Email::parse("alice@example.com").expect("valid")).await.expect("find");
    assert_eq!(by_email.len(), 1);
    let mut old: Vec<String> = redis::cmd("KEYS").arg("authn:user*").query_async(&mut client).await.expect("keys");
    old.sort();
    assert!(old.is_empty(), "no first-release key is left: {old:?}");
    let counter: i64 =
        redis::cmd("GET").arg("authn:login-failures:user:alice").query_async(&mut client).await.expect("get");
    assert_eq!(counter, 1, "login counters keep their names");
    // Done once: a later start renames nothing, even a key that looks old.
    let () = redis::cmd("SET").arg("authn:username:bob").arg("x").query_async(&mut client).await.expect("set");
    assert_eq!(migrate_layout(&pool).await.expect("migrate"), 0);
}

/// `users delete`: the record, the username key, the email index and every linked SSO identity go; the
/// name can be taken again. `users list`: SCAN pages reach every account, whatever the page size.
#[tokio::test]
async fn the_redis_user_store_deletes_an_account_with_its_indexes_and_lists_in_pages() {
    let redis = TestRedis::start().await;
    delete_and_list(RedisUserStore::new(redis_pool(&redis))).await;
}

/// The same on a Redis Cluster, where a SCAN must reach the node of the `{users}` hash tag.
#[tokio::test(flavor = "multi_thread")]
async fn on_a_cluster_the_redis_user_store_deletes_and_lists_every_account() {
    let cluster = test_support::RedisCluster::start();
    let config = redis_kit::RedisVars::new(Some(&cluster.url()), None, None, Some("true"))
        .into_config()
        .expect("valid")
        .expect("set");
    delete_and_list(RedisUserStore::new(RedisPool::new(&config, RedisTimeouts::default()).expect("pool"))).await;
}

async fn delete_and_list(store: RedisUserStore) {
    let identity =
        |subject: &str| ExternalIdentity { issuer: "https://idp.example".to_owned(), subject: subject.to_owned() };
    let dana = user("dana");
    store.create_with_identity(&dana, &identity("d-1")).await.expect("create").expect("free");
    assert!(store.link_identity(&dana.id, &identity("d-2")).await.expect("link"));
    let erin = user("erin");
    store.create(&erin).await.expect("create");

    let unlinked = store.delete(&dana).await.expect("delete").expect("existed");
    assert_eq!(unlinked, 2);
    assert!(store.find_by_username(&dana.username).await.expect("find").is_none());
    assert!(store.find_by_id(&dana.id).await.expect("find").is_none());
    assert!(store.find_by_identity(&identity("d-1")).await.expect("find").is_none());
    let email = dana.email.clone().expect("an email");
    assert_eq!(store.find_by_email(&email).await.expect("find").iter().map(|u| u.id).collect::<Vec<_>>(), [erin.id]);
    assert!(store.delete(&dana).await.expect("delete").is_none(), "a second delete finds nothing");
    // The name and the identity are free again.
    let again = user("dana");
    store.create_with_identity(&again, &identity("d-1")).await.expect("create").expect("free again");
    assert_eq!(store.find_by_identity(&identity("d-1")).await.expect("find").map(|u| u.id), Some(again.id));

    for index in 0..23 {
        store.create(&user(&format!("user{index:02}"))).await.expect("create");
    }
    for limit in [1, 5, 100] {
        let (mut cursor, mut names) = (0, std::collections::BTreeSet::new());
        loop {
            let page = store.list_page(cursor, limit).await.expect("a page");
            names.extend(page.users.iter().map(|u| u.username.to_string()));
            match page.next_cursor {
                Some(next) => cursor = next,
                None => break,
            }
        }
        assert_eq!(names.len(), 25, "limit {limit}: {names:?}");
    }
}
