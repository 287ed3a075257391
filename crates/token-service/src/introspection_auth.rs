//! Who may call `POST /token/introspect`: a holder of the internal API token (`Authorization: Bearer`,
//! checked by service-kit's `/internal/` guard, so that whatever it accepts is accepted here too), or an
//! OAuth client from `INTROSPECTION_CREDENTIALS` with HTTP Basic authentication (RFC 6749 §2.3.1), as
//! standard client libraries send it. Anyone else gets 401 `invalid_client` with a `Basic` challenge
//! (RFC 6749 §5.2). Basic credentials open this route only: the `/internal/` guard knows nothing of them.

use crate::domain::introspection_client::IntrospectionClients;
use actix_web::body::{BoxBody, EitherBody, MessageBody};
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::AUTHORIZATION;
use actix_web::middleware::Next;
use actix_web::web;
use auth_proto::problem::OAuthError;
use base64::Engine;
use base64::engine::general_purpose::STANDARD;
use service_kit::internal_auth::require_internal_token;
use service_kit::problem::{BearerChallenge, HttpProblem};
use std::borrow::Cow;

/// Longer `Authorization: Basic` values are refused unparsed.
const MAX_BASIC_CREDENTIALS_BYTES: usize = 1024;

/// Middleware (for `actix_web::middleware::from_fn`) guarding the introspection route.
pub async fn require_introspection_client(
    req: ServiceRequest,
    next: Next<impl MessageBody + 'static>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    let header = req.headers().get(AUTHORIZATION).map(|value| value.as_bytes().to_vec());
    let Some(basic) = header.as_deref().and_then(basic_payload) else {
        // Not Basic: the internal API token's guard decides, and only its refusal is rephrased.
        let response = require_internal_token(req, next).await?;
        if matches!(response.response().body(), EitherBody::Right { .. }) {
            let (req, _) = response.into_parts();
            return Ok(refuse(req));
        }
        return Ok(response.map_into_boxed_body());
    };
    let clients = req.app_data::<web::Data<IntrospectionClients>>();
    match (decode_basic(basic), clients) {
        (Some((client_id, secret)), Some(clients)) if verify_either_form(clients, &client_id, &secret) => {
            next.call(req).await.map(ServiceResponse::map_into_boxed_body)
        }
        _ => {
            tracing::info!("introspection refused: unknown client or wrong secret");
            Ok(refuse(req.into_parts().0))
        }
    }
}

fn refuse(req: actix_web::HttpRequest) -> ServiceResponse<BoxBody> {
    let problem = HttpProblem::unauthorized(
        BearerChallenge::ClientCredentials,
        "introspection needs client credentials (HTTP Basic) or the internal API token",
    )
    .with_oauth_error(OAuthError::InvalidClient);
    ServiceResponse::new(req, problem.to_response())
}

/// The base64 part of `Basic <credentials>` (scheme case-insensitive); `None` for another scheme.
fn basic_payload(header: &[u8]) -> Option<&[u8]> {
    let (scheme, rest) = header.split_at_checked(6)?;
    scheme.eq_ignore_ascii_case(b"basic ").then(|| rest.trim_ascii())
}

/// `client_id:secret` from the base64 payload; `None` when it is not that.
fn decode_basic(payload: &[u8]) -> Option<(String, String)> {
    if payload.len() > MAX_BASIC_CREDENTIALS_BYTES {
        return None;
    }
    let decoded = String::from_utf8(STANDARD.decode(payload).ok()?).ok()?;
    let (client_id, secret) = decoded.split_once(':')?;
    Some((client_id.to_owned(), secret.to_owned()))
}

/// RFC 6749 §2.3.1 has clients form-encode the id and secret before the Basic encoding (oauth2-rs and
/// requests-oauthlib do), while `curl -u` and most HTTP libraries send them as they are: both are
/// accepted, each compared in constant time.
fn verify_either_form(clients: &IntrospectionClients, client_id: &str, secret: &str) -> bool {
    let as_sent = clients.verify(client_id, secret);
    let decoded = match (form_decoded(client_id), form_decoded(secret)) {
        (Some(id), Some(secret)) => clients.verify(&id, &secret),
        _ => false,
    };
    as_sent | decoded
}

/// `application/x-www-form-urlencoded` decoding of one value; `None` when it is not valid UTF-8 after.
fn form_decoded(value: &str) -> Option<Cow<'_, str>> {
    let spaced = if value.contains('+') { Cow::Owned(value.replace('+', " ")) } else { Cow::Borrowed(value) };
    let decoded = percent_encoding::percent_decode_str(&spaced).decode_utf8().ok()?;
    Some(Cow::Owned(decoded.into_owned()))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn clients() -> IntrospectionClients {
        let pairs = ["orders-api:s3cret+/=%-0123456789".parse().expect("a pair")];
        IntrospectionClients::new(pairs.into(), true).expect("valid")
    }

    fn basic(user_and_secret: &str) -> Vec<u8> {
        format!("Basic {}", STANDARD.encode(user_and_secret)).into_bytes()
    }

    #[test]
    fn only_the_basic_scheme_is_read() {
        assert_eq!(basic_payload(b"basic  YTpi "), Some(&b"YTpi"[..]));
        assert_eq!(basic_payload(b"Bearer YTpi"), None);
        assert_eq!(basic_payload(b"Basic"), None);
        assert_eq!(decode_basic(b"YTpi"), Some(("a".to_owned(), "b".to_owned())));
        assert_eq!(decode_basic(b"not base64!"), None);
        assert_eq!(decode_basic(STANDARD.encode("no colon").as_bytes()), None);
    }

    #[test]
    fn secrets_are_accepted_as_sent_or_form_encoded() {
        let clients = clients();
        let raw = basic("orders-api:s3cret+/=%-0123456789");
        let (id, secret) = decode_basic(basic_payload(&raw).expect("basic")).expect("decodes");
        assert!(verify_either_form(&clients, &id, &secret), "as curl -u sends it");
        let encoded: String = url::form_urlencoded::byte_serialize(b"s3cret+/=%-0123456789").collect();
        assert!(verify_either_form(&clients, "orders-api", &encoded), "as RFC 6749 §2.3.1 sends it: {encoded}");
        assert!(!verify_either_form(&clients, "orders-api", "s3cret"));
        assert!(!verify_either_form(&clients, "orders%2Dapi", "wrong"));
    }
}
