//! Request bodies: at most 64 KiB, JSON or `application/x-www-form-urlencoded`, every failure a problem.
//!
//! One extractor for every route keeps the limit and the error mapping in one place; actix's own
//! extractors answer in plain text, which the contract does not allow.

use crate::problem::HttpProblem;
use actix_web::dev::Payload;
use actix_web::http::StatusCode;
use actix_web::http::header::{CONTENT_LENGTH, CONTENT_TYPE};
use actix_web::web::{Bytes, BytesMut};
use actix_web::{FromRequest, HttpRequest};
use auth_proto::problem::ProblemType;
use futures_util::StreamExt;
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// The largest request body any route accepts; larger ones get 413.
pub const BODY_LIMIT_BYTES: usize = 64 * 1024;

/// A request body parsed as JSON or as a URL-encoded form, chosen by `Content-Type`.
/// An empty body parses as `{}`, so bodies whose fields are all optional may be left out.
#[derive(Debug)]
pub struct ApiBody<T>(pub T);

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum BodyFormat {
    Json,
    Form,
}

fn body_format(req: &HttpRequest) -> Result<BodyFormat, HttpProblem> {
    let Some(value) = req.headers().get(CONTENT_TYPE) else {
        return Ok(BodyFormat::Json);
    };
    let media_type =
        value.to_str().unwrap_or_default().split(';').next().unwrap_or_default().trim().to_ascii_lowercase();
    if media_type == "application/json" || media_type.ends_with("+json") {
        Ok(BodyFormat::Json)
    } else if media_type == "application/x-www-form-urlencoded" {
        Ok(BodyFormat::Form)
    } else {
        Err(HttpProblem::new(
            StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ProblemType::UnsupportedMediaType,
            "Unsupported media type",
            "send application/json or application/x-www-form-urlencoded",
        ))
    }
}

fn declared_length_exceeds_limit(req: &HttpRequest) -> bool {
    req.headers()
        .get(CONTENT_LENGTH)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.parse::<usize>().ok())
        .is_some_and(|length| length > BODY_LIMIT_BYTES)
}

/// Reads the whole body, refusing it as soon as it passes the limit.
async fn read_limited(mut payload: Payload) -> Result<Bytes, HttpProblem> {
    let mut body = BytesMut::new();
    while let Some(chunk) = payload.next().await {
        let chunk = chunk.map_err(|_| HttpProblem::bad_request("the request body could not be read"))?;
        if body.len() + chunk.len() > BODY_LIMIT_BYTES {
            return Err(HttpProblem::payload_too_large());
        }
        body.extend_from_slice(&chunk);
    }
    Ok(body.freeze())
}

/// Parses a body already read; public so that unit tests and other extractors share it.
pub fn parse_body<T: DeserializeOwned>(format: BodyFormatHint, bytes: &[u8]) -> Result<T, HttpProblem> {
    let bytes: &[u8] = if bytes.iter().all(u8::is_ascii_whitespace) { b"{}" } else { bytes };
    match format.0 {
        // serde also reads a struct from a JSON array of its fields; every body of the contract is an object.
        BodyFormat::Json if bytes.trim_ascii_start().first() != Some(&b'{') => {
            Err(HttpProblem::bad_request("the JSON body must be an object"))
        }
        BodyFormat::Json => serde_json::from_slice(bytes)
            .map_err(|error| HttpProblem::bad_request(format!("invalid JSON body: {error}"))),
        BodyFormat::Form if bytes == b"{}" => serde_urlencoded::from_bytes(b"")
            .map_err(|error| HttpProblem::bad_request(format!("invalid form body: {error}"))),
        BodyFormat::Form => serde_urlencoded::from_bytes(bytes)
            .map_err(|error| HttpProblem::bad_request(format!("invalid form body: {error}"))),
    }
}

/// The body of a token endpoint (`/login`, `/token/refresh`): its `grant_type` read on its own, and then
/// the whole body as `T`, or why it does not parse. RFC 6749 has the grant type decide what else a
/// request needs, so a request for another grant must be told `unsupported_grant_type`, not that its
/// other fields are missing: the handler checks [`GrantBody::grant_type`] before it uses the body.
#[derive(Debug)]
pub struct GrantBody<T> {
    pub grant_type: Option<String>,
    pub body: Result<T, HttpProblem>,
}

#[derive(serde::Deserialize)]
struct GrantTypeOnly {
    #[serde(default)]
    grant_type: Option<String>,
}

