//! A stand-in identity provider for the ID-token tests: an RS256 key generated per test (aws-lc-rs),
//! ID tokens built and signed by hand (so a test can forge any header or claim), and a tiny HTTP
//! server on a free loopback port that publishes a key set and counts how often it is fetched.

use aws_lc_rs::rand::SystemRandom;
use aws_lc_rs::rsa::{KeyPair, KeySize};
use aws_lc_rs::signature::{KeyPair as _, RSA_PKCS1_SHA256};
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde_json::{Value, json};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpListener;

pub const ISSUER: &str = "https://idp.example.test";
pub const CLIENT_ID: &str = "authn-client";
pub const CLIENT_SECRET: &str = "client-secret-0123456789abcdef-0123";
pub const NONCE: &str = "nonce-sent-in-the-authorization-request";

/// An RSA signing key of the provider, published under `kid`.
#[derive(Debug)]
pub struct RsaKey {
    pair: KeyPair,
    kid: String,
}

impl RsaKey {
    pub fn generate(kid: &str) -> Self {
        Self { pair: KeyPair::generate(KeySize::Rsa2048).expect("generate an RSA key"), kid: kid.to_owned() }
    }

    /// The public half as a JWK, as a provider's `jwks_uri` publishes it.
    pub fn jwk(&self) -> Value {
        let public = self.pair.public_key();
        json!({
            "kty": "RSA",
            "use": "sig",
            "alg": "RS256",
            "kid": self.kid,
            "n": URL_SAFE_NO_PAD.encode(public.modulus().big_endian_without_leading_zero()),
            "e": URL_SAFE_NO_PAD.encode(public.exponent().big_endian_without_leading_zero()),
        })
    }

    /// An RS256 ID token with these claims, its header naming this key.
    pub fn sign(&self, claims: &Value) -> String {
        self.sign_with_header(&json!({"alg": "RS256", "typ": "JWT", "kid": self.kid}), claims)
    }

    pub fn sign_with_header(&self, header: &Value, claims: &Value) -> String {
        let input = signing_input(header, claims);
        let mut signature = vec![0; self.pair.public_modulus_len()];
        self.pair.sign(&RSA_PKCS1_SHA256, &SystemRandom::new(), input.as_bytes(), &mut signature).expect("sign");
        format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
    }
}

/// A token MACed with HS256 under `secret` (OIDC Core §10.1: the client secret is the key).
pub fn hs256(secret: &str, claims: &Value) -> String {
    let input = signing_input(&json!({"alg": "HS256", "typ": "JWT"}), claims);
    let key = aws_lc_rs::hmac::Key::new(aws_lc_rs::hmac::HMAC_SHA256, secret.as_bytes());
    let tag = aws_lc_rs::hmac::sign(&key, input.as_bytes());
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(tag.as_ref()))
}

/// An unsecured JWT (`alg: none`, empty signature).
pub fn unsigned(claims: &Value) -> String {
    format!("{}.", signing_input(&json!({"alg": "none", "typ": "JWT"}), claims))
}

/// `token` with its payload replaced by `claims`, the original signature kept.
pub fn with_payload(token: &str, claims: &Value) -> String {
    let mut parts = token.split('.');
    let (header, _, signature) = (parts.next(), parts.next(), parts.next());
    format!(
        "{}.{}.{}",
        header.expect("a header"),
        URL_SAFE_NO_PAD.encode(claims.to_string()),
        signature.expect("a signature")
    )
}

/// `token` with one bit of its signature flipped (in the middle: the last base64url character of a
/// signature also carries padding bits that decoders ignore).
pub fn with_signature_bit_flipped(token: &str) -> String {
    let (input, signature) = token.rsplit_once('.').expect("a signed token");
    let mut signature = URL_SAFE_NO_PAD.decode(signature).expect("base64url");
    let middle = signature.len() / 2;
    signature[middle] ^= 0x01;
    format!("{input}.{}", URL_SAFE_NO_PAD.encode(signature))
}

fn signing_input(header: &Value, claims: &Value) -> String {
    format!("{}.{}", URL_SAFE_NO_PAD.encode(header.to_string()), URL_SAFE_NO_PAD.encode(claims.to_string()))
}

/// The claims of a good ID token for [`CLIENT_ID`], issued now, with [`NONCE`].
pub fn good_claims(now: i64) -> Value {
    json!({
        "iss": ISSUER,
        "sub": "248289761001",
        "aud": CLIENT_ID,
        "exp": now + 300,
        "iat": now,
        "nonce": NONCE,
        "email": "jane@example.com",
        "email_verified": true,
        "name": "Jane Doe",
        "preferred_username": "jane",
    })
}

/// The provider's `jwks_uri`: answers every request with the key set it currently serves.
#[derive(Debug, Clone)]
pub struct KeyServer {
    url: String,
    body: Arc<Mutex<String>>,
    fetches: Arc<AtomicUsize>,
}

impl KeyServer {
    pub async fn start(keys: &[Value]) -> Self {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a free port");
        let url = format!("http://{}/jwks", listener.local_addr().expect("local address"));
        let server = Self { url, body: Arc::default(), fetches: Arc::default() };
        server.serve(keys);
        let (body, fetches) = (Arc::clone(&server.body), Arc::clone(&server.fetches));
        tokio::spawn(async move {
            while let Ok((mut stream, _)) = listener.accept().await {
                let mut request = Vec::new();
                let mut buffer = [0; 1024];
                while !request.ends_with(b"\r\n\r\n") {
                    match stream.read(&mut buffer).await {
                        Ok(0) | Err(_) => break,
                        Ok(read) => request.extend_from_slice(&buffer[..read]),
                    }
                }
                fetches.fetch_add(1, Ordering::SeqCst);
                let body = body.lock().expect("body").clone();
                let response = format!(
                    "HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                    body.len()
                );
                let _ = stream.write_all(response.as_bytes()).await;
                let _ = stream.shutdown().await;
            }
        });
        server
    }

    pub fn url(&self) -> &str {
        &self.url
    }

    /// From now on, publish these keys.
    pub fn serve(&self, keys: &[Value]) {
        *self.body.lock().expect("body") = json!({ "keys": keys }).to_string();
    }

    /// How many times the key set was fetched.
    pub fn fetches(&self) -> usize {
        self.fetches.load(Ordering::SeqCst)
    }
}
