//! The SSO state cookie: binds a login in progress to the browser that started it (login CSRF).
//!
//! A `state` alone proves nothing about who presents the callback: whoever holds a callback URL (sent
//! to a victim, leaked through a log or a `Referer`) could complete that login in their own browser,
//! or make a victim's browser complete the attacker's. So `/oauth/login` also makes a random value
//! (256 bits), keeps only its SHA-256 in the server-side record of the login, and sets the value in an
//! `HttpOnly`, `SameSite=Lax` cookie (`Secure` when the redirect URL is `https`) scoped to the callback's
//! path, living as long as the state. The callback refuses the login unless the browser presents the
//! cookie whose hash matches (compared in constant time), and clears the cookie in its answer.
//!
//! Several logins at once in one browser (two tabs): each login's cookie has its own name, derived from
//! a hash of its state, so a second login does not overwrite the first one's cookie and both complete.
//! The name reveals nothing about the state, and abandoned logins' cookies expire with their state.

use crate::oidc::flow_state::{FLOW_STATE_TTL, StateKey};
use actix_web::cookie::time::Duration as CookieDuration;
use actix_web::cookie::{Cookie, SameSite};
use aws_lc_rs::digest::{SHA256, digest};
use openidconnect::CsrfToken;
use std::fmt;
use subtle::ConstantTimeEq;
use url::Url;

/// Every state cookie's name starts with this; the rest is derived from the state.
pub const COOKIE_PREFIX: &str = "authn_sso_";
/// Hex characters of SHA-256(state) in a cookie's name: enough that two logins of one browser never share one.
const NAME_HASH_CHARS: usize = 16;

/// The secret half of a binding, as the cookie carries it. `Debug` does not print it.
#[derive(Clone, PartialEq, Eq)]
pub struct BrowserSecret(String);

impl fmt::Debug for BrowserSecret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_tuple("BrowserSecret").field(&auth_proto::redact::Redacted).finish()
    }
}

impl BrowserSecret {
    /// A fresh random value (256 bits, base64url).
    pub fn generate() -> Self {
        Self(CsrfToken::new_random_len(32).into_secret())
    }

    /// What the server keeps: the value's SHA-256, hex. The cookie alone completes a login, so the
    /// store holds nothing that could be replayed as one.
    pub fn hash(&self) -> String {
        sha256_hex(&self.0)
    }

    /// Whether this browser's cookie value matches the hash kept with the login, in constant time.
    pub fn matches(presented: &str, stored_hash: &str) -> bool {
        let presented = sha256_hex(presented);
        // An empty stored hash (a record written before the binding existed) matches nothing.
        !stored_hash.is_empty() && bool::from(presented.as_bytes().ct_eq(stored_hash.as_bytes()))
    }
}

fn sha256_hex(value: &str) -> String {
    digest(&SHA256, value.as_bytes()).as_ref().iter().map(|byte| format!("{byte:02x}")).collect()
}

/// The name of the cookie that binds the login of `state`.
pub fn cookie_name(state: &StateKey) -> String {
    let hash = sha256_hex(state.as_str());
    format!("{COOKIE_PREFIX}{}", &hash[..NAME_HASH_CHARS])
}

/// The cookie `/oauth/login` sets: the secret, scoped to the callback URL's path, for as long as the state
/// lives.
pub fn set_cookie(state: &StateKey, secret: &BrowserSecret, redirect_url: &Url) -> Cookie<'static> {
    let max_age = i64::try_from(FLOW_STATE_TTL.as_secs()).unwrap_or(i64::MAX);
    base_cookie(cookie_name(state), secret.0.clone(), redirect_url).max_age(CookieDuration::seconds(max_age)).finish()
}

/// The cookie the callback answers with: the same name and path, empty and already expired.
pub fn clear_cookie(state: &StateKey, redirect_url: &Url) -> Cookie<'static> {
    let mut cookie = base_cookie(cookie_name(state), String::new(), redirect_url).finish();
    cookie.make_removal();
    cookie
}

fn base_cookie(name: String, value: String, redirect_url: &Url) -> actix_web::cookie::CookieBuilder<'static> {
    Cookie::build(name, value)
        .path(redirect_url.path().to_owned())
        .http_only(true)
        .same_site(SameSite::Lax)
        .secure(redirect_url.scheme() == "https")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn state(raw: &str) -> StateKey {
        StateKey::parse(raw).expect("state")
    }

    #[test]
    fn a_secret_matches_its_own_hash_only() {
        let secret = BrowserSecret::generate();
        let other = BrowserSecret::generate();
        assert_ne!(secret, other);
        assert!(BrowserSecret::matches(&secret.0, &secret.hash()));
        assert!(!BrowserSecret::matches(&other.0, &secret.hash()));
        assert!(!BrowserSecret::matches(&secret.hash(), &secret.hash()), "the hash itself is no cookie");
        assert!(!BrowserSecret::matches("", ""), "a record without a binding matches nothing");
        assert!(!format!("{secret:?}").contains(&secret.0));
    }

    #[test]
    fn the_cookie_is_http_only_lax_scoped_to_the_callback_and_secure_over_https() {
        let secret = BrowserSecret::generate();
        let https = Url::parse("https://gateway.example.com/auth/oauth/callback").expect("url");
        let cookie = set_cookie(&state("abc"), &secret, &https);
        assert!(cookie.name().starts_with(COOKIE_PREFIX));
        assert_eq!(cookie.value(), secret.0);
        assert_eq!(cookie.http_only(), Some(true));
        assert_eq!(cookie.same_site(), Some(SameSite::Lax));
        assert_eq!(cookie.secure(), Some(true));
        assert_eq!(cookie.path(), Some("/auth/oauth/callback"));
        assert_eq!(cookie.max_age(), Some(CookieDuration::seconds(600)));

        let http = Url::parse("http://127.0.0.1:8081/oauth/callback").expect("url");
        assert_eq!(set_cookie(&state("abc"), &secret, &http).secure(), Some(false));

        let cleared = clear_cookie(&state("abc"), &https);
        assert_eq!(cleared.name(), cookie.name());
        assert_eq!(cleared.path(), cookie.path());
        assert_eq!(cleared.value(), "");
        assert_eq!(cleared.max_age(), Some(CookieDuration::ZERO));
    }

    #[test]
    fn each_state_has_its_own_cookie_name_that_does_not_reveal_it() {
        let (one, two) = (cookie_name(&state("first-state")), cookie_name(&state("second-state")));
        assert_ne!(one, two, "two tabs' logins do not overwrite each other's cookie");
        assert_eq!(one, cookie_name(&state("first-state")));
        assert!(!one.contains("first-state"));
    }
}
