//! The store contract, run against the Redis store on a real `redis-server`, against the same store on a
//! single-node Redis Cluster (which refuses any script whose keys span hash slots), and against the memory
//! store: all must keep the same rules.

use crate::helpers::random_hash;
use crate::redis_cluster::SingleNodeCluster;
use auth_proto::clock::now;
use auth_proto::internal::SessionRecord;
use redis_kit::{RedisPool, RedisTimeouts};
use session_service::domain::jti::Jti;
use session_service::domain::refresh_hash::RefreshHash;
use session_service::domain::session_id::SessionId;
use session_service::domain::user_id::UserId;
use session_service::store::memory_store::MemorySessionStore;
use session_service::store::redis_store::RedisSessionStore;
use session_service::store::{
    MaxSessions, NewSession, ROTATED_KEPT, RefreshRef, Rotation, RotationResult, SessionStore,
};
use test_support::{RedisServer, uuid_for};

/// The cap of the stores under test: small, so the cap rules run in a few steps.
const CAP: u32 = 3;
const LIFETIME: i64 = 30 * 24 * 3600;

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

fn uid(session: &SessionRecord) -> UserId {
    UserId::parse(&session.user_id).unwrap()
}

/// The refresh token `hash` of `session`, as the token service names it.
fn token(session: &SessionRecord, hash: &RefreshHash) -> RefreshRef {
    RefreshRef { user_id: uid(session), session_id: sid(session), hash: hash.clone() }
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

fn rotation(
    session: &SessionRecord,
    presented: &RefreshHash,
    successor: &RefreshHash,
    now: i64,
    grace: i64,
) -> Rotation {
    Rotation {
        presented: token(session, presented),
        successor: successor.clone(),
        sealed_successor: Some(format!("sealed-{}", successor.as_str())),
        now,
        ttl_seconds: 7200,
        max_lifetime_seconds: LIFETIME,
        grace_seconds: grace,
    }
}

async fn is_live<S: SessionStore>(store: &S, session: &SessionRecord, now: i64) -> bool {
    store.touch(&sid(session), &uid(session), &jti("any"), now, false).await.unwrap().is_some()
}

async fn rotation_rules<S: SessionStore>(store: &S) {
    let t = now();
    let first = hash();
    let session = store.create(new_session("u1", &first, t)).await.unwrap();
    assert_eq!(session.expires_at, t + 3600);
    assert_eq!(
        store.find_by_refresh(&token(&session, &first), t).await.unwrap().unwrap().session_id,
        session.session_id
    );

    let second = hash();
    let RotationResult::Rotated(rotated) = store.rotate(rotation(&session, &first, &second, t + 10, 0)).await.unwrap()
    else {
        panic!("the current token must rotate");
    };
    assert_eq!(rotated.session_id, session.session_id);
    assert_eq!(rotated.expires_at, t + 10 + 7200, "rotation slides the session");
    assert_eq!(rotated.last_seen_at, t + 10);
    assert_eq!((rotated.created_at, rotated.username.as_str()), (t, "alice"));
    assert_eq!(rotated.amr, ["pwd"]);
    assert_eq!(rotated.user_agent.as_deref(), Some("agent"));
    assert_eq!(rotated.ip, None);
    assert!(store.find_by_refresh(&token(&session, &first), t + 10).await.unwrap().is_none(), "rotated: not current");
    assert!(store.find_by_refresh(&token(&session, &second), t + 10).await.unwrap().is_some());

    // A hash this session never had, or a session that does not exist: unknown, and nothing ends.
    assert_eq!(store.rotate(rotation(&session, &hash(), &hash(), t + 11, 0)).await.unwrap(), RotationResult::Unknown);
    assert_eq!(store.end_by_refresh(&token(&session, &hash())).await.unwrap(), 0);
    let mut elsewhere = rotation(&session, &second, &hash(), t + 11, 0);
    elsewhere.presented.session_id = SessionId::generate();
    assert_eq!(store.rotate(elsewhere.clone()).await.unwrap(), RotationResult::Unknown);
    elsewhere.presented = RefreshRef { user_id: user("someone-else"), ..token(&session, &second) };
    assert_eq!(store.rotate(elsewhere).await.unwrap(), RotationResult::Unknown, "another user's slot");
    assert!(is_live(store, &session, t + 11).await);

    // The rotated token comes back: theft. The session and its current token die.
    assert_eq!(store.rotate(rotation(&session, &first, &hash(), t + 12, 0)).await.unwrap(), RotationResult::Reused);
    assert!(!is_live(store, &session, t + 12).await);
    assert_eq!(store.rotate(rotation(&session, &second, &hash(), t + 13, 0)).await.unwrap(), RotationResult::Unknown);
}

async fn grace_rules<S: SessionStore>(store: &S) {
    let t = now();
    let first = hash();
    let session = store.create(new_session("u-grace", &first, t)).await.unwrap();
    let second = hash();
    assert!(matches!(
        store.rotate(rotation(&session, &first, &second, t, 5)).await.unwrap(),
        RotationResult::Rotated(_)
    ));
    match store.rotate(rotation(&session, &first, &hash(), t + 5, 5)).await.unwrap() {
        RotationResult::Grace { session: again, sealed_successor } => {
            assert_eq!(again.session_id, session.session_id);
            assert_eq!(sealed_successor, format!("sealed-{}", second.as_str()), "the same successor comes back");
        }
        other => panic!("expected grace, got {other:?}"),
    }
    // After the window the same replay is theft.
    assert_eq!(store.rotate(rotation(&session, &first, &hash(), t + 6, 5)).await.unwrap(), RotationResult::Reused);
    assert!(!is_live(store, &session, t + 6).await);

    // Within the window but after the successor itself rotated: theft too.
    let a = hash();
    let b = hash();
    let c = hash();
    let session = store.create(new_session("u-grace", &a, t)).await.unwrap();
    assert!(matches!(store.rotate(rotation(&session, &a, &b, t, 30)).await.unwrap(), RotationResult::Rotated(_)));
    assert!(matches!(store.rotate(rotation(&session, &b, &c, t + 1, 30)).await.unwrap(), RotationResult::Rotated(_)));
    assert_eq!(store.rotate(rotation(&session, &a, &hash(), t + 2, 30)).await.unwrap(), RotationResult::Reused);
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
    assert_eq!(listed[0].last_seen_at, t + 30, "touch recorded the activity");

    assert!(!store.end(&user("u2"), &sid(&other)).await.unwrap(), "cannot end another user's session");
    assert!(is_live(store, &other, t).await);
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
    store.revoke_access(&user("u4"), &jti("jti-revoked"), t + 600, t).await.unwrap();
    assert!(store.touch(&sid(&session), &user("u4"), &jti("jti-revoked"), t, false).await.unwrap().is_none());
    assert!(store.touch(&sid(&session), &user("u4"), &jti("jti-other"), t, false).await.unwrap().is_some());
    // An already-expired token needs no entry.
    store.revoke_access(&user("u4"), &jti("jti-old"), t - 3600, t).await.unwrap();

    assert_eq!(store.end_by_refresh(&token(&session, &refresh)).await.unwrap(), 1);
    assert!(!is_live(store, &session, t).await);
    assert_eq!(store.end_by_refresh(&token(&session, &refresh)).await.unwrap(), 0);

    // A rotated token ends its session too.
    let first = hash();
    let session = store.create(new_session("u4", &first, t)).await.unwrap();
    assert!(matches!(
        store.rotate(rotation(&session, &first, &hash(), t, 0)).await.unwrap(),
        RotationResult::Rotated(_)
    ));
    assert_eq!(store.end_by_refresh(&token(&session, &first)).await.unwrap(), 1);
    assert!(!is_live(store, &session, t).await);
}

/// `MAX_SESSIONS_PER_USER`: one more session ends the least recently used one, where use is opening,
/// refreshing or a `touch` that records activity; sessions that ended on their own never count.
async fn cap_rules<S: SessionStore>(store: &S) {
    let t = now();
    let refresh = [hash(), hash(), hash()];
    let first = store.create(new_session("u-cap", &refresh[0], t)).await.unwrap();
    let second = store.create(new_session("u-cap", &refresh[1], t + 1)).await.unwrap();
    let third = store.create(new_session("u-cap", &refresh[2], t + 2)).await.unwrap();
    let other_user = store.create(new_session("u-cap-other", &hash(), t)).await.unwrap();
    // The oldest is seen by the gateway, the second refreshed: the third is now the least recently used.
    assert!(store.touch(&sid(&first), &uid(&first), &jti("cap"), t + 3, true).await.unwrap().is_some());
    assert!(matches!(
        store.rotate(rotation(&second, &refresh[1], &hash(), t + 4, 0)).await.unwrap(),
        RotationResult::Rotated(_)
    ));

    let fourth = store.create(new_session("u-cap", &hash(), t + 5)).await.unwrap();
    assert!(!is_live(store, &third, t + 5).await, "the least recently used session ended");
    assert!(store.find_by_refresh(&token(&third, &refresh[2]), t + 5).await.unwrap().is_none());
    assert_eq!(store.rotate(rotation(&third, &refresh[2], &hash(), t + 5, 0)).await.unwrap(), RotationResult::Unknown);
    for survivor in [&first, &second, &fourth, &other_user] {
        assert!(is_live(store, survivor, t + 5).await, "{}", survivor.session_id);
    }
    let listed: Vec<String> =
        store.list(&user("u-cap"), t + 5).await.unwrap().into_iter().map(|s| s.session_id).collect();
    assert_eq!(listed, [first.session_id.clone(), second.session_id.clone(), fourth.session_id.clone()]);

    // A touch without recording activity (the internal check) does not count as use.
    assert!(store.touch(&sid(&first), &uid(&first), &jti("cap"), t + 6, false).await.unwrap().is_some());
    store.create(new_session("u-cap", &hash(), t + 7)).await.unwrap();
    assert!(!is_live(store, &first, t + 7).await, "last used at t + 3, before the others");
    assert!(is_live(store, &second, t + 7).await);

    // Uses within one second keep their order.
    let same_second: Vec<SessionRecord> = {
        let mut opened = Vec::new();
        for _ in 0..=CAP {
            opened.push(store.create(new_session("u-cap-burst", &hash(), t)).await.unwrap());
        }
        opened
    };
    assert!(!is_live(store, &same_second[0], t).await, "the first of a burst is the least recently used");
    for later in &same_second[1..] {
        assert!(is_live(store, later, t).await);
    }

    // Sessions that expired on their own are dropped first: no live session ends for them.
    let short = |label: &str, now: i64| NewSession { expires_at: now + 10, ..new_session(label, &hash(), now) };
    let expiring = store.create(short("u-cap-expiry", t)).await.unwrap();
    store.create(short("u-cap-expiry", t + 1)).await.unwrap();
    let lasting = store.create(new_session("u-cap-expiry", &hash(), t + 2)).await.unwrap();
    let late = t + 20;
    let newest = store.create(new_session("u-cap-expiry", &hash(), late)).await.unwrap();
    assert!(is_live(store, &lasting, late).await && is_live(store, &newest, late).await);
    assert!(!is_live(store, &expiring, late).await);
    assert_eq!(store.list(&user("u-cap-expiry"), late).await.unwrap().len(), 2);
}

/// `SESSION_MAX_LIFETIME_MINUTES`: no rotation moves a session's end past its creation plus the lifetime.
async fn lifetime_rules<S: SessionStore>(store: &S) {
    let t = now();
    let first = hash();
    let session = store.create(new_session("u-lifetime", &first, t)).await.unwrap();
    let capped = |presented: &RefreshHash, successor: &RefreshHash, at: i64| Rotation {
        max_lifetime_seconds: 5000,
        ..rotation(&session, presented, successor, at, 0)
    };
    let second = hash();
    let RotationResult::Rotated(early) = store.rotate(capped(&first, &second, t + 100)).await.unwrap() else {
        panic!("an early refresh rotates");
    };
    assert_eq!(early.expires_at, t + 5000, "capped, not t + 100 + 7200");
    let third = hash();
    let RotationResult::Rotated(late) = store.rotate(capped(&second, &third, t + 4990)).await.unwrap() else {
        panic!("a refresh before the end rotates");
    };
    assert_eq!(late.expires_at, t + 5000, "a refresh near the end does not extend the session");
    assert_eq!(store.rotate(capped(&third, &hash(), t + 5000)).await.unwrap(), RotationResult::Unknown, "after it");

    // A lifetime lowered since the session opened ends the session at its next refresh.
    let first = hash();
    let session = store.create(new_session("u-lifetime", &first, t)).await.unwrap();
    let lowered = Rotation { max_lifetime_seconds: 60, ..rotation(&session, &first, &hash(), t + 61, 0) };
    assert_eq!(store.rotate(lowered).await.unwrap(), RotationResult::Unknown);
    assert!(!is_live(store, &session, t + 61).await);
}

/// Reuse detection remembers the last `ROTATED_KEPT` rotated tokens: a session refreshed in a loop does
/// not grow without bound.
async fn rotated_tokens_are_bounded<S: SessionStore>(store: &S) {
    let t = now();
    let mut current = hash();
    let oldest = current.clone();
    let session = store.create(new_session("u-loop", &current, t)).await.unwrap();
    let mut rotated = Vec::new();
    for step in 0..=ROTATED_KEPT as i64 {
        let next = hash();
        let result = store.rotate(rotation(&session, &current, &next, t + step, 0)).await.unwrap();
        assert!(matches!(result, RotationResult::Rotated(_)), "{result:?}");
        rotated.push(current);
        current = next;
    }
    assert_eq!(
        store.rotate(rotation(&session, &oldest, &hash(), t + 200, 0)).await.unwrap(),
        RotationResult::Unknown,
        "forgotten after {ROTATED_KEPT} rotations"
    );
    assert!(is_live(store, &session, t + 200).await);
    assert_eq!(
        store.rotate(rotation(&session, &rotated[1], &hash(), t + 200, 0)).await.unwrap(),
        RotationResult::Reused
    );
}

async fn full_contract<S: SessionStore>(store: S) {
    rotation_rules(&store).await;
    grace_rules(&store).await;
    touch_list_and_end_rules(&store).await;
    revocation_rules(&store).await;
    cap_rules(&store).await;
    lifetime_rules(&store).await;
    rotated_tokens_are_bounded(&store).await;
}

fn cap() -> MaxSessions {
    MaxSessions::new(CAP).unwrap()
}

pub fn redis_store(redis: &RedisServer) -> RedisSessionStore {
    redis_store_at(&redis.url(), MaxSessions::DEFAULT)
}

fn redis_store_at(url: &str, max_sessions: MaxSessions) -> RedisSessionStore {
    RedisSessionStore::new(RedisPool::new(&url.parse().unwrap(), RedisTimeouts::default()).unwrap(), max_sessions)
}

#[tokio::test]
async fn memory_store_keeps_the_contract() {
    full_contract(MemorySessionStore::new(cap())).await;
}

#[tokio::test]
async fn redis_store_keeps_the_contract() {
    let redis = RedisServer::start();
    full_contract(redis_store_at(&redis.url(), cap())).await;
}

/// Redis Cluster refuses a script whose keys hash to different slots (CROSSSLOT) and one that touches a
/// key it was not given in another slot: the whole contract passing on a cluster node is the proof that
/// every script stays in one slot.
#[tokio::test]
async fn redis_store_keeps_the_contract_on_a_cluster_node() {
    let cluster = SingleNodeCluster::start();
    let mut connection = cluster.connection().await;
    // The node really refuses what the layout avoids, so passing below means something.
    let cross_slot: redis::RedisResult<i64> = redis::cmd("EVAL")
        .arg("return redis.call('EXISTS', KEYS[1], KEYS[2])")
        .arg(2)
        .arg("session:{a}:s")
        .arg("session:{b}:s")
        .query_async(&mut connection)
        .await;
    let refused = cross_slot.expect_err("a cross-slot script");
    assert!(refused.to_string().contains("don't hash to the same slot"), "{refused}");

    full_contract(redis_store_at(&cluster.url(), cap())).await;

    let keys: Vec<String> = redis::cmd("KEYS").arg("*").query_async(&mut connection).await.unwrap();
    assert!(!keys.is_empty());
    for key in &keys {
        assert!(key.starts_with("session:{"), "{key} is outside the service's prefix or untagged");
    }
}

/// Concurrent opens by one user never leave more than the cap: every open is one atomic script.
async fn concurrent_opens_stay_within_the_cap<S: SessionStore>(store: S) {
    let t = now();
    let opens: Vec<_> = (0..24)
        .map(|i| {
            let store = store.clone();
            tokio::spawn(async move { store.create(new_session("u-race", &hash(), t + i % 3)).await.unwrap() })
        })
        .collect();
    let mut opened = Vec::new();
    for open in opens {
        opened.push(open.await.unwrap());
    }
    let listed = store.list(&user("u-race"), t + 3).await.unwrap();
    assert_eq!(listed.len(), CAP as usize, "{listed:?}");
    let mut live = 0;
    for session in &opened {
        live += usize::from(is_live(&store, session, t + 3).await);
    }
    assert_eq!(live, CAP as usize, "exactly the cap's worth of the 24 sessions is live");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_opens_stay_within_the_cap_in_redis() {
    let redis = RedisServer::start();
    let store = redis_store_at(&redis.url(), cap());
    concurrent_opens_stay_within_the_cap(store.clone()).await;
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let indexed: usize =
        redis::cmd("ZCARD").arg(store.keys(&user("u-race")).index()).query_async(&mut connection).await.unwrap();
    assert_eq!(indexed, CAP as usize);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn concurrent_opens_stay_within_the_cap_in_memory() {
    concurrent_opens_stay_within_the_cap(MemorySessionStore::new(cap())).await;
}

#[tokio::test]
async fn redis_keys_expire_with_their_session_and_hold_only_hashes() {
    let redis = RedisServer::start();
    let store = redis_store(&redis);
    let t = now();
    let refresh = hash();
    let session = store.create(new_session("u-ttl", &refresh, t)).await.unwrap();
    store.revoke_access(&user("u-ttl"), &jti("jti-ttl"), t + 600, t).await.unwrap();
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let keys = store.keys(&user("u-ttl"));
    for (key, max) in [(keys.sessions(), 3600), (keys.index(), 3600), (keys.revoked(&jti("jti-ttl")), 630)] {
        let ttl: i64 = redis::cmd("TTL").arg(&key).query_async(&mut connection).await.unwrap();
        assert!(ttl > 0 && ttl <= max, "{key} has TTL {ttl}");
        assert!(key.starts_with(&format!("session:{{{}}}:", session.user_id)), "{key}");
    }
    let mut all: Vec<String> = redis::cmd("KEYS").arg("*").query_async(&mut connection).await.unwrap();
    all.sort();
    let mut expected = vec![keys.sessions(), keys.index(), keys.revoked(&jti("jti-ttl"))];
    expected.sort();
    assert_eq!(all, expected, "one session is these keys and nothing else");
    let dump: Vec<String> = redis::cmd("HGETALL").arg(keys.sessions()).query_async(&mut connection).await.unwrap();
    assert!(dump.contains(&refresh.as_str().to_owned()), "only the hash of the refresh token is stored");

    // A rotation extends both keys with the session; ending the user's sessions removes both.
    let RotationResult::Rotated(_) = store.rotate(rotation(&session, &refresh, &hash(), t, 0)).await.unwrap() else {
        panic!("rotates");
    };
    let ttl: i64 = redis::cmd("TTL").arg(keys.index()).query_async(&mut connection).await.unwrap();
    assert!(ttl > 3600 && ttl <= 7200, "the index lives as long as the longest session: {ttl}");
    let list_ttl: i64 = redis::cmd("TTL").arg(keys.rotated(&sid(&session))).query_async(&mut connection).await.unwrap();
    assert!(list_ttl > 3600 && list_ttl <= 7200, "the rotated-hash list expires with its session: {list_ttl}");
    assert_eq!(store.end_all(&user("u-ttl")).await.unwrap(), 1);
    let mut left: Vec<String> = redis::cmd("KEYS").arg("*").query_async(&mut connection).await.unwrap();
    left.sort();
    assert_eq!(left, [keys.revoked(&jti("jti-ttl"))], "the hash, the index and the list are gone");
}

async fn list_length(connection: &mut redis::aio::MultiplexedConnection, key: &str) -> i64 {
    redis::cmd("LLEN").arg(key).query_async(connection).await.unwrap()
}

/// Each session's rotated hashes are one capped list (pushed and trimmed, never rewritten whole), which
/// goes with its session however the session ends: by itself, by reuse, by its refresh token, evicted at
/// the cap, or with all of the user's sessions.
#[tokio::test]
async fn rotated_hash_lists_are_capped_and_go_with_their_session() {
    let redis = RedisServer::start();
    let store = redis_store_at(&redis.url(), cap());
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let t = now();
    let keys = store.keys(&user("u-lists"));
    // open_rotated: a session of u-lists rotated `times` times; its current hash and its list's key.
    let open_rotated = async |times: usize| {
        let mut current = hash();
        let session = store.create(new_session("u-lists", &current, t)).await.unwrap();
        for _ in 0..times {
            let next = hash();
            let result = store.rotate(rotation(&session, &current, &next, t, 0)).await.unwrap();
            assert!(matches!(result, RotationResult::Rotated(_)), "{result:?}");
            current = next;
        }
        let list = keys.rotated(&sid(&session));
        (session, current, list)
    };

    let (looping, _, list) = open_rotated(ROTATED_KEPT + 5).await;
    assert_eq!(list_length(&mut connection, &list).await, ROTATED_KEPT as i64, "capped");
    let stored: Vec<String> =
        redis::cmd("LRANGE").arg(&list).arg(0).arg(-1).query_async(&mut connection).await.unwrap();
    assert!(stored.iter().all(|hash| RefreshHash::parse(hash).is_some()), "only hashes: {stored:?}");
    assert!(store.end(&uid(&looping), &sid(&looping)).await.unwrap());
    assert_eq!(list_length(&mut connection, &list).await, 0, "ended by itself");

    let (reused, _, list) = open_rotated(2).await;
    let first_rotated: String = redis::cmd("LINDEX").arg(&list).arg(-1).query_async(&mut connection).await.unwrap();
    let first_rotated = RefreshHash::parse(&first_rotated).unwrap();
    assert_eq!(store.rotate(rotation(&reused, &first_rotated, &hash(), t, 0)).await.unwrap(), RotationResult::Reused);
    assert_eq!(list_length(&mut connection, &list).await, 0, "ended by reuse");

    let (by_refresh, current, list) = open_rotated(2).await;
    assert_eq!(store.end_by_refresh(&token(&by_refresh, &current)).await.unwrap(), 1);
    assert_eq!(list_length(&mut connection, &list).await, 0, "ended by its refresh token");

    // The cap is 3: three rotated sessions, then a fourth open evicts the least recently used.
    let mut lists = Vec::new();
    for _ in 0..CAP {
        lists.push(open_rotated(1).await.2);
    }
    store.create(new_session("u-lists", &hash(), t)).await.unwrap();
    assert_eq!(list_length(&mut connection, &lists[0]).await, 0, "evicted at the cap");
    assert_eq!(list_length(&mut connection, &lists[1]).await, 1, "still live");
    assert_eq!(store.end_all(&user("u-lists")).await.unwrap(), CAP as u64);
    for list in &lists {
        assert_eq!(list_length(&mut connection, list).await, 0, "ended with all the user's sessions");
    }
    let left: Vec<String> = redis::cmd("KEYS").arg("*").query_async(&mut connection).await.unwrap();
    assert!(left.is_empty(), "{left:?}");
}

/// Releases before the list kept a session's rotated hashes concatenated in its `:f` field: a session
/// from then still ends when one of those comes back, by rotation or by its refresh token, and the field
/// goes with it.
#[tokio::test]
async fn rotated_hashes_of_the_earlier_layout_still_end_their_session() {
    let redis = RedisServer::start();
    let store = redis_store(&redis);
    let client = redis::Client::open(redis.url()).unwrap();
    let mut connection = client.get_multiplexed_async_connection().await.unwrap();
    let t = now();
    let keys = store.keys(&user("u-legacy"));
    let legacy = [hash(), hash(), hash()];
    let concatenated: String = legacy.iter().map(RefreshHash::as_str).collect();
    let mut sessions = Vec::new();
    for _ in 0..2 {
        let current = hash();
        let session = store.create(new_session("u-legacy", &current, t)).await.unwrap();
        let field = format!("{}:f", session.session_id);
        let _: i64 = redis::cmd("HSET")
            .arg(keys.sessions())
            .arg(&field)
            .arg(&concatenated)
            .query_async(&mut connection)
            .await
            .unwrap();
        sessions.push((session, current, field));
    }

    // Rotating goes on as before; an old hash from the field is reuse.
    let (session, current, field) = &sessions[0];
    let RotationResult::Rotated(_) = store.rotate(rotation(session, current, &hash(), t, 0)).await.unwrap() else {
        panic!("rotates");
    };
    assert_eq!(store.rotate(rotation(session, &legacy[1], &hash(), t, 0)).await.unwrap(), RotationResult::Reused);
    assert!(!is_live(&store, session, t).await);
    let left: bool = redis::cmd("HEXISTS").arg(keys.sessions()).arg(field).query_async(&mut connection).await.unwrap();
    assert!(!left, "the field goes with its session");

    let (session, _, _) = &sessions[1];
    assert_eq!(store.end_by_refresh(&token(session, &legacy[2])).await.unwrap(), 1);
    assert!(!is_live(&store, session, t).await);
}
