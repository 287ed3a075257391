//! `/token/refresh`: what the token service asks the session service to rotate, and how it maps each
//! answer (rotated, grace replay with the sealed successor, reuse, unknown). Races between concurrent
//! refreshes and the session really ending are tested end to end in `tests/e2e/`.

use crate::helpers::{
    INVALID_REFRESH, MAX_LIFETIME_SECONDS, Options, REFRESH_TTL_SECONDS, REUSED, RotateAnswer, assert_problem, claims,
    refresh_hash, spawn_app, spawn_with, unknown_refresh_token,
};

#[tokio::test]
async fn refresh_rotates_by_hash_and_keeps_the_session() {
    let app = spawn_app().await;
    let tokens = app.mint("u2").await;
    let refreshed = app.refreshed(&tokens.refresh_token).await;

    assert_ne!(refreshed.refresh_token, tokens.refresh_token);
    assert_ne!(refreshed.access_token, tokens.access_token);
    assert_ne!(claims(&refreshed.access_token)["jti"], claims(&tokens.access_token)["jti"]);
    assert_eq!(refreshed.session_id, tokens.session_id);
    assert_eq!(claims(&refreshed.access_token)["sid"], tokens.session_id.as_str());
    assert_eq!(refreshed.refresh_expires_in, REFRESH_TTL_SECONDS);

    let rotations = app.session.recorded().rotations;
    assert_eq!(rotations.len(), 1);
    let rotation = &rotations[0];
    assert_eq!(rotation.presented_hash, refresh_hash(&tokens.refresh_token));
    assert_eq!(rotation.successor_hash, refresh_hash(&refreshed.refresh_token));
    assert_eq!(rotation.ttl_seconds, REFRESH_TTL_SECONDS);
    assert_eq!(rotation.max_lifetime_seconds, MAX_LIFETIME_SECONDS);
    assert_eq!(rotation.session_id, tokens.session_id, "the refresh token names its session");
    assert_eq!(rotation.user_id, claims(&tokens.access_token)["sub"].as_str().unwrap(), "and its user");
    assert_eq!(rotation.grace_seconds, 0);
    assert_eq!(rotation.sealed_successor, None, "without a grace window nothing is sealed");

    // The form encoding of OAuth2 clients works as well.
    let form = app
        .client
        .post(app.url("/token/refresh"))
        .form(&[("grant_type", "refresh_token"), ("refresh_token", refreshed.refresh_token.as_str())])
        .send()
        .await
        .unwrap();
    assert_eq!(form.status(), 200);
    assert_eq!(app.session.recorded().rotations[1].presented_hash, refresh_hash(&refreshed.refresh_token));
}

#[tokio::test]
async fn a_reuse_answer_is_a_401_refresh_token_reused() {
    let app = spawn_app().await;
    let tokens = app.mint("u3").await;
    app.session.script(|script| script.rotate = RotateAnswer::Problem { status: 401, kind: REUSED });
    let reuse = app.refresh(&tokens.refresh_token).await;
    assert_eq!(reuse.headers().get("www-authenticate").unwrap(), "Bearer error=\"invalid_token\"");
    let problem = assert_problem(reuse, 401).await;
    assert_eq!(problem["type"], REUSED);
    assert_eq!(problem["error"], "invalid_grant", "{problem}");
    assert_eq!(problem["error_description"], problem["detail"], "{problem}");
    assert_eq!(app.session.recorded().rotations.len(), 1);
}

