//! `docs/api.md` from the services' OpenAPI documents: per service its routes (method, path,
//! authentication, parameters, request body, responses with statuses) and its schemas.
//!
//! It reads the documents as plain JSON, not as utoipa types, so it keeps working whatever builds
//! them; what it does not know how to describe it names by its keyword instead of dropping it.
//! Output order is fixed (paths and schemas sorted, methods in HTTP order), so the file only
//! changes when a document does.

use std::fmt::Write;

use serde_json::Value;

use crate::ServiceDocument;

const METHODS: [&str; 8] = ["get", "head", "post", "put", "patch", "delete", "options", "trace"];

pub fn render(services: &[ServiceDocument]) -> String {
    let mut out = String::new();
    out.push_str("# API reference\n\n");
    out.push_str("<!-- Generated from docs/openapi/*.json by tests/docs (`make docs`); do not edit by hand. -->\n\n");
    out.push_str(
        "Generated from the services' OpenAPI documents, which are the source of truth for routes and \
         payloads: ",
    );
    let links: Vec<String> =
        services.iter().map(|service| format!("[`{0}.json`](openapi/{0}.json)", service.name)).collect();
    out.push_str(&links.join(", "));
    out.push_str(
        ". Each service also serves its own at `GET /openapi.json`, and a browsable page at `GET /docs/`. \
         Settings, token formats and the error conventions are in [the contract](contract.md).\n\n",
    );
    for service in services {
        let title = service.document["info"]["title"].as_str().unwrap_or(service.name);
        let _ = writeln!(out, "- [{title}](#{})", service.name);
    }
    out.push('\n');
    for service in services {
        render_service(&mut out, service);
    }
    out
}

fn render_service(out: &mut String, service: &ServiceDocument) {
    let document = &service.document;
    let title = document["info"]["title"].as_str().unwrap_or(service.name);
    let _ = writeln!(out, "<a id=\"{}\"></a>\n\n## {title}\n", service.name);
    if let Some(description) = document["info"]["description"].as_str() {
        let _ = writeln!(out, "{description}\n");
    }
    let _ = writeln!(
        out,
        "OpenAPI {}, version {}: [`docs/openapi/{}.json`](openapi/{}.json).\n",
        document["openapi"].as_str().unwrap_or("?"),
        document["info"]["version"].as_str().unwrap_or("?"),
        service.name,
        service.name
    );

    let operations = operations(document);
    out.push_str("| method | path | auth | summary |\n|---|---|---|---|\n");
    for (method, path, operation) in &operations {
        let _ = writeln!(
            out,
            "| {} | [`{path}`](#{}) | {} | {} |",
            method.to_ascii_uppercase(),
            operation_anchor(service.name, method, path),
            auth(document, operation),
            cell(&summary(operation))
        );
    }
    out.push('\n');

    if let Some(schemes) = document["components"]["securitySchemes"].as_object() {
        out.push_str("### Authentication\n\n| scheme | how |\n|---|---|\n");
        for (name, scheme) in schemes {
            let _ = writeln!(out, "| `{name}` | {} |", cell(&security_scheme(scheme)));
        }
        out.push('\n');
    }

    out.push_str("### Routes\n\n");
    for (method, path, operation) in &operations {
        render_operation(out, service.name, document, method, path, operation);
    }

    if let Some(schemas) = document["components"]["schemas"].as_object() {
        out.push_str("### Schemas\n\n");
        for (name, schema) in schemas {
            render_schema(out, service.name, name, schema);
        }
    }
}

/// Every (method, path, operation) of the document, paths sorted, methods in HTTP order.
fn operations(document: &Value) -> Vec<(&'static str, &str, &Value)> {
    let mut found = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        let mut sorted: Vec<(&String, &Value)> = paths.iter().collect();
        sorted.sort_by(|a, b| a.0.cmp(b.0));
        for (path, item) in sorted {
            for method in METHODS {
                if item.get(method).is_some_and(Value::is_object) {
                    found.push((method, path.as_str(), &item[method]));
                }
            }
        }
    }
    found
}

