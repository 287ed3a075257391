//! `/token/refresh`, `/token/revoke`, `/token/introspect` and the JWKS.

use e2e_tests::checks::{assert_client_error, assert_invalid_token, assert_unauthorized, token_response};
use e2e_tests::jwt;
use e2e_tests::platform::{Platform, Service};
use serde_json::json;

#[tokio::test]
async fn refresh_with_json_and_with_form_rotates_the_token() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (_, first) = api.signed_in().await;

    let second = api.refresh(&first.refresh_token).await;
    second.expect_status(200);
    let second = token_response(&second);
    let third = api.refresh_form(&second.refresh_token).await;
    third.expect_status(200);
    let third = token_response(&third);

    assert_ne!(first.refresh_token, second.refresh_token);
    assert_ne!(second.refresh_token, third.refresh_token);
    assert_eq!(first.session_id, third.session_id);
    assert_ne!(jwt::claims(&second.access_token)["jti"], jwt::claims(&third.access_token)["jti"]);
    assert_eq!(jwt::claims(&third.access_token)["sid"].as_str(), Some(first.session_id.as_str()));
    api.session_status(&third.access_token).await.expect_status(200);
}

#[tokio::test]
async fn refresh_token_is_opaque_base64url_of_at_least_256_bits() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (_, tokens) = api.signed_in().await;
    let token = &tokens.refresh_token;
    assert!(token.len() >= 43, "256 bits are at least 43 base64url characters: {token:?}");
    assert!(
        token.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_'),
        "a refresh token is base64url (no padding, no dots): {token:?}"
    );
}

#[tokio::test]
async fn refresh_with_an_unknown_token_is_401() {
    let platform = Platform::start().await;
    let api = platform.api();
    let unknown = jwt::b64(&[7_u8; 32]);
    assert_unauthorized(&api.refresh(&unknown).await);
    assert_unauthorized(&api.refresh_form(&unknown).await);
    // An access token is no refresh token.
    let (_, tokens) = api.signed_in().await;
    assert_unauthorized(&api.refresh(&tokens.access_token).await);
    // Malformed requests are 4xx.
    let reply = api.post_json(Service::Token, "/token/refresh", &json!({})).await;
    assert_client_error(&reply);
    let reply = api.post_raw(Service::Token, "/token/refresh", "application/json", b"{".to_vec()).await;
    assert_client_error(&reply);
}

#[tokio::test]
async fn revoke_answers_200_even_for_an_unknown_token() {
    let platform = Platform::start().await;
    let api = platform.api();
    api.revoke("no-such-token").await.expect_status(200);
    api.revoke_form("no-such-token", "refresh_token").await.expect_status(200);
    api.revoke_form("a.b.c", "access_token").await.expect_status(200);
    // Not well-formed: no `token`.
    assert_client_error(
        &api.post_json(Service::Token, "/token/revoke", &json!({"token_type_hint": "access_token"})).await,
    );
}

#[tokio::test]
async fn revoking_a_refresh_token_ends_its_session() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens) = api.signed_in().await;
    let other = api.login_ok(&account).await;

    api.revoke_form(&tokens.refresh_token, "refresh_token").await.expect_status(200);
    assert_invalid_token(&api.session_status(&tokens.access_token).await);
    assert_unauthorized(&api.refresh(&tokens.refresh_token).await);
    // The user's other session is untouched.
    api.session_status(&other.access_token).await.expect_status(200);

    // Without a hint, too.
    let third = api.login_ok(&account).await;
    api.revoke(&third.refresh_token).await.expect_status(200);
    assert_invalid_token(&api.session_status(&third.access_token).await);
}