impl<T: DeserializeOwned> GrantBody<T> {
    /// Parses a body already read (413 and 415 were answered before).
    pub fn parse(format: BodyFormatHint, bytes: &[u8]) -> Self {
        let grant_type = parse_body::<GrantTypeOnly>(format, bytes).ok().and_then(|only| only.grant_type);
        Self { grant_type, body: parse_body(format, bytes) }
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for GrantBody<T> {
    type Error = HttpProblem;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_request_body(req, payload);
        Box::pin(async move {
            let (format, bytes) = read.await?;
            Ok(Self::parse(format, &bytes))
        })
    }
}

/// Which parser a body goes to; only this module decides, from `Content-Type`.
#[derive(Debug, Clone, Copy)]
pub struct BodyFormatHint(BodyFormat);

impl BodyFormatHint {
    pub const JSON: BodyFormatHint = BodyFormatHint(BodyFormat::Json);
    pub const FORM: BodyFormatHint = BodyFormatHint(BodyFormat::Form);
}

impl<T: DeserializeOwned + 'static> FromRequest for ApiBody<T> {
    type Error = HttpProblem;
    type Future = LocalBoxFuture<'static, Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let read = read_request_body(req, payload);
        Box::pin(async move {
            let (format, bytes) = read.await?;
            parse_body(format, &bytes).map(ApiBody)
        })
    }
}

/// Reads a request's body within the limit, with the format its `Content-Type` names (413, 415 otherwise).
fn read_request_body(
    req: &HttpRequest,
    payload: &mut Payload,
) -> impl std::future::Future<Output = Result<(BodyFormatHint, Bytes), HttpProblem>> + 'static {
    let format = body_format(req);
    let too_large = declared_length_exceeds_limit(req);
    let payload = payload.take();
    async move {
        if too_large {
            return Err(HttpProblem::payload_too_large());
        }
        let format = format?;
        Ok((BodyFormatHint(format), read_limited(payload).await?))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize, PartialEq)]
    struct Login {
        username: String,
        #[serde(default)]
        grant_type: Option<String>,
    }

    #[derive(Debug, Deserialize, PartialEq, Default)]
    struct AllOptional {
        #[serde(default)]
        all: Option<bool>,
    }

    #[test]
    fn parses_json_and_forms_alike() {
        let json: Login = parse_body(BodyFormatHint::JSON, br#"{"username":"a"}"#).unwrap();
        let form: Login = parse_body(BodyFormatHint::FORM, b"username=a&grant_type=password").unwrap();
        assert_eq!(json.username, "a");
        assert_eq!(form.grant_type.as_deref(), Some("password"));
    }

    #[test]
    fn empty_body_is_an_empty_object() {
        let empty: AllOptional = parse_body(BodyFormatHint::JSON, b"").unwrap();
        assert_eq!(empty, AllOptional::default());
        let missing = parse_body::<Login>(BodyFormatHint::JSON, b"");
        assert_eq!(missing.unwrap_err().status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn json_arrays_are_refused_even_when_serde_would_read_them() {
        let error = parse_body::<Login>(BodyFormatHint::JSON, br#"["a"]"#).unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
        let error = parse_body::<AllOptional>(BodyFormatHint::JSON, b" []").unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    }

    #[test]
    fn a_grant_body_reads_the_grant_type_even_when_the_rest_does_not_parse() {
        let other = GrantBody::<Login>::parse(BodyFormatHint::FORM, b"grant_type=client_credentials&scope=x");
        assert_eq!(other.grant_type.as_deref(), Some("client_credentials"));
        assert_eq!(other.body.unwrap_err().status(), StatusCode::BAD_REQUEST);
        let json = GrantBody::<Login>::parse(BodyFormatHint::JSON, br#"{"username":"a","grant_type":"password"}"#);
        assert_eq!(json.grant_type.as_deref(), Some("password"));
        assert_eq!(json.body.unwrap().username, "a");
        let garbage = GrantBody::<Login>::parse(BodyFormatHint::JSON, b"{not json");
        assert_eq!(garbage.grant_type, None);
        assert!(garbage.body.is_err());
    }

    #[test]
    fn malformed_json_is_a_bad_request() {
        let error = parse_body::<Login>(BodyFormatHint::JSON, b"{not json").unwrap_err();
        assert_eq!(error.status(), StatusCode::BAD_REQUEST);
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;
    use serde::Deserialize;

    #[derive(Debug, Deserialize)]
    #[allow(dead_code)]
    struct Body {
        username: String,
        #[serde(default)]
        all: Option<bool>,
    }

    proptest! {
        /// Any bytes, as JSON or as a form, parse or are refused with a 400; never a panic or a 5xx.
        #[test]
        fn any_body_parses_or_is_a_bad_request(bytes in proptest::collection::vec(any::<u8>(), 0..400)) {
            for format in [BodyFormatHint::JSON, BodyFormatHint::FORM] {
                if let Err(problem) = parse_body::<Body>(format, &bytes) {
                    prop_assert_eq!(problem.status().as_u16(), 400);
                }
            }
        }
    }
}
