//! The platform's one clock. Every time on the wire (claims, internal bodies) and in the stores is Unix
//! seconds as `i64`, so every service reads the time here and they cannot disagree on its unit.

use std::time::{SystemTime, UNIX_EPOCH};

/// The current time in Unix seconds. A system clock set before 1970 reads as 0 rather than failing: no
/// answer of ours is worth a panic over a broken clock.
pub fn now() -> i64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |elapsed| i64::try_from(elapsed.as_secs()).unwrap_or(i64::MAX))
}

#[cfg(test)]
mod tests {
    #[test]
    fn reads_unix_seconds() {
        // 2024-01-01T00:00:00Z: any later reading is plausible, an earlier one means the unit is wrong.
        let now = super::now();
        assert!(now > 1_704_067_200, "{now}");
        assert!(now < 1_704_067_200 * 100, "{now} looks like milliseconds");
    }
}
