//! The store contract, run against the Redis store on a real `redis-server` and against the memory store:
//! both must keep the same rules.

use crate::helpers::random_hash;
use auth_proto::clock::now;
use auth_proto::internal::SessionRecord;
use redis_kit::{RedisPool, RedisTimeouts};
use session_service::domain::jti::Jti;
use session_service::domain::refresh_hash::RefreshHash;
use session_service::domain::session_id::SessionId;
use session_service::domain::user_id::UserId;
use session_service::store::memory_store::MemorySessionStore;
use session_service::store::redis_store::RedisSessionStore;
use session_service::store::{NewSession, Rotation, RotationResult, SessionStore};
use test_support::{RedisServer, uuid_for};

fn hash() -> RefreshHash {
    RefreshHash::parse(&random_hash()).unwrap()
}

fn user(label: &str) -> UserId {
    UserId::parse(&uuid_for(label)).unwrap()
}

fn jti(label: &str) -> Jti {
    Jti::parse(&uuid_for(label)).unwrap()
}

fn sid(session: &SessionRecord) -> SessionId {
    SessionId::parse(&session.session_id).unwrap()
}

fn new_session(user_label: &str, refresh: &RefreshHash, now: i64) -> NewSession {
    NewSession {
        session_id: SessionId::generate(),
        user_id: user(user_label),
        username: "alice".into(),
        amr: vec!["pwd".into()],
        refresh_hash: refresh.clone(),
        now,
        expires_at: now + 3600,
        user_agent: Some("agent".into()),
        ip: None,
    }
}

fn rotation(presented: &RefreshHash, successor: &RefreshHash, now: i64, grace: i64) -> Rotation {
    Rotation {
        presented: presented.clone(),
        successor: successor.clone(),
        sealed_successor: Some(format!("sealed-{}", successor.as_str())),
        now,
        ttl_seconds: 7200,
        grace_seconds: grace,
    }
}

async fn rotation_rules<S: SessionStore>(store: &S) {
    let t = now();
    let first = hash();
    let session = store.create(new_session("u1", &first, t)).await.unwrap();
    assert_eq!(session.expires_at, t + 3600);
    assert_eq!(store.find_by_refresh(&first, t).await.unwrap().unwrap().session_id, session.session_id);

    let second = hash();
    let RotationResult::Rotated(rotated) = store.rotate(rotation(&first, &second, t + 10, 0)).await.unwrap() else {
        panic!("the current token must rotate");
    };
    assert_eq!(rotated.session_id, session.session_id);
    assert_eq!(rotated.expires_at, t + 10 + 7200, "rotation slides the session");
    assert_eq!(rotated.user_agent.as_deref(), Some("agent"));
    assert!(store.find_by_refresh(&first, t + 10).await.unwrap().is_none(), "a rotated token is not current");
    assert!(store.find_by_refresh(&second, t + 10).await.unwrap().is_some());

    assert_eq!(store.rotate(rotation(&hash(), &hash(), t + 11, 0)).await.unwrap(), RotationResult::Unknown);

    // The rotated token comes back: theft. The session and its current token die.
    assert_eq!(store.rotate(rotation(&first, &hash(), t + 12, 0)).await.unwrap(), RotationResult::Reused);
    assert!(store.touch(&sid(&session), &user("u1"), &jti("jti"), t + 12, false).await.unwrap().is_none());
    assert_eq!(store.rotate(rotation(&second, &hash(), t + 13, 0)).await.unwrap(), RotationResult::Unknown);
}

async fn grace_rules<S: SessionStore>(store: &S) {
    let t = now();
    let first = hash();
    let session = store.create(new_session("u-grace", &first, t)).await.unwrap();
    let second = hash();
    assert!(matches!(store.rotate(rotation(&first, &second, t, 5)).await.unwrap(), RotationResult::Rotated(_)));
    match store.rotate(rotation(&first, &hash(), t + 5, 5)).await.unwrap() {
        RotationResult::Grace { session: again, sealed_successor } => {
            assert_eq!(again.session_id, session.session_id);
            assert_eq!(sealed_successor, format!("sealed-{}", second.as_str()), "the same successor comes back");
        }
        other => panic!("expected grace, got {other:?}"),
    }
    // After the window the same replay is theft.
    assert_eq!(store.rotate(rotation(&first, &hash(), t + 6, 5)).await.unwrap(), RotationResult::Reused);
    assert!(store.touch(&sid(&session), &user("u-grace"), &jti("j"), t + 6, false).await.unwrap().is_none());

    // Within the window but after the successor itself rotated: theft too.
    let a = hash();
    let b = hash();
    let c = hash();
    store.create(new_session("u-grace", &a, t)).await.unwrap();
    assert!(matches!(store.rotate(rotation(&a, &b, t, 30)).await.unwrap(), RotationResult::Rotated(_)));
    assert!(matches!(store.rotate(rotation(&b, &c, t + 1, 30)).await.unwrap(), RotationResult::Rotated(_)));
    assert_eq!(store.rotate(rotation(&a, &hash(), t + 2, 30)).await.unwrap(), RotationResult::Reused);
}

