//! Forged, tampered, expired and malformed bearer tokens at `/session/status` and `/session/verify`:
//! every one is a 401 (`error="invalid_token"`), never a 5xx.

use e2e_tests::api::{Account, Api, Tokens};
use e2e_tests::checks::{assert_invalid_token, assert_unauthorized};
use e2e_tests::jwt;
use e2e_tests::platform::{Platform, generate_private_key_pem};
use serde_json::{Value, json};

/// The token is refused at both hot-path routes (and at the list).
async fn assert_refused(api: &Api, token: &str, what: &str) {
    for reply in [api.session_status(token).await, api.session_verify(token).await, api.session_list(token).await] {
        assert!(reply.status < 500, "{what}: never a 5xx: {reply}");
        assert_eq!(reply.status, 401, "{what}: {reply}");
        assert_invalid_token(&reply);
    }
}

async fn setup(platform: &Platform) -> (Account, Tokens, String) {
    let api = platform.api();
    let (account, tokens) = api.signed_in().await;
    // The session service has seen (and cached) the real key once.
    api.session_status(&tokens.access_token).await.expect_status(200);
    let kid = jwt::header(&tokens.access_token)["kid"].as_str().expect("access tokens carry a kid").to_owned();
    (account, tokens, kid)
}

#[tokio::test]
async fn control_a_token_signed_with_the_real_key_and_valid_claims_is_accepted() {
    // Proves that the forgeries below differ from an acceptable token only in what they change.
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens, kid) = setup(&platform).await;
    let claims = jwt::valid_claims(&account.user_id, &tokens.session_id, &account.username);
    let token = jwt::sign_eddsa(platform.private_key_pem(), &kid, &claims);
    api.session_status(&token).await.expect_status(200);
    api.session_verify(&token).await.expect_status(200);
}

#[tokio::test]
async fn a_jwt_of_another_type_signed_with_the_real_key_is_refused() {
    // An ID token, a logout token or any other JWT the same key might sign is no access token.
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens, kid) = setup(&platform).await;
    assert_eq!(jwt::header(&tokens.access_token)["typ"], json!(jwt::ACCESS_TOKEN_TYPE));
    let claims = jwt::valid_claims(&account.user_id, &tokens.session_id, &account.username);
    let pem = platform.private_key_pem();
    for typ in [Some("JWT"), Some("id_token+jwt"), Some("logout+jwt"), Some(""), None] {
        assert_refused(api, &jwt::sign_eddsa_typed(pem, &kid, typ, &claims), &format!("typ {typ:?}")).await;
    }
    // The real claims, re-signed as a plain JWT.
    let real = jwt::claims(&tokens.access_token);
    assert_refused(api, &jwt::sign_eddsa_typed(pem, &kid, Some("JWT"), &real), "the real claims as typ JWT").await;
    // The media-type spelling of the access-token type passes (RFC 9068 allows it).
    let token = jwt::sign_eddsa_typed(pem, &kid, Some("application/at+jwt"), &claims);
    api.session_status(&token).await.expect_status(200);
}

#[tokio::test]
async fn alg_none_is_refused() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens, kid) = setup(&platform).await;
    let claims = jwt::valid_claims(&account.user_id, &tokens.session_id, &account.username);
    for alg in ["none", "None", "NONE", "nOnE"] {
        let token = jwt::unsigned(&json!({"alg": alg, "typ": "JWT", "kid": kid}), &claims);
        assert_refused(api, &token, &format!("alg {alg} with an empty signature")).await;
        assert_refused(api, token.trim_end_matches('.'), &format!("alg {alg} without a signature part")).await;
    }
    // The real token's claims, re-labelled as unsigned.
    let real_claims = jwt::claims(&tokens.access_token);
    let token = jwt::unsigned(&json!({"alg": "none", "kid": kid}), &real_claims);
    assert_refused(api, &token, "alg none with the real claims").await;
}

