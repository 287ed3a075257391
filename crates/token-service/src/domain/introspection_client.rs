//! `INTROSPECTION_CREDENTIALS`: the OAuth clients (resource servers) that may call `/token/introspect`
//! with HTTP Basic authentication, as standard OAuth 2.0 client libraries do. They open no other route.
//!
//! Each is a `client_id:secret` pair; secrets are compared in constant time and never printed.

use secrecy::{ExposeSecret, SecretString};
use std::fmt;
use std::str::FromStr;
use subtle::{Choice, ConstantTimeEq};

/// Shorter secrets are refused with `APP_ENV=prod`: they could be guessed.
pub const MIN_PROD_SECRET_CHARS: usize = 16;

/// One `client_id:secret` pair. `Debug` shows the id only.
#[derive(Clone)]
pub struct ClientCredential {
    client_id: String,
    secret: SecretString,
}

impl ClientCredential {
    pub fn client_id(&self) -> &str {
        &self.client_id
    }

    fn secret_chars(&self) -> usize {
        self.secret.expose_secret().chars().count()
    }
}

impl fmt::Debug for ClientCredential {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("ClientCredential").field("client_id", &self.client_id).finish_non_exhaustive()
    }
}

/// Why a pair does not parse; never contains the pair itself.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum CredentialError {
    #[error("must be client_id:secret")]
    NoSeparator,
    #[error("has an empty client id")]
    EmptyClientId,
    #[error("has a client id with whitespace or control characters")]
    ClientIdCharacters,
    #[error("has an empty secret")]
    EmptySecret,
}

impl FromStr for ClientCredential {
    type Err = CredentialError;

    /// `client_id:secret`, split at the first colon: HTTP Basic (RFC 7617) allows no colon in the id,
    /// while the secret may hold any character but the list's comma.
    fn from_str(pair: &str) -> Result<Self, Self::Err> {
        let (client_id, secret) = pair.split_once(':').ok_or(CredentialError::NoSeparator)?;
        if client_id.is_empty() {
            return Err(CredentialError::EmptyClientId);
        }
        if client_id.chars().any(|c| c.is_whitespace() || c.is_control()) {
            return Err(CredentialError::ClientIdCharacters);
        }
        if secret.is_empty() {
            return Err(CredentialError::EmptySecret);
        }
        Ok(Self { client_id: client_id.to_owned(), secret: SecretString::from(secret) })
    }
}

/// Every configured introspection client; empty when the setting is unset (the internal API token
/// still opens introspection).
#[derive(Debug, Clone, Default)]
pub struct IntrospectionClients {
    clients: Vec<ClientCredential>,
}

/// Why a list of pairs is refused as a whole.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ClientListError {
    #[error("names client {0:?} twice")]
    Duplicate(String),
    #[error("client {0:?} has a secret shorter than {MIN_PROD_SECRET_CHARS} characters")]
    ShortSecret(String),
}

impl IntrospectionClients {
    /// The list as configured; `strict` (prod) also refuses short secrets. Errors name a client id,
    /// never a secret.
    pub fn new(clients: Vec<ClientCredential>, strict: bool) -> Result<Self, ClientListError> {
        for (position, client) in clients.iter().enumerate() {
            if clients[..position].iter().any(|earlier| earlier.client_id == client.client_id) {
                return Err(ClientListError::Duplicate(client.client_id.clone()));
            }
            if strict && client.secret_chars() < MIN_PROD_SECRET_CHARS {
                return Err(ClientListError::ShortSecret(client.client_id.clone()));
            }
        }
        Ok(Self { clients })
    }

    pub fn len(&self) -> usize {
        self.clients.len()
    }

    pub fn is_empty(&self) -> bool {
        self.clients.is_empty()
    }

    /// Whether `client_id` and `secret` are a configured pair. Every configured secret is compared, in
    /// constant time, so the answer's timing tells nothing about which part was wrong.
    pub fn verify(&self, client_id: &str, secret: &str) -> bool {
        let mut matched = Choice::from(0);
        for client in &self.clients {
            let id_matches = client.client_id.as_bytes().ct_eq(client_id.as_bytes());
            let secret_matches = client.secret.expose_secret().as_bytes().ct_eq(secret.as_bytes());
            matched |= id_matches & secret_matches;
        }
        matched.into()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients(pairs: &[&str]) -> IntrospectionClients {
        IntrospectionClients::new(pairs.iter().map(|pair| pair.parse().expect("a pair")).collect(), true)
            .expect("a valid list")
    }

    #[test]
    fn a_pair_splits_at_its_first_colon() {
        let credential: ClientCredential = "orders-api:s3cr3t:with:colons".parse().expect("parses");
        assert_eq!(credential.client_id(), "orders-api");
        assert!(clients(&["orders-api:s3cr3t:with:colons-long"]).verify("orders-api", "s3cr3t:with:colons-long"));
    }

    #[test]
    fn malformed_pairs_are_refused_without_echoing_them() {
        for (pair, error) in [
            ("hunter2", CredentialError::NoSeparator),
            (":hunter2", CredentialError::EmptyClientId),
            ("orders api:hunter2", CredentialError::ClientIdCharacters),
            ("orders-api:", CredentialError::EmptySecret),
        ] {
            let refused = pair.parse::<ClientCredential>().expect_err(pair);
            assert_eq!(refused, error, "{pair}");
            assert!(!refused.to_string().contains("hunter2"), "{refused}");
        }
    }

    #[test]
    fn only_the_configured_pairs_verify() {
        let clients = clients(&["orders-api:orders-secret-0123456789", "billing:billing-secret-0123456789"]);
        assert!(clients.verify("orders-api", "orders-secret-0123456789"));
        assert!(clients.verify("billing", "billing-secret-0123456789"));
        assert!(!clients.verify("orders-api", "billing-secret-0123456789"), "another client's secret");
        assert!(!clients.verify("orders-api", "orders-secret-012345678"));
        assert!(!clients.verify("ghost", "orders-secret-0123456789"));
        assert!(!IntrospectionClients::default().verify("", ""));
    }

    #[test]
    fn duplicates_and_short_prod_secrets_are_refused_naming_the_client_only() {
        let pairs = |list: &[&str]| list.iter().map(|pair| pair.parse().expect("a pair")).collect::<Vec<_>>();
        let twice = IntrospectionClients::new(pairs(&["a:hunter2-0123456789ab", "a:hunter2-0123456789cd"]), false);
        assert_eq!(twice.expect_err("duplicate"), ClientListError::Duplicate("a".to_owned()));
        let short = IntrospectionClients::new(pairs(&["a:hunter2"]), true).expect_err("short");
        assert!(!short.to_string().contains("hunter2"), "{short}");
        assert!(IntrospectionClients::new(pairs(&["a:hunter2"]), false).is_ok(), "dev allows a short secret");
    }

    #[test]
    fn debug_shows_no_secret() {
        let clients = clients(&["orders-api:hunter2-0123456789abcdef"]);
        let printed = format!("{clients:?}");
        assert!(printed.contains("orders-api") && !printed.contains("hunter2"), "{printed}");
    }
}
