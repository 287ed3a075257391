//! The `Authorization: Bearer` credential of a request, refused early when it cannot be a token.

use crate::problem::{BearerChallenge, HttpProblem};
use actix_web::HttpRequest;
use actix_web::http::header::AUTHORIZATION;

/// Tokens longer than this are refused before any parsing: our JWTs are well under 2 KiB.
pub const MAX_BEARER_LENGTH: usize = 8 * 1024;

/// The bearer token of a request, borrowed from its header.
pub fn bearer_token(req: &HttpRequest) -> Result<&str, HttpProblem> {
    let header = req
        .headers()
        .get(AUTHORIZATION)
        .ok_or_else(|| HttpProblem::unauthorized(BearerChallenge::Missing, "a bearer token is required"))?;
    parse_bearer(header.as_bytes())
}

/// RFC 6750's `b64token` characters, as a table: every request behind the gateway checks a few hundred.
const TOKEN_BYTES: [bool; 256] = {
    let mut table = [false; 256];
    let mut byte = 0;
    while byte < 256 {
        let b = byte as u8;
        table[byte] = b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.' | b'_' | b'~' | b'+' | b'/' | b'=');
        byte += 1;
    }
    table
};

/// Parses `Bearer <token>` (scheme case-insensitive, RFC 6750 token characters only).
pub fn parse_bearer(header: &[u8]) -> Result<&str, HttpProblem> {
    let invalid = |detail: &str| HttpProblem::unauthorized(BearerChallenge::InvalidToken, detail);
    if header.len() > MAX_BEARER_LENGTH + 7 {
        return Err(invalid("the bearer token is too long"));
    }
    let (scheme, token) = match header.iter().position(|byte| *byte == b' ') {
        Some(space) => (&header[..space], &header[space + 1..]),
        None => return Err(HttpProblem::unauthorized(BearerChallenge::Missing, "a bearer token is required")),
    };
    if !scheme.eq_ignore_ascii_case(b"bearer") {
        return Err(HttpProblem::unauthorized(BearerChallenge::Missing, "the Bearer scheme is required"));
    }
    let token = token.trim_ascii();
    if token.is_empty() || !token.iter().all(|byte| TOKEN_BYTES[usize::from(*byte)]) {
        return Err(invalid("the bearer token is malformed"));
    }
    std::str::from_utf8(token).map_err(|_| invalid("the bearer token is malformed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn accepts_a_bearer_token() {
        assert_eq!(parse_bearer(b"Bearer abc.def-ghi").unwrap(), "abc.def-ghi");
        assert_eq!(parse_bearer(b"bearer abc").unwrap(), "abc");
    }

    #[test]
    fn refuses_other_schemes_garbage_and_oversized_tokens() {
        assert!(parse_bearer(b"Basic dXNlcjpwdw==").is_err());
        assert!(parse_bearer(b"Bearer ").is_err());
        assert!(parse_bearer(b"Bearer a b").is_err());
        assert!(parse_bearer(b"Bearer \xff\xfe").is_err());
        let long = format!("Bearer {}", "a".repeat(MAX_BEARER_LENGTH + 1));
        assert!(parse_bearer(long.as_bytes()).is_err());
    }
}

#[cfg(test)]
mod properties {
    use super::*;
    use proptest::prelude::*;

    proptest! {
        /// Any header value parses or is refused with a 401; a parsed token holds only token characters.
        #[test]
        fn any_header_parses_or_is_refused(header in proptest::collection::vec(any::<u8>(), 0..300)) {
            match parse_bearer(&header) {
                Ok(token) => prop_assert!(token.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._~+/=".contains(&b))),
                Err(problem) => prop_assert_eq!(problem.status().as_u16(), 401),
            }
        }
    }
}