#[tokio::test]
async fn introspect_reports_active_and_inactive_tokens() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens) = api.signed_in().await;
    let claims = jwt::claims(&tokens.access_token);

    let reply = api.introspect(&tokens.access_token).await;
    reply.expect_status(200);
    let body = reply.json();
    assert_eq!(body["active"], json!(true), "{reply}");
    assert_eq!(body["sub"].as_str(), Some(account.user_id.as_str()), "{reply}");
    assert_eq!(body["sid"].as_str(), Some(tokens.session_id.as_str()), "{reply}");
    assert_eq!(body["jti"], claims["jti"], "{reply}");
    assert_eq!(body["exp"], claims["exp"], "{reply}");
    assert_eq!(body["iat"], claims["iat"], "{reply}");
    assert_eq!(body["iss"], json!(jwt::ISSUER), "{reply}");
    assert!(body["aud"] == json!(jwt::AUDIENCE) || body["aud"] == json!([jwt::AUDIENCE]), "{reply}");
    assert!(body["token_type"].is_string(), "token_type: {reply}");

    // JSON body works too.
    let by_json = api
        .send(
            api.request(reqwest::Method::POST, Service::Token, "/token/introspect")
                .bearer_auth(api.internal_token())
                .json(&json!({"token": tokens.access_token})),
        )
        .await;
    by_json.expect_status(200);
    assert_eq!(by_json.json()["active"], json!(true), "{by_json}");

    for garbage in ["garbage", "a.b.c", &jwt::b64(&[1_u8; 32])] {
        let reply = api.introspect(garbage).await;
        reply.expect_status(200);
        assert_eq!(reply.json(), json!({"active": false}), "{garbage}: {reply}");
    }

    api.revoke(&tokens.access_token).await.expect_status(200);
    let reply = api.introspect(&tokens.access_token).await;
    reply.expect_status(200);
    assert_eq!(reply.json(), json!({"active": false}), "a revoked token is inactive: {reply}");
}

#[tokio::test]
async fn introspect_reports_a_refresh_token_active_until_it_is_revoked() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens) = api.signed_in().await;

    let reply = api.introspect(&tokens.refresh_token).await;
    reply.expect_status(200);
    let body = reply.json();
    assert_eq!(body["active"], json!(true), "{reply}");
    assert_eq!(body["token_type"], json!("refresh_token"), "{reply}");
    assert_eq!(body["sub"].as_str(), Some(account.user_id.as_str()), "{reply}");
    assert_eq!(body["sid"].as_str(), Some(tokens.session_id.as_str()), "{reply}");

    api.revoke(&tokens.refresh_token).await.expect_status(200);
    let reply = api.introspect(&tokens.refresh_token).await;
    reply.expect_status(200);
    assert_eq!(reply.json(), json!({"active": false}), "a revoked refresh token is inactive: {reply}");
}

#[tokio::test]
async fn introspect_requires_the_internal_token() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (_, tokens) = api.signed_in().await;
    assert_unauthorized(&api.introspect_with_authorization(&tokens.access_token, None).await);
    let wrong = format!("Bearer {}", "0".repeat(48));
    assert_unauthorized(&api.introspect_with_authorization(&tokens.access_token, Some(&wrong)).await);
    // A user's access token is not the internal token.
    let own = format!("Bearer {}", tokens.access_token);
    assert_unauthorized(&api.introspect_with_authorization(&tokens.access_token, Some(&own)).await);
    let basic = format!("Basic {}", jwt::b64(format!("x:{}", api.internal_token()).as_bytes()));
    assert_unauthorized(&api.introspect_with_authorization(&tokens.access_token, Some(&basic)).await);
}

#[tokio::test]
async fn jwks_publishes_public_keys_only() {
    let platform = Platform::start().await;
    let api = platform.api();
    let reply = api.jwks().await;
    reply.expect_status(200);
    assert!(reply.content_type().contains("json"), "{reply}");
    let body = reply.json();
    let keys = body["keys"].as_array().unwrap_or_else(|| panic!("no keys array: {reply}"));
    assert!(!keys.is_empty(), "an EdDSA platform publishes its key: {reply}");
    for key in keys {
        assert!(key["kid"].as_str().is_some_and(|kid| !kid.is_empty()), "every key has a kid: {key}");
        assert_eq!(key["kty"], json!("OKP"), "{key}");
        assert_eq!(key["crv"], json!("Ed25519"), "{key}");
        assert_eq!(jwt::unb64(key["x"].as_str().unwrap()).len(), 32, "x is a 32-byte Ed25519 public key: {key}");
        for private in ["d", "p", "q", "dp", "dq", "qi", "k"] {
            assert!(key.get(private).is_none(), "a public JWK must not carry {private:?}: {key}");
        }
        if let Some(alg) = key.get("alg") {
            assert_eq!(alg, &json!("EdDSA"), "{key}");
        }
    }
}
