//! `MAX_SESSIONS_PER_USER`: how many live sessions one user may hold before opening another ends the
//! least recently used one. Bounded above as well, because listing and logout-all walk a user's sessions
//! in one Redis script: the cap is what keeps that script short.

use std::fmt;
use std::str::FromStr;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct MaxSessions(u32);

impl MaxSessions {
    pub const DEFAULT: Self = Self(100);
    pub const LIMIT: u32 = 1000;

    pub fn new(value: u32) -> Option<Self> {
        (1..=Self::LIMIT).contains(&value).then_some(Self(value))
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl Default for MaxSessions {
    fn default() -> Self {
        Self::DEFAULT
    }
}

impl FromStr for MaxSessions {
    type Err = String;

    fn from_str(value: &str) -> Result<Self, Self::Err> {
        value
            .trim()
            .parse::<u32>()
            .ok()
            .and_then(Self::new)
            .ok_or_else(|| format!("must be a whole number between 1 and {}", Self::LIMIT))
    }
}

impl fmt::Display for MaxSessions {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_one_to_the_limit_parses() {
        assert_eq!("3".parse::<MaxSessions>().map(MaxSessions::get), Ok(3));
        assert_eq!("1000".parse::<MaxSessions>().map(MaxSessions::get), Ok(1000));
        for refused in ["0", "1001", "-1", "many", ""] {
            assert!(refused.parse::<MaxSessions>().is_err(), "{refused}");
        }
    }
}