#[tokio::test]
async fn hs256_signed_with_the_public_key_is_refused() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens, kid) = setup(&platform).await;
    let claims = jwt::valid_claims(&account.user_id, &tokens.session_id, &account.username);
    let jwks = api.jwks().await.json();
    let key = jwks["keys"].as_array().unwrap().iter().find(|k| k["kid"] == json!(kid)).unwrap().clone();
    let x = key["x"].as_str().unwrap().to_owned();
    let secrets: Vec<(&str, Vec<u8>)> = vec![
        ("the raw public key bytes", jwt::unb64(&x)),
        ("the base64url x value", x.clone().into_bytes()),
        ("the JWK JSON", key.to_string().into_bytes()),
        ("the JWKS JSON", jwks.to_string().into_bytes()),
    ];
    for (what, secret) in secrets {
        let token = jwt::sign_hs256(&secret, Some(&kid), &claims);
        assert_refused(api, &token, &format!("HS256 keyed with {what}")).await;
        let token = jwt::sign_hs256(&secret, None, &claims);
        assert_refused(api, &token, &format!("HS256 keyed with {what}, no kid")).await;
    }
}

#[tokio::test]
async fn tampered_claims_are_refused() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens, _) = setup(&platform).await;
    let (other_account, other_tokens) = api.signed_in().await;
    let real = jwt::claims(&tokens.access_token);

    let mut changes: Vec<(&str, Value)> = Vec::new();
    let mut claims = real.clone();
    claims["sub"] = json!(other_account.user_id);
    changes.push(("sub changed to another user", claims));
    let mut claims = real.clone();
    claims["sid"] = json!(other_tokens.session_id);
    changes.push(("sid changed to another session", claims));
    let mut claims = real.clone();
    claims["sub"] = json!(other_account.user_id);
    claims["sid"] = json!(other_tokens.session_id);
    changes.push(("sub and sid of another user", claims));
    let mut claims = real.clone();
    claims["exp"] = json!(jwt::now() + 365 * 24 * 3600);
    changes.push(("exp pushed a year ahead", claims));
    let mut claims = real.clone();
    claims["preferred_username"] = json!("admin");
    changes.push(("preferred_username changed", claims));
    for (what, claims) in changes {
        let token = jwt::with_claims(&tokens.access_token, &claims);
        assert_refused(api, &token, what).await;
    }

    // A flipped signature byte.
    let mut parts: Vec<String> = tokens.access_token.split('.').map(str::to_owned).collect();
    let mut signature = jwt::unb64(&parts[2]);
    signature[0] ^= 0x01;
    parts[2] = jwt::b64(&signature);
    assert_refused(api, &parts.join("."), "a flipped signature bit").await;

    // The real token still works, and so does the other user's.
    api.session_status(&tokens.access_token).await.expect_status(200);
    api.session_status(&other_tokens.access_token).await.expect_status(200);
    let _ = account;
}

#[tokio::test]
async fn a_foreign_key_carrying_the_real_kid_is_refused() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens, kid) = setup(&platform).await;
    let foreign_pem = generate_private_key_pem();
    assert_ne!(foreign_pem, platform.private_key_pem());
    let claims = jwt::valid_claims(&account.user_id, &tokens.session_id, &account.username);
    assert_refused(api, &jwt::sign_eddsa(&foreign_pem, &kid, &claims), "another Ed25519 key with the real kid").await;
    assert_refused(api, &jwt::sign_eddsa(&foreign_pem, "someone-elses-kid", &claims), "another key, unknown kid").await;
    // The real claims too.
    let real = jwt::claims(&tokens.access_token);
    assert_refused(api, &jwt::sign_eddsa(&foreign_pem, &kid, &real), "the real claims re-signed by another key").await;
}

