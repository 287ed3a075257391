//! The ID-token checks of the callback ([`Provider::verify_id_token`]), against tokens signed by a key
//! generated in the test and a key set served from a loopback port: every forged or stale token is
//! [`Error::InvalidIdToken`] (401 problem+json), and an unknown key id re-fetches the key set once.

mod test_issuer;

use super::*;
use crate::oidc::settings::TokenAuthMethod;
use auth_proto::clock;
use openidconnect::core::{CoreIdToken, CoreJsonWebKeySet};
use serde_json::{Value, json};
use std::str::FromStr;
use test_issuer::{CLIENT_ID, CLIENT_SECRET, ISSUER, KeyServer, NONCE, RsaKey, good_claims, hs256, unsigned};

/// A provider whose metadata and key set (one RS256 key) are already cached, as after discovery.
struct Fixture {
    provider: Provider,
    key: RsaKey,
    keys: KeyServer,
}

impl Fixture {
    async fn new() -> Self {
        Self::announcing(&["RS256"]).await
    }

    /// A provider whose metadata announces these ID-token signing algorithms.
    async fn announcing(algorithms: &[&str]) -> Self {
        let key = RsaKey::generate("key-1");
        let keys = KeyServer::start(&[key.jwk()]).await;
        let metadata: CoreProviderMetadata = serde_json::from_value(json!({
            "issuer": ISSUER,
            "authorization_endpoint": format!("{ISSUER}/auth"),
            "token_endpoint": format!("{ISSUER}/token"),
            "jwks_uri": keys.url(),
            "response_types_supported": ["code"],
            "subject_types_supported": ["public"],
            "id_token_signing_alg_values_supported": algorithms,
        }))
        .expect("metadata");
        let settings = ProviderSettings {
            name: "default".to_owned(),
            issuer_url: ISSUER.to_owned(),
            client_id: CLIENT_ID.to_owned(),
            client_secret: CLIENT_SECRET.to_owned().into(),
            redirect_url: Url::parse("https://authn.example.test/oauth/callback").expect("url"),
            scopes: vec!["openid".to_owned()],
            token_auth_method: TokenAuthMethod::ClientSecretBasic,
            link_verified_email: false,
        };
        let provider = Provider::new(settings, ProviderHttpClient::new().expect("http client"));
        let published: CoreJsonWebKeySet = serde_json::from_value(json!({ "keys": [key.jwk()] })).expect("key set");
        provider.store(Discovered { metadata: metadata.set_jwks(published), fetched_at: Instant::now() });
        Self { provider, key, keys }
    }

    /// What the callback does with the token endpoint's `id_token`, given the nonce it stored.
    async fn verify(&self, token: &str) -> Result<VerifiedLogin, Error> {
        let discovered = self.provider.current().expect("discovered");
        let id_token = CoreIdToken::from_str(token).expect("an ID token that parses");
        self.provider.verify_id_token(&discovered, &id_token, &Nonce::new(NONCE.to_owned())).await
    }

    /// The good claims with `change` applied, signed by the published key.
    fn signed(&self, change: impl FnOnce(&mut Value)) -> String {
        let mut claims = good_claims(clock::now());
        change(&mut claims);
        self.key.sign(&claims)
    }
}

/// A change to the good claims that makes the token bad.
type ClaimsChange = Box<dyn FnOnce(&mut Value)>;

/// Asserts an [`Error::InvalidIdToken`] (401 `invalid-id-token`) whose cause mentions `cause`.
#[track_caller]
fn assert_refused(result: Result<VerifiedLogin, Error>, cause: &str, case: &str) {
    match result {
        Err(Error::InvalidIdToken(reason)) => {
            assert!(
                reason.to_lowercase().contains(&cause.to_lowercase()),
                "{case}: refused for {reason:?}, not {cause}"
            );
        }
        other => panic!("{case}: expected an invalid ID token ({cause}), got {other:?}"),
    }
}

