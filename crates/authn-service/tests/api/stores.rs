//! One contract per storage trait, run against the Redis and the in-memory implementation alike.

use crate::helpers::{PASSWORD, StandInTokenService, TestRedis, http_client, start, test_settings};
use auth_proto::clock;
use authn_service::domain::{Email, UserId, Username};
use authn_service::error::Error;
use authn_service::hashing::PasswordHash;
use authn_service::lockout::memory_store::MemoryFailureStore;
use authn_service::lockout::redis_store::RedisFailureStore;
use authn_service::lockout::{FailureStore, FailureSubject, LockoutPolicy};
use authn_service::oidc::flow_state::{FlowState, FlowStateStore, MemoryFlowStateStore, RedisFlowStateStore, StateKey};
use authn_service::users::memory_store::MemoryUserStore;
use authn_service::users::redis_store::RedisUserStore;
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
    let both = [alice.clone(), address.clone()];
    let counts = store.counts(&both).await.expect("counts");
    assert!(counts.iter().all(|count| count.failures == 0));

    let policy = LockoutPolicy { max_failures: 3, window: Duration::from_secs(1) };
    store.record(&both, policy).await.expect("record");
    store.record(std::slice::from_ref(&address), policy).await.expect("record");
    let counts = store.counts(&both).await.expect("counts");
    assert_eq!((counts[0].failures, counts[1].failures), (1, 2));
    assert!(counts.iter().all(|count| count.resets_in > Duration::ZERO && count.resets_in <= policy.window));

    store.clear(&alice).await.expect("clear");
    assert_eq!(store.counts(&both).await.expect("counts")[0].failures, 0);

    // The failure that reaches the limit restarts the window: the lockout lasts a full window.
    tokio::time::sleep(Duration::from_millis(500)).await;
    store.record(std::slice::from_ref(&address), policy).await.expect("record");
    let locked = store.counts(std::slice::from_ref(&address)).await.expect("counts")[0];
    assert_eq!(locked.failures, 3);
    assert!(locked.resets_in > Duration::from_millis(900), "{locked:?}");
    tokio::time::sleep(Duration::from_millis(700)).await;
    assert_eq!(store.counts(&both).await.expect("counts")[1].failures, 3, "past the first window, still locked");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(store.counts(&both).await.expect("counts")[1].failures, 0, "the lockout window passed");
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