#[tokio::test]
async fn expired_not_yet_valid_and_exp_less_tokens_are_refused() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens, kid) = setup(&platform).await;
    let pem = platform.private_key_pem();
    let valid = jwt::valid_claims(&account.user_id, &tokens.session_id, &account.username);
    let now = jwt::now();

    let mut expired = valid.clone();
    expired["iat"] = json!(now - 3600);
    expired["nbf"] = json!(now - 3600);
    expired["exp"] = json!(now - 120);
    assert_refused(api, &jwt::sign_eddsa(pem, &kid, &expired), "expired 120 s ago (beyond the 30 s skew)").await;

    let mut just_beyond_skew = valid.clone();
    just_beyond_skew["iat"] = json!(now - 1800);
    just_beyond_skew["nbf"] = json!(now - 1800);
    just_beyond_skew["exp"] = json!(now - 45);
    assert_refused(api, &jwt::sign_eddsa(pem, &kid, &just_beyond_skew), "expired 45 s ago (skew is at most 30 s)")
        .await;

    let mut future = valid.clone();
    future["iat"] = json!(now + 600);
    future["nbf"] = json!(now + 600);
    future["exp"] = json!(now + 1200);
    assert_refused(api, &jwt::sign_eddsa(pem, &kid, &future), "nbf 10 minutes ahead").await;

    let mut no_exp = valid.clone();
    no_exp.as_object_mut().unwrap().remove("exp");
    assert_refused(api, &jwt::sign_eddsa(pem, &kid, &no_exp), "no exp claim").await;

    let mut string_exp = valid.clone();
    string_exp["exp"] = json!("tomorrow");
    assert_refused(api, &jwt::sign_eddsa(pem, &kid, &string_exp), "exp is a string").await;
}

#[tokio::test]
async fn wrong_issuer_or_audience_is_refused() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (account, tokens, kid) = setup(&platform).await;
    let pem = platform.private_key_pem();
    let valid = jwt::valid_claims(&account.user_id, &tokens.session_id, &account.username);

    let mut cases: Vec<(&str, Value)> = Vec::new();
    let mut claims = valid.clone();
    claims["iss"] = json!("https://evil.example");
    cases.push(("wrong iss", claims));
    let mut claims = valid.clone();
    claims.as_object_mut().unwrap().remove("iss");
    cases.push(("no iss", claims));
    let mut claims = valid.clone();
    claims["aud"] = json!("another-api");
    cases.push(("wrong aud", claims));
    let mut claims = valid.clone();
    claims["aud"] = json!(["another-api"]);
    cases.push(("wrong aud array", claims));
    let mut claims = valid.clone();
    claims.as_object_mut().unwrap().remove("aud");
    cases.push(("no aud", claims));
    for (what, claims) in cases {
        assert_refused(api, &jwt::sign_eddsa(pem, &kid, &claims), what).await;
    }
}

#[tokio::test]
async fn garbage_and_oversized_bearers_are_refused() {
    let platform = Platform::start().await;
    let api = platform.api();
    let (_, tokens, _) = setup(&platform).await;
    let huge_jwt = format!("{}.{}.{}", "e".repeat(3000), "e".repeat(3000), "e".repeat(3000));
    let garbage: Vec<(&str, String)> = vec![
        ("a word", "garbage".into()),
        ("three dots", "a.b.c".into()),
        ("two parts", "abc.def".into()),
        ("four parts", "a.b.c.d".into()),
        ("not base64", "!!!.???.***".into()),
        ("header not JSON", format!("{}.{}.{}", jwt::b64(b"not json"), jwt::b64(b"{}"), jwt::b64(b"sig"))),
        ("claims not JSON", format!("{}.{}.{}", jwt::b64(br#"{"alg":"EdDSA"}"#), jwt::b64(b"[[["), jwt::b64(b"sig"))),
        ("the refresh token", tokens.refresh_token.clone()),
        ("8 KiB+ of one letter", "A".repeat(9 * 1024)),
        ("a 9 KiB JWT-shaped string", huge_jwt),
    ];
    for (what, token) in garbage {
        assert_refused(api, &token, what).await;
    }
    // Empty or odd Authorization values: 401 with a Bearer challenge.
    for authorization in ["Bearer", "Bearer ", "bearer", "Basic dXNlcjpwYXNz", "Token abc", "Bearer a b"] {
        for path in ["/session/status", "/session/verify"] {
            let reply = api.get_with_authorization(e2e_tests::platform::Service::Session, path, authorization).await;
            assert!(reply.status < 500, "{authorization:?}: never a 5xx: {reply}");
            assert_unauthorized(&reply);
        }
    }
    // The real token still works.
    api.session_status(&tokens.access_token).await.expect_status(200);
}
