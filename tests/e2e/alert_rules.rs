//! The alerting rules of `deploy/prometheus/alerts.yml` query only what the services really export: every
//! metric an expression names is scraped from the three real binaries (after a login, a refresh, a
//! detected reuse, a revocation, a logout and a Redis outage, so the counters of those events exist),
//! and every `label="value"` matcher selects a series they export. promtool checks the syntax and unit
//! tests the alerts on made-up series (make check-deploy); this keeps those series honest.

use std::collections::{BTreeMap, BTreeSet};

use e2e_tests::checks::{sample, token_response};
use e2e_tests::platform::{Platform, Service};

const RULES: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/../deploy/prometheus/alerts.yml");

/// PromQL words that are not metric names.
const KEYWORDS: [&str; 6] = ["and", "or", "unless", "bool", "offset", "inf"];
/// Keywords followed by a parenthesized list of label names.
const LABEL_LISTS: [&str; 6] = ["by", "without", "on", "ignoring", "group_left", "group_right"];

/// A metric selector of an expression: the metric's name and its `label="value"` matchers.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
struct Selector {
    metric: String,
    equal: Vec<(String, String)>,
}

#[tokio::test]
async fn the_alert_rules_query_only_metrics_and_labels_the_services_export() {
    let mut platform = Platform::builder().env(Service::Token, "REFRESH_REUSE_GRACE_SECONDS", "0").start().await;
    let api = platform.api().clone();
    let (account, tokens) = api.signed_in().await;
    token_response(&api.refresh(&tokens.refresh_token).await);
    // The rotated token again, past the (zero) grace window: reuse detected.
    api.refresh(&tokens.refresh_token).await.expect_status(401);
    let (_, other) = api.signed_in().await;
    api.revoke(&other.access_token).await.expect_status(200);
    let (_, third) = api.signed_in().await;
    api.session_verify(&third.access_token).await.expect_status(200);
    api.session_invalidate(&third.access_token, None).await.expect_status(200);
    // A Redis outage: the Redis error counter and a 503 get samples too.
    platform.stop_redis();
    api.login(&account.username, &account.password).await.expect_status(503);
    platform.start_redis();

    let mut series = Vec::new();
    for service in Service::ALL {
        let metrics = api.get(service, "/metrics").await.body;
        series.extend(metrics.lines().filter(|line| !line.starts_with('#')).map(str::to_owned));
    }
    // The session service fetched the token service's JWKS (to verify the tokens above) and counted it.
    let session = api.get(Service::Session, "/metrics").await.body;
    assert!(sample(&session, "session_jwks_fetches_total{result=\"ok\"}") >= 1.0, "{session}");

    let exported: BTreeSet<&str> = series.iter().filter_map(|line| line.split(['{', ' ']).next()).collect();

    let rules = std::fs::read_to_string(RULES).expect("read the alert rules");
    let (expressions, recorded) = expressions_and_records(&rules);
    assert!(expressions.len() >= 10, "the rules file has its expressions: {expressions:#?}");
    let selectors: BTreeSet<Selector> = expressions.iter().flat_map(|expr| selectors(expr)).collect();
    let names: BTreeSet<&str> = selectors.iter().map(|selector| selector.metric.as_str()).collect();
    // The parser finds the metrics it should (a parser that found nothing would pass everything).
    for expected in ["token_refresh_total", "authn_argon2_capacity", "redis_command_errors_total"] {
        assert!(names.contains(expected), "{expected} not found among {names:?}");
    }

    let missing: Vec<&str> =
        names.iter().copied().filter(|name| !exported.contains(name) && !recorded.contains(*name)).collect();
    assert!(
        missing.is_empty(),
        "the alert rules query metrics no service exports: {missing:?}\nexported: {exported:?}"
    );

    // The rules' own recorded series are checked through the expressions that record them.
    let unmatched: Vec<&Selector> = selectors
        .iter()
        .filter(|selector| !recorded.contains(&selector.metric))
        .filter(|selector| {
            !selector.equal.iter().all(|(label, value)| {
                let matcher = format!("{label}=\"{value}\"");
                series.iter().any(|line| line.starts_with(&format!("{}{{", selector.metric)) && line.contains(&matcher))
            })
        })
        .collect();
    assert!(unmatched.is_empty(), "alert matchers that select no exported series: {unmatched:#?}");
}

#[test]
fn selectors_are_read_from_promql() {
    let found = selectors(
        r#"histogram_quantile(0.99, sum by (namespace, le) (rate(x_bucket{endpoint=~"/a.*", le!="1"}[5m]))) > 0.05
           and on (pod) y_total{outcome="locked"} offset 5m unless max without(a) (z)"#,
    );
    let names: Vec<&str> = found.iter().map(|selector| selector.metric.as_str()).collect();
    assert_eq!(names, ["x_bucket", "y_total", "z"]);
    assert_eq!(found[1].equal, [("outcome".to_owned(), "locked".to_owned())]);
    assert!(found[0].equal.is_empty(), "regex and negative matchers are not equalities");
}

