//! RFC 7638 JWK thumbprints, used as key ids: the same key always gets the same `kid`, on every replica.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use jsonwebtoken::jwk::{AlgorithmParameters, Jwk};

/// The base64url SHA-256 thumbprint of a JWK's required members, in lexicographic order.
pub fn thumbprint(jwk: &Jwk) -> String {
    let canonical = match &jwk.algorithm {
        AlgorithmParameters::EllipticCurve(ec) => {
            format!(r#"{{"crv":"{}","kty":"EC","x":"{}","y":"{}"}}"#, curve_name(&ec.curve), ec.x, ec.y)
        }
        AlgorithmParameters::RSA(rsa) => format!(r#"{{"e":"{}","kty":"RSA","n":"{}"}}"#, rsa.e, rsa.n),
        AlgorithmParameters::OctetKey(oct) => format!(r#"{{"k":"{}","kty":"oct"}}"#, oct.value),
        AlgorithmParameters::OctetKeyPair(okp) => {
            format!(r#"{{"crv":"{}","kty":"OKP","x":"{}"}}"#, curve_name(&okp.curve), okp.x)
        }
        // The enum is non-exhaustive; a future key type gets a thumbprint of its full JSON form.
        other => serde_json::to_string(other).unwrap_or_default(),
    };
    let digest = aws_lc_rs::digest::digest(&aws_lc_rs::digest::SHA256, canonical.as_bytes());
    URL_SAFE_NO_PAD.encode(digest.as_ref())
}

fn curve_name(curve: &jsonwebtoken::jwk::EllipticCurve) -> &'static str {
    use jsonwebtoken::jwk::EllipticCurve;
    match curve {
        EllipticCurve::P256 => "P-256",
        EllipticCurve::P384 => "P-384",
        EllipticCurve::P521 => "P-521",
        EllipticCurve::Ed25519 => "Ed25519",
        _ => "unknown",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_rfc_7638_example() {
        // RFC 7638 section 3.1.
        let jwk: Jwk = serde_json::from_str(
            r#"{"kty":"RSA","e":"AQAB","alg":"RS256","kid":"2011-04-29","n":"0vx7agoebGcQSuuPiLJXZptN9nndrQmbXEps2aiAFbWhM78LhWx4cbbfAAtVT86zwu1RK7aPFFxuhDR1L6tSoc_BJECPebWKRXjBZCiFV4n3oknjhMstn64tZ_2W-5JsGY4Hc5n9yBXArwl93lqt7_RN5w6Cf0h4QyQ5v-65YGjQR0_FDW2QvzqY368QQMicAtaSqzs8KJZgnYb9c7d0zgdAZHzu6qMQvRL5hajrn1n91CbOpbISD08qNLyrdkt-bFTWhAI4vMQFh6WeZu0fM4lFd2NcRwr3XPksINHaQ-G_xBniIqbw0Ls1jF44-csFCur-kEgU8awapJzKnqDKgw"}"#,
        )
        .unwrap();
        assert_eq!(thumbprint(&jwk), "NzbLsXh8uDCcd-6MNwXF4W_7noWXFZAfHkxZsRGC9Xs");
    }
}