#[tokio::test]
async fn unknown_malformed_and_wrongly_granted_refreshes_are_refused() {
    let app = spawn_app().await;
    // Well-formed but unknown to the session service.
    app.session.script(|script| script.rotate = RotateAnswer::Problem { status: 401, kind: INVALID_REFRESH });
    let unknown = app.refresh(unknown_refresh_token().expose()).await;
    assert!(unknown.headers().get("www-authenticate").is_some());
    let problem = assert_problem(unknown, 401).await;
    assert_eq!((&problem["type"], &problem["error"]), (&INVALID_REFRESH.into(), &"invalid_grant".into()));
    assert_eq!(app.session.recorded().rotations.len(), 1);

    // Not shaped like a refresh token, not a refresh grant, no token: refused without asking the session service.
    for malformed in ["not-a-token", &"x".repeat(43)] {
        let problem = assert_problem(app.refresh(malformed).await, 401).await;
        assert_eq!(problem["type"], INVALID_REFRESH, "{malformed}");
        assert_eq!(problem["error"], "invalid_grant", "{malformed}");
    }
    let wrong_grant = app
        .client
        .post(app.url("/token/refresh"))
        .form(&[("grant_type", "password"), ("refresh_token", "x")])
        .send()
        .await
        .unwrap();
    assert_eq!(assert_problem(wrong_grant, 400).await["error"], "unsupported_grant_type");
    // The grant type is checked first: a password grant sent here is told so, not that a field is missing.
    let password_grant = [("grant_type", "password"), ("username", "alice"), ("password", "secret")];
    let password_grant = app.client.post(app.url("/token/refresh")).form(&password_grant).send().await.unwrap();
    assert_eq!(assert_problem(password_grant, 400).await["error"], "unsupported_grant_type");
    let missing = app.client.post(app.url("/token/refresh")).json(&serde_json::json!({})).send().await.unwrap();
    assert_eq!(assert_problem(missing, 400).await["error"], "invalid_request");
    let method = app.client.get(app.url("/token/refresh")).send().await.unwrap();
    assert_eq!(method.headers().get("allow").expect("Allow"), "POST");
    assert_eq!(assert_problem(method, 405).await["error"], "invalid_request");
    assert_eq!(app.session.recorded().rotations.len(), 1);
}

#[tokio::test]
async fn with_a_grace_window_a_replayed_refresh_gets_the_same_successor() {
    let app = spawn_with(Options { grace_seconds: 10, ..Options::default() }).await;
    let tokens = app.mint("tabs").await;
    let first = app.refreshed(&tokens.refresh_token).await;
    let rotation = app.session.recorded().rotations[0].clone();
    assert_eq!(rotation.grace_seconds, 10);
    let sealed = rotation.sealed_successor.expect("with a grace window the successor is sent sealed");
    assert!(!sealed.contains(&first.refresh_token), "sealed, not in the clear");

    // The session service answers `grace` with what it kept: the token service opens it.
    app.session.script(|script| script.rotate = RotateAnswer::GraceReplay);
    let again = app.refreshed(&tokens.refresh_token).await;
    assert_eq!(again.refresh_token, first.refresh_token, "a retried refresh gets the same successor");
    assert_eq!(again.session_id, tokens.session_id);
    assert_ne!(again.access_token, first.access_token, "but a new access token");

    app.session.script(|script| script.rotate = RotateAnswer::Rotated);
    let next = app.refreshed(&first.refresh_token).await;
    assert_ne!(next.refresh_token, first.refresh_token);

    // Once the successor has rotated, the session service calls the oldest token reuse.
    app.session.script(|script| script.rotate = RotateAnswer::Problem { status: 401, kind: REUSED });
    assert_eq!(assert_problem(app.refresh(&tokens.refresh_token).await, 401).await["type"], REUSED);
}

#[tokio::test]
async fn a_grace_answer_the_presented_token_cannot_open_is_refused() {
    let app = spawn_with(Options { grace_seconds: 10, ..Options::default() }).await;
    let tokens = app.mint("stranger").await;
    let stranger = unknown_refresh_token();
    let sealed_for_another = stranger.seal(&unknown_refresh_token()).unwrap();
    for sealed in [None, Some(sealed_for_another), Some("garbage".to_owned())] {
        app.session.script(|script| script.rotate = RotateAnswer::GraceSealed(sealed.clone()));
        let problem = assert_problem(app.refresh(&tokens.refresh_token).await, 401).await;
        assert_eq!(problem["type"], INVALID_REFRESH, "{sealed:?}");
    }
}

#[tokio::test]
async fn a_4xx_other_than_401_from_the_session_service_is_a_500() {
    let app = spawn_app().await;
    let tokens = app.mint("odd").await;
    app.session.script(|script| {
        script.rotate = RotateAnswer::Problem { status: 400, kind: "urn:auth-platform:problem:bad-request" }
    });
    let problem = assert_problem(app.refresh(&tokens.refresh_token).await, 500).await;
    assert!(!problem["detail"].as_str().unwrap().contains("session"), "no internal cause reaches the client");
}
