//! Rotation under concurrency on a real Redis: 20 refreshes of one token at once.

use crate::helpers::random_hash;
use crate::store_contract::redis_store;
use auth_proto::clock::now;
use session_service::domain::refresh_hash::RefreshHash;
use session_service::domain::session_id::SessionId;
use session_service::domain::user_id::UserId;
use session_service::store::{NewSession, RefreshRef, Rotation, RotationResult, SessionStore};
use test_support::{RedisServer, uuid_for};

const CONCURRENT: usize = 20;

async fn race(grace_seconds: i64) -> Vec<RotationResult> {
    let redis = RedisServer::start();
    let store = redis_store(&redis);
    let t = now();
    let presented = RefreshHash::parse(&random_hash()).unwrap();
    let session = store
        .create(NewSession {
            session_id: SessionId::generate(),
            user_id: UserId::parse(&uuid_for("racer")).unwrap(),
            username: "racer".into(),
            amr: vec!["pwd".into()],
            refresh_hash: presented.clone(),
            now: t,
            expires_at: t + 3600,
            user_agent: None,
            ip: None,
        })
        .await
        .unwrap();
    let presented = RefreshRef {
        user_id: UserId::parse(&session.user_id).unwrap(),
        session_id: SessionId::parse(&session.session_id).unwrap(),
        hash: presented,
    };
    let attempts = (0..CONCURRENT).map(|_| {
        let store = store.clone();
        let presented = presented.clone();
        tokio::spawn(async move {
            let successor = RefreshHash::parse(&random_hash()).unwrap();
            store
                .rotate(Rotation {
                    presented,
                    sealed_successor: Some(format!("sealed-{}", successor.as_str())),
                    successor,
                    now: t,
                    ttl_seconds: 3600,
                    max_lifetime_seconds: 7200,
                    grace_seconds,
                })
                .await
                .unwrap()
        })
    });
    let mut results = Vec::new();
    for attempt in attempts.collect::<Vec<_>>() {
        results.push(attempt.await.unwrap());
    }
    results
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn without_grace_exactly_one_concurrent_refresh_wins() {
    let results = race(0).await;
    let rotated = results.iter().filter(|r| matches!(r, RotationResult::Rotated(_))).count();
    assert_eq!(rotated, 1, "{results:?}");
    assert!(
        results
            .iter()
            .all(|r| matches!(r, RotationResult::Rotated(_) | RotationResult::Reused | RotationResult::Unknown))
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn with_grace_every_concurrent_refresh_gets_the_same_successor() {
    let results = race(10).await;
    let rotated = results.iter().filter(|r| matches!(r, RotationResult::Rotated(_))).count();
    assert_eq!(rotated, 1, "{results:?}");
    let sealed: Vec<&String> = results
        .iter()
        .filter_map(|r| match r {
            RotationResult::Grace { sealed_successor, .. } => Some(sealed_successor),
            _ => None,
        })
        .collect();
    assert_eq!(sealed.len(), CONCURRENT - 1, "{results:?}");
    assert!(sealed.windows(2).all(|pair| pair[0] == pair[1]), "all got one successor");
}