#[tokio::test]
async fn a_good_id_token_passes_and_says_who_the_user_is() {
    let fixture = Fixture::new().await;
    let login = fixture.verify(&fixture.signed(|_| {})).await.expect("a good token passes");
    assert_eq!(login.identity.issuer, ISSUER);
    assert_eq!(login.identity.subject, "248289761001");
    assert_eq!(login.email.as_deref(), Some("jane@example.com"));
    assert!(login.email_verified);
    assert_eq!(login.name.as_deref(), Some("Jane Doe"));
    assert_eq!(login.preferred_username.as_deref(), Some("jane"));
    // One audience given as an array, and `azp` naming this client, are as good.
    fixture.verify(&fixture.signed(|claims| claims["aud"] = json!([CLIENT_ID]))).await.expect("aud array");
    fixture.verify(&fixture.signed(|claims| claims["azp"] = json!(CLIENT_ID))).await.expect("azp is us");
    assert_eq!(fixture.keys.fetches(), 0, "the cached key set was enough");
}

#[tokio::test]
async fn wrong_issuer_audience_azp_expiry_iat_or_nonce_are_refused_without_a_key_re_fetch() {
    let fixture = Fixture::new().await;
    let now = clock::now();
    let cases: [(&str, &str, ClaimsChange); 13] = [
        ("another issuer", "issuer", Box::new(|c| c["iss"] = json!("https://evil.example.test"))),
        ("the issuer with a trailing slash", "issuer", Box::new(|c| c["iss"] = json!(format!("{ISSUER}/")))),
        ("another audience", "audiences", Box::new(|c| c["aud"] = json!("another-client"))),
        ("no audience", "audiences", Box::new(|c| c["aud"] = json!([]))),
        ("several audiences, no azp", "audiences", Box::new(|c| c["aud"] = json!([CLIENT_ID, "another-client"]))),
        (
            "several audiences, azp another client",
            "audiences",
            Box::new(|c| {
                c["aud"] = json!([CLIENT_ID, "another-client"]);
                c["azp"] = json!("another-client");
            }),
        ),
        (
            // An untrusted extra audience is refused even when azp names this client (OIDC Core §3.1.3.7).
            "several audiences, azp this client",
            "audiences",
            Box::new(|c| {
                c["aud"] = json!([CLIENT_ID, "another-client"]);
                c["azp"] = json!(CLIENT_ID);
            }),
        ),
        ("one audience, azp another client", "azp", Box::new(|c| c["azp"] = json!("another-client"))),
        ("expired", "expired", Box::new(move |c| c["exp"] = json!(now - 1))),
        ("issued in the future", "iat", Box::new(move |c| c["iat"] = json!(now + 600))),
        (
            "issued too long ago",
            "iat",
            Box::new(move |c| {
                c["iat"] = json!(now - 1000);
                c["exp"] = json!(now + 300);
            }),
        ),
        ("another nonce", "nonce", Box::new(|c| c["nonce"] = json!("a-nonce-of-another-login"))),
        (
            "no nonce",
            "nonce",
            Box::new(|c| {
                c.as_object_mut().expect("claims").remove("nonce");
            }),
        ),
    ];
    for (case, cause, change) in cases {
        assert_refused(fixture.verify(&fixture.signed(change)).await, cause, case);
    }
    assert_eq!(fixture.keys.fetches(), 0, "a token that fails its claims never makes authn call the provider");
}

#[tokio::test]
async fn a_forged_signature_is_refused() {
    let fixture = Fixture::new().await;
    let good = fixture.signed(|_| {});

    let mut claims = good_claims(clock::now());
    claims["sub"] = json!("admin");
    assert_refused(fixture.verify(&test_issuer::with_payload(&good, &claims)).await, "crypto", "tampered payload");

    assert_refused(
        fixture.verify(&test_issuer::with_signature_bit_flipped(&good)).await,
        "crypto",
        "altered signature",
    );

    let stranger = RsaKey::generate("key-1");
    assert_refused(
        fixture.verify(&stranger.sign(&good_claims(clock::now()))).await,
        "crypto",
        "another key under the published kid",
    );
}