/// The PromQL of every `expr:` (inline or a `|` block) and the names every `record:` defines.
fn expressions_and_records(rules: &str) -> (Vec<String>, BTreeSet<String>) {
    let lines: Vec<&str> = rules.lines().collect();
    let mut expressions = Vec::new();
    let mut recorded = BTreeSet::new();
    for (index, line) in lines.iter().enumerate() {
        let trimmed = line.trim_start();
        let indent = line.len() - trimmed.len();
        if let Some(name) = trimmed.strip_prefix("- record:").or_else(|| trimmed.strip_prefix("record:")) {
            recorded.insert(name.trim().to_owned());
        }
        let Some(rest) = trimmed.strip_prefix("expr:").map(str::trim) else { continue };
        if rest.starts_with('|') || rest.starts_with('>') {
            let block: Vec<&str> = lines[index + 1..]
                .iter()
                .take_while(|next| next.trim().is_empty() || next.len() - next.trim_start().len() > indent)
                .map(|next| next.trim())
                .collect();
            expressions.push(block.join(" "));
        } else {
            expressions.push(rest.trim_matches(['\'', '"']).to_owned());
        }
    }
    (expressions, recorded)
}

/// The metric selectors of a PromQL expression: identifiers that are not functions, keywords, label
/// lists, durations or numbers, with the equality matchers in their braces.
fn selectors(expr: &str) -> Vec<Selector> {
    let chars: Vec<char> = expr.chars().collect();
    let mut found = Vec::new();
    let mut at = 0;
    while at < chars.len() {
        let c = chars[at];
        if c == '"' || c == '\'' {
            at = skip_string(&chars, at);
        } else if c == '[' {
            at = skip_past(&chars, at, ']');
        } else if c.is_ascii_digit() || c == '.' {
            while at < chars.len() && (chars[at].is_ascii_alphanumeric() || chars[at] == '.') {
                at += 1;
            }
        } else if c.is_ascii_alphabetic() || c == '_' || c == ':' {
            let start = at;
            while at < chars.len() && (chars[at].is_ascii_alphanumeric() || chars[at] == '_' || chars[at] == ':') {
                at += 1;
            }
            let word: String = chars[start..at].iter().collect();
            let mut next = at;
            while next < chars.len() && chars[next].is_whitespace() {
                next += 1;
            }
            let lower = word.to_ascii_lowercase();
            if LABEL_LISTS.contains(&lower.as_str()) {
                if chars.get(next) == Some(&'(') {
                    at = skip_past(&chars, next, ')');
                }
            } else if chars.get(next) == Some(&'(')
                || KEYWORDS.contains(&lower.as_str())
                || ["by", "without"].contains(&next_word(&chars, next).as_str())
            {
                // A function call, an operator keyword, or an aggregation before its label list.
            } else {
                let mut equal = Vec::new();
                if chars.get(next) == Some(&'{') {
                    let end = skip_past(&chars, next, '}');
                    let body: String = chars[next + 1..end.saturating_sub(1)].iter().collect();
                    equal = equality_matchers(&body);
                    at = end;
                }
                found.push(Selector { metric: word, equal });
            }
        } else {
            at += 1;
        }
    }
    found
}

/// The identifier that starts at `at`, lowercased (empty when none does).
fn next_word(chars: &[char], at: usize) -> String {
    chars[at.min(chars.len())..]
        .iter()
        .take_while(|c| c.is_ascii_alphanumeric() || **c == '_')
        .collect::<String>()
        .to_ascii_lowercase()
}

/// `label="value"` pairs of a selector's braces (not `!=`, `=~` or `!~`).
fn equality_matchers(body: &str) -> Vec<(String, String)> {
    let mut pairs = BTreeMap::new();
    let chars: Vec<char> = body.chars().collect();
    let mut at = 0;
    while at < chars.len() {
        let start = at;
        while at < chars.len() && (chars[at].is_ascii_alphanumeric() || chars[at] == '_') {
            at += 1;
        }
        let label: String = chars[start..at].iter().collect();
        while at < chars.len() && chars[at].is_whitespace() {
            at += 1;
        }
        let operator: String = chars[at..].iter().take_while(|c| matches!(c, '=' | '!' | '~')).collect();
        at += operator.len();
        while at < chars.len() && chars[at].is_whitespace() {
            at += 1;
        }
        let value_start = at;
        at = skip_string(&chars, at);
        let value: String = chars[value_start + 1..at.saturating_sub(1).max(value_start + 1)].iter().collect();
        if operator == "=" && !label.is_empty() {
            pairs.insert(label, value);
        }
        while at < chars.len() && (chars[at] == ',' || chars[at].is_whitespace()) {
            at += 1;
        }
        if at == start {
            at += 1;
        }
    }
    pairs.into_iter().collect()
}

/// The index just past the string that starts at `at` (a quote), escapes included.
fn skip_string(chars: &[char], at: usize) -> usize {
    let Some(&quote) = chars.get(at) else { return at };
    if quote != '"' && quote != '\'' {
        return at;
    }
    let mut next = at + 1;
    while next < chars.len() && chars[next] != quote {
        next += if chars[next] == '\\' { 2 } else { 1 };
    }
    (next + 1).min(chars.len())
}

/// The index just past the `close` that ends the bracket opened at `at`, strings skipped.
fn skip_past(chars: &[char], at: usize, close: char) -> usize {
    let open = chars[at];
    let mut depth = 0;
    let mut next = at;
    while next < chars.len() {
        match chars[next] {
            '"' | '\'' => {
                next = skip_string(chars, next);
                continue;
            }
            c if c == open => depth += 1,
            c if c == close => {
                depth -= 1;
                if depth == 0 {
                    return next + 1;
                }
            }
            _ => {}
        }
        next += 1;
    }
    chars.len()
}
