//! Every public and internal route of the session service, success and error paths, on Redis.

use crate::helpers::{INTERNAL_TOKEN, assert_problem, random_hash, spawn_app, spawn_app_in_memory, spawn_app_with};
use auth_proto::claims::AccessClaims;
use auth_proto::internal::RevokeAccessResponse;
use serde_json::json;
use session_service::domain::max_sessions::MaxSessions;
use test_support::uuid_for;

#[tokio::test]
async fn status_reports_the_live_session() {
    let app = spawn_app().await;
    let (session, _) = app.open_session("user-1").await;
    let response = app.get_with_token("/session/status", &app.access_token(&session)).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    assert_eq!(body["active"], true);
    assert_eq!(body["session_id"], session.session_id);
    assert_eq!(body["user_id"], uuid_for("user-1"));
    for field in ["created_at", "expires_at", "last_seen_at"] {
        let value = body[field].as_str().unwrap();
        assert!(time::OffsetDateTime::parse(value, &time::format_description::well_known::Rfc3339).is_ok(), "{value}");
    }
}

#[tokio::test]
async fn status_without_a_token_is_401_with_a_bearer_challenge() {
    let app = spawn_app().await;
    let response = app.client.get(app.url("/session/status")).send().await.unwrap();
    assert_eq!(response.headers().get("www-authenticate").unwrap(), "Bearer");
    assert_problem(response, 401).await;
}

#[tokio::test]
async fn list_marks_the_current_session() {
    let app = spawn_app().await;
    let (first, _) = app.open_session("user-2").await;
    let (second, _) = app.open_session("user-2").await;
    app.open_session("someone-else").await;
    let response = app.get_with_token("/session/list", &app.access_token(&second)).await;
    assert_eq!(response.status(), 200);
    let body: serde_json::Value = response.json().await.unwrap();
    let sessions = body["sessions"].as_array().unwrap();
    assert_eq!(sessions.len(), 2);
    let current: Vec<&serde_json::Value> = sessions.iter().filter(|s| s["current"] == true).collect();
    assert_eq!(current.len(), 1);
    assert_eq!(current[0]["session_id"], second.session_id);
    assert!(sessions.iter().any(|s| s["session_id"] == first.session_id));
    assert_eq!(sessions[0]["user_agent"], "test-agent/1.0");
    assert_eq!(sessions[0]["ip"], "192.0.2.7");
}