async fn touch_list_and_end_rules<S: SessionStore>(store: &S) {
    let t = now();
    let one = store.create(new_session("u2", &hash(), t)).await.unwrap();
    let two = store.create(new_session("u2", &hash(), t + 1)).await.unwrap();
    let other = store.create(new_session("u3", &hash(), t)).await.unwrap();

    let live = store.touch(&sid(&one), &user("u2"), &jti("jti-1"), t + 30, true).await.unwrap().unwrap();
    assert_eq!(live.last_seen_at, t + 30);
    assert_eq!(live.created_at, t);
    assert!(
        store.touch(&sid(&one), &user("u3"), &jti("jti-1"), t, true).await.unwrap().is_none(),
        "another user's session"
    );
    assert!(store.touch(&sid(&one), &user("u2"), &jti("jti-1"), t + 3600, true).await.unwrap().is_none(), "expired");

    let listed = store.list(&user("u2"), t + 2).await.unwrap();
    let ids: Vec<&str> = listed.iter().map(|s| s.session_id.as_str()).collect();
    assert_eq!(ids, vec![one.session_id.as_str(), two.session_id.as_str()]);

    assert!(!store.end(&user("u2"), &sid(&other)).await.unwrap(), "cannot end another user's session");
    assert!(store.touch(&sid(&other), &user("u3"), &jti("j"), t, false).await.unwrap().is_some());
    assert!(store.end(&user("u2"), &sid(&one)).await.unwrap());
    assert!(!store.end(&user("u2"), &sid(&one)).await.unwrap(), "ending twice ends nothing");
    assert_eq!(store.end_all(&user("u2")).await.unwrap(), 1);
    assert!(store.list(&user("u2"), t).await.unwrap().is_empty());
    assert_eq!(store.list(&user("u3"), t).await.unwrap().len(), 1);
}

async fn revocation_rules<S: SessionStore>(store: &S) {
    let t = now();
    let refresh = hash();
    let session = store.create(new_session("u4", &refresh, t)).await.unwrap();
    store.revoke_access(&jti("jti-revoked"), t + 600, t).await.unwrap();
    assert!(store.touch(&sid(&session), &user("u4"), &jti("jti-revoked"), t, false).await.unwrap().is_none());
    assert!(store.touch(&sid(&session), &user("u4"), &jti("jti-other"), t, false).await.unwrap().is_some());
    // An already-expired token needs no entry.
    store.revoke_access(&jti("jti-old"), t - 3600, t).await.unwrap();

    assert_eq!(store.end_by_refresh(&refresh).await.unwrap(), 1);
    assert!(store.touch(&sid(&session), &user("u4"), &jti("jti-other"), t, false).await.unwrap().is_none());
    assert_eq!(store.end_by_refresh(&refresh).await.unwrap(), 0);
}

async fn full_contract<S: SessionStore>(store: S) {
    rotation_rules(&store).await;
    grace_rules(&store).await;
    touch_list_and_end_rules(&store).await;
    revocation_rules(&store).await;
}

pub fn redis_store(redis: &RedisServer) -> RedisSessionStore {
    RedisSessionStore::new(RedisPool::new(&redis.url().parse().unwrap(), RedisTimeouts::default()).unwrap())
}

#[tokio::test]
async fn memory_store_keeps_the_contract() {
    full_contract(MemorySessionStore::new()).await;
}

#[tokio::test]
async fn redis_store_keeps_the_contract() {
    let redis = RedisServer::start();
    full_contract(redis_store(&redis)).await;
}

#[tokio::test]
async fn redis_keys_expire_with_their_session() {
    let redis = RedisServer::start();
    let store = redis_store(&redis);
    let t = now();
    let refresh = hash();
    let session = store.create(new_session("u-ttl", &refresh, t)).await.unwrap();
    store.revoke_access(&jti("jti-ttl"), t + 600, t).await.unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    for (key, max) in [
        (format!("session:s:{}", session.session_id), 3600),
        (format!("session:u:{}", user("u-ttl")), 3600),
        (format!("session:r:{}", refresh.as_str()), 3600),
        (format!("session:j:{}", jti("jti-ttl")), 630),
    ] {
        let ttl: i64 = redis::cmd("TTL").arg(&key).query_async(&mut connection).await.unwrap();
        assert!(ttl > 0 && ttl <= max, "{key} has TTL {ttl}");
    }
    let hashes: Vec<String> = redis::cmd("KEYS").arg("session:*").query_async(&mut connection).await.unwrap();
    let dump: Vec<String> = redis::cmd("HGETALL")
        .arg(format!("session:s:{}", session.session_id))
        .query_async(&mut connection)
        .await
        .unwrap();
    assert!(!hashes.is_empty());
    assert!(dump.contains(&refresh.as_str().to_owned()), "only the hash of the refresh token is stored");
}
