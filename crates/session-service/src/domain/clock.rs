//! The RFC 3339 form of the platform clock's Unix seconds (`auth_proto::clock`), for public answers.

use time::OffsetDateTime;
use time::format_description::well_known::Rfc3339;

pub fn rfc3339(unix_seconds: i64) -> String {
    OffsetDateTime::from_unix_timestamp(unix_seconds)
        .ok()
        .and_then(|time| time.format(&Rfc3339).ok())
        .unwrap_or_else(|| unix_seconds.to_string())
}

#[cfg(test)]
mod tests {
    #[test]
    fn formats_rfc3339() {
        assert_eq!(super::rfc3339(0), "1970-01-01T00:00:00Z");
    }
}