fn render_operation(out: &mut String, service: &str, document: &Value, method: &str, path: &str, operation: &Value) {
    let _ = writeln!(
        out,
        "<a id=\"{}\"></a>\n\n#### `{} {path}`\n",
        operation_anchor(service, method, path),
        method.to_ascii_uppercase()
    );
    if let Some(summary) = operation["summary"].as_str() {
        let _ = writeln!(out, "{summary}\n");
    }
    if let Some(description) = operation["description"].as_str() {
        let _ = writeln!(out, "{description}\n");
    }
    let _ = writeln!(out, "Authentication: {}.\n", auth(document, operation));

    if let Some(parameters) = operation["parameters"].as_array().filter(|list| !list.is_empty()) {
        out.push_str("| parameter | in | type | required | description |\n|---|---|---|---|---|\n");
        for parameter in parameters {
            let _ = writeln!(
                out,
                "| `{}` | {} | {} | {} | {} |",
                parameter["name"].as_str().unwrap_or("?"),
                parameter["in"].as_str().unwrap_or("?"),
                schema_type(service, &parameter["schema"]),
                if parameter["required"].as_bool() == Some(true) { "yes" } else { "no" },
                cell(parameter["description"].as_str().unwrap_or(""))
            );
        }
        out.push('\n');
    }

    let body = &operation["requestBody"];
    if body.is_object() {
        let required = if body["required"].as_bool() == Some(true) { "required" } else { "optional" };
        let _ = write!(out, "Request body ({required}): {}", content(service, &body["content"]));
        match body["description"].as_str() {
            Some(description) => {
                let _ = writeln!(out, ". {}\n", sentence(description));
            }
            None => out.push_str(".\n\n"),
        }
    }

    if let Some(responses) = operation["responses"].as_object() {
        // utoipa declares no response headers so far: the column appears once one does.
        let with_headers = responses.values().any(|response| response["headers"].is_object());
        out.push_str(if with_headers {
            "| status | meaning | body | headers |\n|---|---|---|---|\n"
        } else {
            "| status | meaning | body |\n|---|---|---|\n"
        });
        for (status, response) in responses {
            let _ = write!(
                out,
                "| {status} | {} | {} |",
                cell(response["description"].as_str().unwrap_or("")),
                content(service, &response["content"])
            );
            if with_headers {
                let headers: Vec<String> = response["headers"]
                    .as_object()
                    .map(|headers| {
                        headers
                            .iter()
                            .map(|(name, header)| match header["description"].as_str() {
                                Some(description) => format!("`{name}`: {description}"),
                                None => format!("`{name}`"),
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let _ = write!(out, " {} |", cell(&headers.join("; ")));
            }
            out.push('\n');
        }
        out.push('\n');
    }
}

fn render_schema(out: &mut String, service: &str, name: &str, schema: &Value) {
    let _ = writeln!(out, "<a id=\"{}\"></a>\n\n#### `{name}`\n", schema_anchor(service, name));
    if let Some(description) = schema["description"].as_str() {
        let _ = writeln!(out, "{description}\n");
    }
    match schema["properties"].as_object() {
        Some(properties) if !properties.is_empty() => {
            let required: Vec<&str> = schema["required"]
                .as_array()
                .map(|list| list.iter().filter_map(Value::as_str).collect())
                .unwrap_or_default();
            out.push_str("| field | type | required | description |\n|---|---|---|---|\n");
            for (field, property) in properties {
                let _ = writeln!(
                    out,
                    "| `{field}` | {} | {} | {} |",
                    schema_type(service, property),
                    if required.contains(&field.as_str()) { "yes" } else { "no" },
                    cell(property["description"].as_str().unwrap_or(""))
                );
            }
            if schema["additionalProperties"] == Value::Bool(false) {
                out.push_str("\nNo other fields are accepted.\n");
            }
            out.push('\n');
        }
        _ => {
            let _ = writeln!(out, "Type: {}.\n", schema_type(service, schema));
        }
    }
}

/// A one-line description of a schema: a link for a `$ref`, else its type with format and bounds.
fn schema_type(service: &str, schema: &Value) -> String {
    if let Some(reference) = schema["$ref"].as_str() {
        let name = reference.rsplit('/').next().unwrap_or(reference);
        return format!("[`{name}`](#{})", schema_anchor(service, name));
    }
    for (keyword, joiner) in [("oneOf", "one of "), ("anyOf", "any of "), ("allOf", "all of ")] {
        if let Some(options) = schema[keyword].as_array() {
            let parts: Vec<String> = options.iter().map(|option| schema_type(service, option)).collect();
            return format!("{joiner}{}", parts.join(", "));
        }
    }
    if let Some(values) = schema["enum"].as_array() {
        let parts: Vec<String> = values.iter().map(|value| format!("`{value}`")).collect();
        return format!("one of {}", parts.join(", "));
    }
    let types: Vec<&str> = match &schema["type"] {
        Value::String(one) => vec![one.as_str()],
        Value::Array(many) => many.iter().filter_map(Value::as_str).collect(),
        _ => Vec::new(),
    };
    let mut described: Vec<String> = types
        .iter()
        .map(|&kind| match kind {
            "array" => format!("array of {}", schema_type(service, &schema["items"])),
            "object" if schema["additionalProperties"].is_object() => {
                format!("map of {}", schema_type(service, &schema["additionalProperties"]))
            }
            other => other.to_owned(),
        })
        .collect();
    if described.is_empty() {
        described.push("any".to_owned());
    }
    let mut text = described.join(" or ");
    let mut details = Vec::new();
    if let Some(format) = schema["format"].as_str() {
        details.push(format.to_owned());
    }
    if let Some(minimum) = schema.get("minimum") {
        details.push(format!("≥ {minimum}"));
    }
    if let Some(maximum) = schema.get("maximum") {
        details.push(format!("≤ {maximum}"));
    }
    if !details.is_empty() {
        let _ = write!(text, " ({})", details.join(", "));
    }
    text
}

/// The media types of a request or response body with their schemas.
fn content(service: &str, content: &Value) -> String {
    let Some(media) = content.as_object().filter(|media| !media.is_empty()) else { return "none".to_owned() };
    let parts: Vec<String> = media
        .iter()
        .map(|(media_type, body)| {
            if body["schema"].is_object() {
                format!("`{media_type}` {}", schema_type(service, &body["schema"]))
            } else {
                format!("`{media_type}`")
            }
        })
        .collect();
    cell(&parts.join(", "))
}

/// The security requirement of an operation (its own, else the document's), as scheme names.
fn auth(document: &Value, operation: &Value) -> String {
    let requirements = if operation.get("security").is_some() { &operation["security"] } else { &document["security"] };
    let alternatives: Vec<String> = requirements
        .as_array()
        .map(|list| {
            list.iter()
                .filter_map(Value::as_object)
                .map(|requirement| {
                    if requirement.is_empty() {
                        return "none".to_owned();
                    }
                    requirement.keys().map(|name| format!("`{name}`")).collect::<Vec<_>>().join(" and ")
                })
                .collect()
        })
        .unwrap_or_default();
    if alternatives.is_empty() { "none".to_owned() } else { alternatives.join(" or ") }
}

fn security_scheme(scheme: &Value) -> String {
    let mut text = match (scheme["type"].as_str(), scheme["scheme"].as_str()) {
        (Some("http"), Some("bearer")) => "`Authorization: Bearer <token>`".to_owned(),
        (Some("http"), Some("basic")) => "`Authorization: Basic` (HTTP Basic)".to_owned(),
        (Some(kind), Some(name)) => format!("{kind} {name}"),
        (Some(kind), None) => kind.to_owned(),
        _ => "?".to_owned(),
    };
    if let Some(format) = scheme["bearerFormat"].as_str() {
        let _ = write!(text, ", a {format}");
    }
    if let Some(description) = scheme["description"].as_str() {
        let _ = write!(text, ": {description}");
    }
    text
}

/// What an operation does, in a line: its summary, else its description's first line, else what
/// its first successful response is.
fn summary(operation: &Value) -> String {
    let success = operation["responses"]
        .as_object()
        .and_then(|responses| responses.iter().find(|(status, _)| status.starts_with(['2', '3'])))
        .and_then(|(_, response)| response["description"].as_str());
    operation["summary"]
        .as_str()
        .or_else(|| operation["description"].as_str().and_then(|text| text.lines().next()))
        .or(success)
        .or_else(|| operation["operationId"].as_str())
        .unwrap_or("")
        .to_owned()
}

/// `text` ending with a full stop, unless it already ends with punctuation.
fn sentence(text: &str) -> String {
    let text = text.trim();
    if text.ends_with(['.', '!', '?']) { text.to_owned() } else { format!("{text}.") }
}

/// Text safe inside a Markdown table cell.
fn cell(text: &str) -> String {
    text.trim().replace('|', "\\|").replace('\n', "<br>")
}

fn operation_anchor(service: &str, method: &str, path: &str) -> String {
    let slug: String =
        path.chars().map(|c| if c.is_ascii_alphanumeric() { c.to_ascii_lowercase() } else { '-' }).collect();
    format!("{service}-{method}{}", slug.trim_end_matches('-'))
}

fn schema_anchor(service: &str, name: &str) -> String {
    format!("{service}-schema-{}", name.to_ascii_lowercase())
}
