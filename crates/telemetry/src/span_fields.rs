//! How the JSON log layer keeps a span's fields: the JSON object every log line of the span carries
//! (`"spans":[…]`), written once when the span opens.
//!
//! tracing-subscriber's own `JsonFields` builds a `BTreeMap` of `serde_json::Value`s for every span and,
//! on every `record` (a request span records its status as it ends), parses the object back and writes
//! it again. Every request opens such a span, so under `make bench` that was a large share of a bare
//! request's CPU. [`JsonSpanFields`] writes the object straight into the span's string and appends a
//! later field before the closing brace; a field recorded twice appears twice, and the log line's JSON
//! parse keeps the last, as `JsonFields` would.

use std::fmt::{self, Write as _};
use tracing::field::{Field, Visit};
use tracing::span::Record;
use tracing_subscriber::field::RecordFields;
use tracing_subscriber::fmt::format::Writer;
use tracing_subscriber::fmt::{FormatFields, FormattedFields};

/// The log layer's span field formatter (see the module docs).
#[derive(Debug, Default, Clone, Copy)]
pub struct JsonSpanFields;

impl<'writer> FormatFields<'writer> for JsonSpanFields {
    fn format_fields<R: RecordFields>(&self, mut writer: Writer<'writer>, fields: R) -> fmt::Result {
        let mut entries = JsonEntries::default();
        fields.record(&mut entries);
        writer.write_char('{')?;
        writer.write_str(&entries.0)?;
        writer.write_char('}')
    }

    fn add_fields(&self, current: &'writer mut FormattedFields<Self>, fields: &Record<'_>) -> fmt::Result {
        let mut entries = JsonEntries::default();
        fields.record(&mut entries);
        if entries.0.is_empty() {
            return Ok(());
        }
        let object = &mut current.fields;
        if object.ends_with('}') {
            object.pop();
            if !object.ends_with('{') {
                object.push(',');
            }
        } else {
            object.clear();
            object.push('{');
        }
        object.push_str(&entries.0);
        object.push('}');
        Ok(())
    }
}

/// `"name":value` pairs, comma-separated, without the braces.
#[derive(Default)]
struct JsonEntries(String);

impl JsonEntries {
    /// Starts an entry; `None` for a field that is not logged.
    fn key(&mut self, field: &Field) -> Option<&mut String> {
        let name = field.name();
        // `log.*` fields carry a `log` record's metadata, which the event line already has.
        if name.starts_with("log.") {
            return None;
        }
        if !self.0.is_empty() {
            self.0.push(',');
        }
        push_json_string(&mut self.0, name.strip_prefix("r#").unwrap_or(name));
        self.0.push(':');
        Some(&mut self.0)
    }
}

impl Visit for JsonEntries {
    fn record_f64(&mut self, field: &Field, value: f64) {
        if let Some(out) = self.key(field) {
            if value.is_finite() {
                let _ = write!(out, "{value}");
            } else {
                out.push_str("null");
            }
        }
    }

    fn record_i64(&mut self, field: &Field, value: i64) {
        if let Some(out) = self.key(field) {
            let _ = write!(out, "{value}");
        }
    }

    fn record_u64(&mut self, field: &Field, value: u64) {
        if let Some(out) = self.key(field) {
            let _ = write!(out, "{value}");
        }
    }

    fn record_bool(&mut self, field: &Field, value: bool) {
        if let Some(out) = self.key(field) {
            out.push_str(if value { "true" } else { "false" });
        }
    }

    fn record_str(&mut self, field: &Field, value: &str) {
        if let Some(out) = self.key(field) {
            push_json_string(out, value);
        }
    }

    fn record_debug(&mut self, field: &Field, value: &dyn fmt::Debug) {
        if let Some(out) = self.key(field) {
            push_json_string(out, &format!("{value:?}"));
        }
    }
}

/// `value` as a JSON string literal (RFC 8259 escapes); the runs between escapes are copied whole.
fn push_json_string(out: &mut String, value: &str) {
    out.push('"');
    let mut copied = 0;
    for (at, byte) in value.bytes().enumerate() {
        let escape = match byte {
            b'"' => "\\\"",
            b'\\' => "\\\\",
            b'\n' => "\\n",
            b'\r' => "\\r",
            b'\t' => "\\t",
            0..=0x1f => "",
            _ => continue,
        };
        out.push_str(&value[copied..at]);
        if escape.is_empty() {
            let _ = write!(out, "\\u{byte:04x}");
        } else {
            out.push_str(escape);
        }
        copied = at + 1;
    }
    out.push_str(&value[copied..]);
    out.push('"');
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::io;
    use std::sync::{Arc, Mutex};
    use tracing_subscriber::layer::SubscriberExt;

    #[derive(Clone, Default)]
    struct Lines(Arc<Mutex<Vec<u8>>>);

    impl io::Write for Lines {
        fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(bytes);
            Ok(bytes.len())
        }

        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }

    /// The JSON line of one event logged inside a span opened with awkward values and recorded into
    /// twice, as the services' log layer writes it.
    fn logged_line() -> serde_json::Value {
        let lines = Lines::default();
        let writer = lines.clone();
        let layer = tracing_subscriber::fmt::layer()
            .json()
            .flatten_event(true)
            .with_current_span(false)
            .fmt_fields(JsonSpanFields)
            .with_writer(move || writer.clone());
        let subscriber = tracing_subscriber::registry().with(layer);
        tracing::subscriber::with_default(subscriber, || {
            let _outer = tracing::info_span!("outer").entered();
            let span = tracing::info_span!(
                "HTTP request",
                http.method = "GET",
                http.target = "/a?b=\"c\"\\d\n\u{1}é",
                attempt = 3_i64,
                size = 7_u64,
                ratio = 0.5_f64,
                cached = true,
                owner = ?Some("x"),
                http.status_code = tracing::field::Empty,
                request_id = "r-1",
            );
            span.record("http.status_code", 200_u64);
            span.record("request_id", "r-2");
            let _entered = span.enter();
            tracing::info!("inside");
        });
        let bytes = lines.0.lock().unwrap().clone();
        serde_json::from_slice(&bytes).expect("one JSON line")
    }

    #[test]
    fn span_fields_reach_the_log_line_as_json_with_later_records_winning() {
        let line = logged_line();
        assert_eq!(line["spans"][0], serde_json::json!({ "name": "outer" }), "a span without fields");
        let span = &line["spans"][1];
        assert_eq!(span["name"], "HTTP request");
        assert_eq!(span["http.method"], "GET");
        assert_eq!(span["http.target"], "/a?b=\"c\"\\d\n\u{1}é");
        assert_eq!(span["attempt"], 3);
        assert_eq!(span["size"], 7);
        assert_eq!(span["ratio"], 0.5);
        assert_eq!(span["cached"], true);
        assert_eq!(span["owner"], "Some(\"x\")");
        assert_eq!(span["http.status_code"], 200);
        assert_eq!(span["request_id"], "r-2", "a field recorded again is read with its last value");
        assert_eq!(line["message"], "inside");
    }
}