#[tokio::test]
async fn invalidate_ends_the_current_session_by_default() {
    let app = spawn_app().await;
    let (session, _) = app.open_session("user-3").await;
    let token = app.access_token(&session);
    let response = app.client.post(app.url("/session/invalidate")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(response.status(), 200);
    assert_eq!(response.json::<serde_json::Value>().await.unwrap(), json!({ "invalidated": 1 }));
    let after = app.get_with_token("/session/status", &token).await;
    assert_eq!(after.headers().get("www-authenticate").unwrap(), "Bearer error=\"invalid_token\"");
    assert_problem(after, 401).await;
}

#[tokio::test]
async fn invalidate_by_id_only_reaches_the_users_own_sessions() {
    let app = spawn_app().await;
    let (mine, _) = app.open_session("user-4").await;
    let (other_of_mine, _) = app.open_session("user-4").await;
    let (theirs, _) = app.open_session("user-5").await;
    let token = app.access_token(&mine);

    assert_problem(app.invalidate(&token, json!({ "session_id": theirs.session_id })).await, 404).await;
    assert_eq!(app.get_with_token("/session/status", &app.access_token(&theirs)).await.status(), 200);
    assert_problem(app.invalidate(&token, json!({ "session_id": "not-a-session" })).await, 404).await;
    assert_problem(app.invalidate(&token, json!({ "session_id": mine.session_id, "all": true })).await, 400).await;
    assert_problem(app.invalidate(&token, json!({ "unexpected": 1 })).await, 400).await;

    let response = app.invalidate(&token, json!({ "session_id": other_of_mine.session_id })).await;
    assert_eq!(response.json::<serde_json::Value>().await.unwrap(), json!({ "invalidated": 1 }));
    assert_eq!(app.get_with_token("/session/status", &app.access_token(&other_of_mine)).await.status(), 401);
    assert_eq!(app.get_with_token("/session/status", &token).await.status(), 200);
}

#[tokio::test]
async fn invalidate_all_ends_every_session_of_the_user() {
    let app = spawn_app().await;
    let (one, _) = app.open_session("user-6").await;
    app.open_session("user-6").await;
    app.open_session("user-6").await;
    let (bystander, _) = app.open_session("user-7").await;
    let response = app.invalidate(&app.access_token(&one), json!({ "all": true })).await;
    assert_eq!(response.json::<serde_json::Value>().await.unwrap(), json!({ "invalidated": 3 }));
    assert_eq!(app.get_with_token("/session/status", &app.access_token(&bystander)).await.status(), 200);
}

#[tokio::test]
async fn verify_answers_identity_headers_with_an_empty_body() {
    let app = spawn_app().await;
    let (session, _) = app.open_session("user-8").await;
    let token = app.access_token(&session);
    let response = app.get_with_token("/session/verify", &token).await;
    assert_eq!(response.status(), 200);
    assert_eq!(response.headers().get("x-user-id").unwrap(), uuid_for("user-8").as_str());
    assert_eq!(response.headers().get("x-session-id").unwrap(), session.session_id.as_str());
    assert_eq!(response.headers().get("x-username").unwrap(), "name-of-user-8");
    assert!(response.bytes().await.unwrap().is_empty());

    // Envoy ext_authz keeps the original method and appends the path.
    let envoy = app.client.post(app.url("/session/verify/api/orders?x=1")).bearer_auth(&token).send().await.unwrap();
    assert_eq!(envoy.status(), 200);

    let refused = app.client.get(app.url("/session/verify")).send().await.unwrap();
    assert_problem(refused, 401).await;
}

#[tokio::test]
async fn internal_routes_need_the_internal_token() {
    let app = spawn_app().await;
    let body = json!({ "user_id": uuid_for("u"), "username": "u", "amr": ["pwd"], "refresh_hash": random_hash(), "ttl_seconds": 60, "max_lifetime_seconds": 60 });
    let without = app.client.post(app.url("/internal/sessions")).json(&body).send().await.unwrap();
    assert_problem(without, 401).await;
    let wrong = app.client.post(app.url("/internal/sessions")).bearer_auth("wrong").json(&body).send().await.unwrap();
    assert_problem(wrong, 401).await;
    let right =
        app.client.post(app.url("/internal/sessions")).bearer_auth(INTERNAL_TOKEN).json(&body).send().await.unwrap();
    assert_eq!(right.status(), 201);
}

#[tokio::test]
async fn internal_bad_input_is_400_and_stores_nothing() {
    let app = spawn_app().await;
    let (session, _) = app.open_session("user-9").await;
    let bad_hash = json!({ "user_id": uuid_for("user-9"), "username": "u", "amr": ["pwd"], "refresh_hash": "short", "ttl_seconds": 60, "max_lifetime_seconds": 60 });
    assert_problem(app.post_internal("/internal/sessions", &bad_hash).await, 400).await;
    let bad_ttl = json!({ "user_id": uuid_for("user-9"), "username": "u", "amr": ["pwd"], "refresh_hash": random_hash(), "ttl_seconds": -5, "max_lifetime_seconds": 60 });
    assert_problem(app.post_internal("/internal/sessions", &bad_ttl).await, 400).await;
    let bad_user = json!({ "user_id": "user-9", "username": "u", "amr": ["pwd"], "refresh_hash": random_hash(), "ttl_seconds": 60, "max_lifetime_seconds": 60 });
    assert_problem(app.post_internal("/internal/sessions", &bad_user).await, 400).await;
    for lifetime in [json!(0), json!(-1), json!(400 * 24 * 3600), json!(null)] {
        let bad_lifetime = json!({ "user_id": uuid_for("user-9"), "username": "u", "amr": ["pwd"], "refresh_hash": random_hash(), "ttl_seconds": 60, "max_lifetime_seconds": lifetime });
        assert_problem(app.post_internal("/internal/sessions", &bad_lifetime).await, 400).await;
    }
    assert_problem(app.post_internal("/internal/sessions/rotate", &json!({ "presented_hash": 1 })).await, 400).await;
    let list = app.get_with_token("/session/list", &app.access_token(&session)).await;
    let body: serde_json::Value = list.json().await.unwrap();
    assert_eq!(body["sessions"].as_array().unwrap().len(), 1, "no session was added by bad input");
}

#[tokio::test]
async fn internal_rotation_answers_401_for_unknown_and_reused_tokens() {
    let app = spawn_app().await;
    let (session, refresh) = app.open_session("user-10").await;
    let rotate = |presented: String| json!({ "user_id": session.user_id, "session_id": session.session_id, "presented_hash": presented, "successor_hash": random_hash(), "sealed_successor": "sealed", "ttl_seconds": 600, "max_lifetime_seconds": 3600, "grace_seconds": 0 });
    let unknown = app.post_internal("/internal/sessions/rotate", &rotate(random_hash())).await;
    assert_eq!(unknown.headers().get("www-authenticate").unwrap(), "Bearer error=\"invalid_token\"");
    let unknown = assert_problem(unknown, 401).await;
    assert_eq!(unknown["type"], "urn:auth-platform:problem:invalid-refresh-token");
    let first = app.post_internal("/internal/sessions/rotate", &rotate(refresh.clone())).await;
    assert_eq!(first.status(), 200);
    assert_eq!(first.json::<serde_json::Value>().await.unwrap()["outcome"], "rotated");
    let reused = assert_problem(app.post_internal("/internal/sessions/rotate", &rotate(refresh)).await, 401).await;
    assert_eq!(reused["type"], "urn:auth-platform:problem:refresh-token-reused");
}

#[tokio::test]
async fn revoked_access_tokens_are_refused_while_the_session_lives() {
    let app = spawn_app().await;
    let (session, _) = app.open_session("user-11").await;
    let claims = app.claims(&session);
    let revoked = app.key.sign(&claims).unwrap();
    // Used once first, so that its verification is cached: revocation must still win.
    assert_eq!(app.get_with_token("/session/status", &revoked).await.status(), 200);
    let response = app
        .post_internal(
            "/internal/revocations",
            &json!({ "user_id": claims.sub, "jti": claims.jti, "expires_at": claims.exp }),
        )
        .await;
    assert_eq!(response.status(), 200);
    let answer: RevokeAccessResponse = response.json().await.unwrap();
    assert_eq!(answer, RevokeAccessResponse { revoked: true });
    assert_eq!(app.get_with_token("/session/status", &revoked).await.status(), 401);
    assert_eq!(app.get_with_token("/session/status", &app.access_token(&session)).await.status(), 200);
}

#[tokio::test]
async fn bodies_over_64_kib_are_413() {
    let app = spawn_app().await;
    let (session, _) = app.open_session("user-12").await;
    let big = json!({ "session_id": "x".repeat(70 * 1024) });
    assert_problem(app.invalidate(&app.access_token(&session), big).await, 413).await;
}

#[tokio::test]
async fn unknown_routes_are_404_problems_and_health_answers() {
    let app = spawn_app().await;
    assert_problem(app.client.get(app.url("/nope")).send().await.unwrap(), 404).await;
    assert_eq!(app.client.get(app.url("/healthz")).send().await.unwrap().status(), 200);
    assert_eq!(app.client.get(app.url("/readyz")).send().await.unwrap().status(), 200);
}

#[tokio::test]
async fn the_in_memory_store_serves_the_same_routes() {
    let app = spawn_app_in_memory().await;
    let (session, _) = app.open_session("user-13").await;
    let token = app.access_token(&session);
    assert_eq!(app.get_with_token("/session/status", &token).await.status(), 200);
    assert_eq!(app.invalidate(&token, json!({})).await.status(), 200);
    assert_eq!(app.get_with_token("/session/status", &token).await.status(), 401);
}

#[tokio::test]
async fn the_openapi_document_lists_every_route_and_metrics_are_served() {
    let app = spawn_app().await;
    let doc: serde_json::Value = app.client.get(app.url("/openapi.json")).send().await.unwrap().json().await.unwrap();
    assert!(doc["openapi"].as_str().unwrap().starts_with('3'));
    for path in [
        "/healthz",
        "/readyz",
        "/session/status",
        "/session/list",
        "/session/invalidate",
        "/session/verify",
        "/internal/sessions",
        "/internal/sessions/rotate",
        "/internal/sessions/check",
        "/internal/sessions/lookup",
        "/internal/sessions/end",
        "/internal/revocations",
        "/internal/users/{user_id}/sessions/invalidate",
    ] {
        assert!(doc["paths"].get(path).is_some(), "{path} is missing from the document");
    }
    let metrics = app.client.get(app.url("/metrics")).send().await.unwrap();
    assert_eq!(metrics.status(), 200);
    assert!(metrics.text().await.unwrap().contains("session_http_requests_total"));
}

#[tokio::test]
async fn a_grace_window_needs_a_sealed_successor_and_none_is_kept_without_one() {
    let app = spawn_app().await;
    let (session, refresh) = app.open_session("user-grace").await;
    let ids = json!({ "user_id": session.user_id, "session_id": session.session_id, "max_lifetime_seconds": 3600 });
    let with = |mut body: serde_json::Value| {
        body.as_object_mut().unwrap().extend(ids.as_object().unwrap().clone());
        body
    };
    let without_sealed = with(
        json!({ "presented_hash": refresh, "successor_hash": random_hash(), "ttl_seconds": 600, "grace_seconds": 5 }),
    );
    assert_problem(app.post_internal("/internal/sessions/rotate", &without_sealed).await, 400).await;
    // Strict mode: no sealed successor is needed, and the token rotates.
    let strict = with(
        json!({ "presented_hash": refresh, "successor_hash": random_hash(), "ttl_seconds": 600, "grace_seconds": 0 }),
    );
    assert_eq!(app.post_internal("/internal/sessions/rotate", &strict).await.status(), 200);
}

#[tokio::test]
async fn malformed_ids_are_400_on_internal_routes_and_401_in_a_token() {
    let app = spawn_app().await;
    let (session, _) = app.open_session("user-14").await;
    let good = app.claims(&session);
    for (session_id, user_id, jti) in [
        ("not-a-session", good.sub.as_str(), good.jti.as_str()),
        (good.sid.as_str(), "USER", good.jti.as_str()),
        (good.sid.as_str(), good.sub.as_str(), "jti-1"),
    ] {
        let check = json!({ "session_id": session_id, "user_id": user_id, "jti": jti });
        assert_problem(app.post_internal("/internal/sessions/check", &check).await, 400).await;
    }
    let check = json!({ "session_id": good.sid, "user_id": good.sub, "jti": good.jti });
    let live: serde_json::Value = app.post_internal("/internal/sessions/check", &check).await.json().await.unwrap();
    assert_eq!(live["active"], true);
    for (user_id, jti) in [(good.sub.as_str(), "../s:x"), ("}:s", good.jti.as_str())] {
        let revoke = json!({ "user_id": user_id, "jti": jti, "expires_at": good.exp });
        assert_problem(app.post_internal("/internal/revocations", &revoke).await, 400).await;
    }
    for (user_id, session_id) in [(good.sub.as_str(), "x"), ("{other}", good.sid.as_str())] {
        let refresh = json!({ "user_id": user_id, "session_id": session_id, "refresh_hash": random_hash() });
        assert_problem(app.post_internal("/internal/sessions/lookup", &refresh).await, 400).await;
        assert_problem(app.post_internal("/internal/sessions/end", &refresh).await, 400).await;
    }
    // Found by the fuzzer: an expiry near i64::MAX overflowed the margin (a panic) or was refused by
    // Redis (a 503); more than a year ahead is a caller's bug, and nothing is revoked.
    for expires_at in [i64::MAX, i64::MAX - 1, 4_611_686_018_427_387_902, good.exp + 400 * 24 * 3600] {
        let revoke = json!({ "user_id": good.sub, "jti": good.jti, "expires_at": expires_at });
        assert_problem(app.post_internal("/internal/revocations", &revoke).await, 400).await;
    }
    let past = json!({ "user_id": good.sub, "jti": good.jti, "expires_at": i64::MIN });
    assert_eq!(app.post_internal("/internal/revocations", &past).await.status(), 200, "nothing left to refuse");
    let uppercase = good.sub.to_uppercase();
    let path = format!("/internal/users/{uppercase}/sessions/invalidate");
    assert_problem(app.post_internal(&path, &json!({})).await, 400).await;

    for claims in [
        AccessClaims { sub: "user-14".into(), ..good.clone() },
        AccessClaims { sid: "session-1".into(), ..good.clone() },
        AccessClaims { jti: "jti-1".into(), ..good.clone() },
    ] {
        let token = app.key.sign(&claims).unwrap();
        assert_problem(app.get_with_token("/session/status", &token).await, 401).await;
    }
    assert_eq!(app.get_with_token("/session/status", &app.access_token(&session)).await.status(), 200);
}

#[tokio::test]
async fn opening_more_than_the_cap_ends_the_least_recently_used_session_at_once() {
    let app = spawn_app_with(MaxSessions::new(2).unwrap()).await;
    let (first, _) = app.open_session("user-cap").await;
    let first_token = app.access_token(&first);
    assert_eq!(app.get_with_token("/session/verify", &first_token).await.status(), 200);
    let (second, _) = app.open_session("user-cap").await;
    let (third, _) = app.open_session("user-cap").await;
    assert_problem(app.get_with_token("/session/verify", &first_token).await, 401).await;
    assert_problem(app.get_with_token("/session/status", &first_token).await, 401).await;
    let token = app.access_token(&third);
    assert_eq!(app.get_with_token("/session/verify", &app.access_token(&second)).await.status(), 200);
    let listed: serde_json::Value = app.get_with_token("/session/list", &token).await.json().await.unwrap();
    assert_eq!(listed["sessions"].as_array().unwrap().len(), 2, "{listed}");
}

#[tokio::test]
async fn a_new_session_lives_no_longer_than_its_maximum_lifetime() {
    let app = spawn_app().await;
    let (session, _) = app.open_session_for("user-lifetime", 3600, 600).await;
    assert_eq!(session.expires_at - session.created_at, 600);
    let (session, refresh) = app.open_session_for("user-lifetime", 600, 3600).await;
    assert_eq!(session.expires_at - session.created_at, 600);
    let rotate = json!({ "user_id": session.user_id, "session_id": session.session_id, "presented_hash": refresh, "successor_hash": random_hash(), "ttl_seconds": 7200, "max_lifetime_seconds": 3600, "grace_seconds": 0 });
    let rotated: serde_json::Value =
        app.post_internal("/internal/sessions/rotate", &rotate).await.json().await.unwrap();
    let expires_at = rotated["session"]["expires_at"].as_i64().unwrap();
    assert_eq!(expires_at, session.created_at + 3600, "{rotated}");
}