#[tokio::test]
async fn alg_none_is_refused_even_when_the_provider_announces_it() {
    let fixture = Fixture::announcing(&["RS256", "none"]).await;
    assert_refused(fixture.verify(&unsigned(&good_claims(clock::now()))).await, "no signature", "alg none");
}

#[tokio::test]
async fn hs256_with_the_client_secret_passes_only_when_the_provider_announces_it() {
    let token = hs256(CLIENT_SECRET, &good_claims(clock::now()));
    let rs256_only = Fixture::new().await;
    assert_refused(rs256_only.verify(&token).await, "disallowed", "HS256 not announced");

    // OIDC Core §10.1: a provider that announces HS256 MACs with the client secret; that is accepted,
    // and a MAC under any other secret is not.
    let with_hs256 = Fixture::announcing(&["RS256", "HS256"]).await;
    with_hs256.verify(&token).await.expect("HS256 with the client secret, announced");
    assert_refused(
        with_hs256.verify(&hs256("a-guessed-secret-0123456789abcdef", &good_claims(clock::now()))).await,
        "crypto",
        "HS256 under another secret",
    );
}

#[tokio::test]
async fn an_unknown_key_id_re_fetches_the_key_set_once_and_a_rotated_key_passes() {
    let fixture = Fixture::new().await;
    let rotated = RsaKey::generate("key-2");
    fixture.keys.serve(&[fixture.key.jwk(), rotated.jwk()]);
    let login = fixture.verify(&rotated.sign(&good_claims(clock::now()))).await.expect("the rotated key is found");
    assert_eq!(login.identity.subject, "248289761001");
    assert_eq!(fixture.keys.fetches(), 1);
    // The re-fetched set is cached: neither key costs another fetch.
    fixture.verify(&rotated.sign(&good_claims(clock::now()))).await.expect("cached");
    fixture.verify(&fixture.signed(|_| {})).await.expect("the old key is still published");
    assert_eq!(fixture.keys.fetches(), 1);
}

#[tokio::test]
async fn a_key_id_still_unknown_after_the_re_fetch_is_refused_and_the_cool_down_holds() {
    let fixture = Fixture::new().await;
    let unpublished = RsaKey::generate("key-never-published");
    let token = unpublished.sign(&good_claims(clock::now()));
    assert_refused(fixture.verify(&token).await, "no matching key", "unknown kid");
    assert_eq!(fixture.keys.fetches(), 1, "the key set was fetched again once");

    for kid in ["made-up-1", "made-up-2", "made-up-3"] {
        let token = RsaKey::generate(kid).sign(&good_claims(clock::now()));
        assert_refused(fixture.verify(&token).await, "no matching key", kid);
    }
    assert_eq!(fixture.keys.fetches(), 1, "within the cool-down, made-up key ids cause no fetch");
    // The cached key set is intact: a good token still passes.
    fixture.verify(&fixture.signed(|_| {})).await.expect("the published key still works");
}

#[test]
fn an_authorization_request_prints_none_of_its_secrets() {
    let request = AuthorizationRequest {
        url: Url::parse("https://idp.example.test/authorize?state=the-state&nonce=the-nonce").expect("url"),
        state: "the-state".to_owned(),
        nonce: "the-nonce".to_owned(),
        pkce_verifier: "the-pkce-verifier".to_owned(),
    };
    let debug = format!("{request:?}");
    for secret in ["the-state", "the-nonce", "the-pkce-verifier"] {
        assert!(!debug.contains(secret), "{debug}");
    }
    assert!(debug.contains("https://idp.example.test/authorize"), "{debug}");
}
