//! Breaking changes to a service's internal API, found by comparing two OpenAPI documents.
//!
//! The services are released one at a time, so during a rollout a peer one release behind calls the
//! new internal API (and the new peer calls the old one). `breaking_changes(released, current)` lists
//! what such a peer would trip over on the `/internal/` routes:
//! - a route (path and method) removed, or a success status it answered with;
//! - a response field removed, no longer always present, or given a type the old reader does not expect;
//! - a request field (or parameter, or the body itself) newly required, or a request field's type
//!   narrowed so that what the old sender sends is refused.
//!
//! Additions (routes, optional request fields, response fields) are not breaking. Schemas are compared
//! structurally, following `$ref`s into `components/schemas` and merging `allOf`/`oneOf`/`anyOf`.
//! Written here rather than taken from a crate: no Rust crate for OpenAPI diffing is available, oasdiff
//! is a Go program, and these four rules over utoipa's output are a page of code.

use std::collections::{BTreeMap, BTreeSet};

use serde_json::Value;

/// The routes the check covers: those only the platform's own services call.
pub const INTERNAL_PREFIX: &str = "/internal/";

const METHODS: [&str; 8] = ["get", "put", "post", "delete", "options", "head", "patch", "trace"];

/// Deeper than any of our wire types nest; stops recursive schemas.
const MAX_DEPTH: usize = 32;

/// Every breaking change from `released` to `current` on the internal routes, one line each.
pub fn breaking_changes(released: &Value, current: &Value) -> Vec<String> {
    let mut breaks = Vec::new();
    for (path, method, old_op) in operations(released) {
        let route = format!("{} {path}", method.to_uppercase());
        let Some(new_op) = current["paths"][path.as_str()].get(method) else {
            breaks.push(format!("{route}: route removed"));
            continue;
        };
        let old = Doc { root: released, op: old_op };
        let new = Doc { root: current, op: new_op };
        compare_parameters(&route, &old, &new, &mut breaks);
        compare_request_body(&route, &old, &new, &mut breaks);
        compare_responses(&route, &old, &new, &mut breaks);
    }
    breaks
}

/// An operation and the document its `$ref`s resolve in.
struct Doc<'a> {
    root: &'a Value,
    op: &'a Value,
}

fn operations(document: &Value) -> Vec<(String, &'static str, &Value)> {
    let mut found = Vec::new();
    if let Some(paths) = document["paths"].as_object() {
        for (path, item) in paths.iter().filter(|(path, _)| path.starts_with(INTERNAL_PREFIX)) {
            for method in METHODS {
                if let Some(op) = item.get(method) {
                    found.push((path.clone(), method, op));
                }
            }
        }
    }
    found
}

fn required_parameters(op: &Value) -> BTreeSet<String> {
    op["parameters"]
        .as_array()
        .into_iter()
        .flatten()
        .filter(|parameter| parameter["required"] == Value::Bool(true) || parameter["in"] == "path")
        .map(|parameter| format!("{} parameter {}", parameter["in"].as_str().unwrap_or("?"), parameter["name"]))
        .collect()
}

fn compare_parameters(route: &str, old: &Doc, new: &Doc, breaks: &mut Vec<String>) {
    let before = required_parameters(old.op);
    for parameter in required_parameters(new.op).difference(&before) {
        breaks.push(format!("{route}: {parameter} newly required"));
    }
}

fn json_schema(content_owner: &Value) -> Option<&Value> {
    let content = content_owner["content"].as_object()?;
    content.iter().find(|(media, _)| media.contains("json")).and_then(|(_, media)| media.get("schema"))
}

fn compare_request_body(route: &str, old: &Doc, new: &Doc, breaks: &mut Vec<String>) {
    let old_body = old.op.get("requestBody");
    let Some(new_body) = new.op.get("requestBody") else { return };
    let old_required = old_body.is_some_and(|body| body["required"] == Value::Bool(true));
    if new_body["required"] == Value::Bool(true) && !old_required {
        breaks.push(format!("{route}: request body newly required"));
    }
    match (old_body.and_then(json_schema), json_schema(new_body)) {
        (Some(old_schema), Some(new_schema)) => {
            let old_shape = Shape::of(old.root, old_schema, 0);
            let new_shape = Shape::of(new.root, new_schema, 0);
            request_breaks(&format!("{route}: request"), &old_shape, &new_shape, 0, breaks);
        }
        (None, Some(new_schema)) => {
            // A body where there was none: old senders send none, so nothing in it may be required.
            for field in Shape::of(new.root, new_schema, 0).required {
                breaks.push(format!("{route}: request field {field} newly required"));
            }
        }
        _ => {}
    }
}

fn compare_responses(route: &str, old: &Doc, new: &Doc, breaks: &mut Vec<String>) {
    let Some(old_responses) = old.op["responses"].as_object() else { return };
    for (status, old_response) in old_responses {
        let Some(new_response) = new.op["responses"].get(status) else {
            // An error status the server no longer answers with breaks no reader; a success status does.
            if status.starts_with('2') {
                breaks.push(format!("{route}: response {status} removed"));
            }
            continue;
        };
        if let Some(old_schema) = json_schema(old_response) {
            let old_shape = Shape::of(old.root, old_schema, 0);
            match json_schema(new_response) {
                Some(new_schema) => {
                    let new_shape = Shape::of(new.root, new_schema, 0);
                    response_breaks(&format!("{route}: response {status}"), &old_shape, &new_shape, 0, breaks);
                }
                None => breaks.push(format!("{route}: response {status} no longer has a JSON body")),
            }
        }
    }
}

/// What a schema says about a value, with `$ref`s followed and combinators merged.
#[derive(Debug, Default)]
struct Shape {
    /// JSON types allowed; empty means any.
    types: BTreeSet<String>,
    properties: BTreeMap<String, Shape>,
    required: BTreeSet<String>,
    closed: bool,
    items: Option<Box<Shape>>,
}

impl Shape {
    fn of(root: &Value, schema: &Value, depth: usize) -> Shape {
        let mut shape = Shape::default();
        if depth > MAX_DEPTH {
            return shape;
        }
        if let Some(reference) = schema["$ref"].as_str() {
            let target = reference
                .strip_prefix("#/")
                .map(|pointer| pointer.split('/').fold(root, |value, key| &value[key]))
                .unwrap_or(&Value::Null);
            return Shape::of(root, target, depth + 1);
        }
        match &schema["type"] {
            Value::String(name) => {
                shape.types.insert(name.clone());
            }
            Value::Array(names) => shape.types.extend(names.iter().filter_map(Value::as_str).map(str::to_owned)),
            _ => {}
        }
        if let Some(properties) = schema["properties"].as_object() {
            for (name, property) in properties {
                shape.properties.insert(name.clone(), Shape::of(root, property, depth + 1));
            }
        }
        shape
            .required
            .extend(schema["required"].as_array().into_iter().flatten().filter_map(Value::as_str).map(str::to_owned));
        shape.closed = schema["additionalProperties"] == Value::Bool(false);
        if let Some(items) = schema.get("items") {
            shape.items = Some(Box::new(Shape::of(root, items, depth + 1)));
        }
        // allOf: every part holds, so fields and requirements add up. oneOf/anyOf: a value is one of
        // the variants, so a field is known if any variant has it and required only if all require it.
        for part in schema["allOf"].as_array().into_iter().flatten() {
            shape.merge(Shape::of(root, part, depth + 1), true);
        }
        for key in ["oneOf", "anyOf"] {
            let variants: Vec<Shape> =
                schema[key].as_array().into_iter().flatten().map(|part| Shape::of(root, part, depth + 1)).collect();
            if let Some(first) = variants.first() {
                let all_require: BTreeSet<String> =
                    variants.iter().skip(1).fold(first.required.clone(), |acc, variant| {
                        acc.intersection(&variant.required).cloned().collect()
                    });
                for variant in variants {
                    shape.merge(variant, false);
                }
                shape.required.extend(all_require);
            }
        }
        shape
    }

    fn merge(&mut self, other: Shape, keep_required: bool) {
        self.types.extend(other.types);
        for (name, property) in other.properties {
            self.properties.entry(name).or_insert(property);
        }
        if keep_required {
            self.required.extend(other.required);
        }
        self.closed |= other.closed;
        if self.items.is_none() {
            self.items = other.items;
        }
    }

    /// Whether every value of type in `self.types` is also allowed by `wider`; "integer" is a "number".
    fn types_within(&self, wider: &Shape) -> bool {
        if wider.types.is_empty() {
            return true;
        }
        if self.types.is_empty() {
            return false;
        }
        self.types
            .iter()
            .all(|name| wider.types.contains(name) || (name == "integer" && wider.types.contains("number")))
    }
}

fn describe(types: &BTreeSet<String>) -> String {
    if types.is_empty() { "any".to_owned() } else { types.iter().cloned().collect::<Vec<_>>().join("|") }
}

/// The new response must still give the old reader everything it read, as it read it.
fn response_breaks(at: &str, old: &Shape, new: &Shape, depth: usize, breaks: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    if !new.types_within(old) {
        breaks.push(format!("{at}: type changed from {} to {}", describe(&old.types), describe(&new.types)));
        return;
    }
    for (name, old_property) in &old.properties {
        let field = format!("{at} field {name}");
        match new.properties.get(name) {
            None => breaks.push(format!("{field} removed")),
            Some(new_property) => {
                if old.required.contains(name) && !new.required.contains(name) {
                    breaks.push(format!("{field} no longer always present"));
                }
                response_breaks(&field, old_property, new_property, depth + 1, breaks);
            }
        }
    }
    if let (Some(old_items), Some(new_items)) = (&old.items, &new.items) {
        response_breaks(&format!("{at}[]"), old_items, new_items, depth + 1, breaks);
    }
}

/// The new request schema must still accept everything the old sender sends.
fn request_breaks(at: &str, old: &Shape, new: &Shape, depth: usize, breaks: &mut Vec<String>) {
    if depth > MAX_DEPTH {
        return;
    }
    if !old.types_within(new) {
        breaks.push(format!("{at}: type changed from {} to {}", describe(&old.types), describe(&new.types)));
        return;
    }
    for name in new.required.difference(&old.required) {
        breaks.push(format!("{at} field {name} newly required"));
    }
    for (name, old_property) in &old.properties {
        let field = format!("{at} field {name}");
        match new.properties.get(name) {
            None if new.closed => breaks.push(format!("{field} removed and unknown fields refused")),
            None => {}
            Some(new_property) => request_breaks(&field, old_property, new_property, depth + 1, breaks),
        }
    }
    if let (Some(old_items), Some(new_items)) = (&old.items, &new.items) {
        request_breaks(&format!("{at}[]"), old_items, new_items, depth + 1, breaks);
    }
}

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::breaking_changes;

    /// A document with one internal route taking `request` and answering 200 with `response`.
    fn document(request: Value, response: Value) -> Value {
        json!({
            "openapi": "3.1.0",
            "paths": {
                "/internal/things": {"post": {
                    "requestBody": {"required": true, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Request"}}}},
                    "responses": {
                        "200": {"description": "ok", "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Response"}}}},
                        "400": {"description": "bad", "content": {"application/problem+json": {"schema": {"type": "object"}}}}
                    }
                }},
                "/public": {"get": {"responses": {"200": {"description": "ok"}}}}
            },
            "components": {"schemas": {"Request": request, "Response": response}}
        })
    }

    fn request() -> Value {
        json!({"type": "object", "required": ["name"], "properties": {
            "name": {"type": "string"},
            "ttl_seconds": {"type": ["integer", "null"], "format": "int64"}
        }})
    }

    fn response() -> Value {
        json!({"type": "object", "required": ["id", "tags"], "properties": {
            "id": {"type": "string"},
            "tags": {"type": "array", "items": {"type": "object", "required": ["key"], "properties": {"key": {"type": "string"}}}}
        }})
    }

    fn released() -> Value {
        document(request(), response())
    }

    #[test]
    fn the_same_document_is_compatible() {
        assert_eq!(breaking_changes(&released(), &released()), Vec::<String>::new());
    }

    #[test]
    fn additions_are_compatible() {
        let mut request = request();
        request["properties"]["note"] = json!({"type": "string"});
        let mut response = response();
        response["properties"]["created_at"] = json!({"type": "string"});
        response["required"] = json!(["id", "tags", "created_at"]);
        response["properties"]["tags"]["items"]["properties"]["value"] = json!({"type": "string"});
        let mut current = document(request, response);
        current["paths"]["/internal/other"] = json!({"post": {"responses": {"204": {"description": "ok"}}}});
        // Optional to required in a request is breaking, but required to optional is not.
        current["components"]["schemas"]["Request"]["required"] = json!([]);
        assert_eq!(breaking_changes(&released(), &current), Vec::<String>::new());
    }

    #[test]
    fn a_removed_response_field_is_breaking() {
        let mut response = response();
        response["properties"].as_object_mut().unwrap().remove("id");
        assert_eq!(
            breaking_changes(&released(), &document(request(), response)),
            ["POST /internal/things: response 200 field id removed"]
        );
    }

    #[test]
    fn a_removed_nested_response_field_is_breaking() {
        let mut response = response();
        response["properties"]["tags"]["items"]["properties"] = json!({});
        assert_eq!(
            breaking_changes(&released(), &document(request(), response)),
            ["POST /internal/things: response 200 field tags[] field key removed"]
        );
    }

    #[test]
    fn a_response_field_made_optional_or_nullable_is_breaking() {
        let mut response = response();
        response["required"] = json!(["tags"]);
        response["properties"]["tags"]["type"] = json!(["array", "null"]);
        assert_eq!(
            breaking_changes(&released(), &document(request(), response)),
            [
                "POST /internal/things: response 200 field id no longer always present",
                "POST /internal/things: response 200 field tags: type changed from array to array|null",
            ]
        );
    }

    #[test]
    fn a_newly_required_request_field_is_breaking() {
        let mut request = request();
        request["required"] = json!(["name", "ttl_seconds"]);
        request["properties"]["scope"] = json!({"type": "string"});
        request["required"].as_array_mut().unwrap().push(json!("scope"));
        assert_eq!(
            breaking_changes(&released(), &document(request, response())),
            [
                "POST /internal/things: request field scope newly required",
                "POST /internal/things: request field ttl_seconds newly required",
            ]
        );
    }

    #[test]
    fn a_narrowed_request_field_type_is_breaking_and_a_widened_one_is_not() {
        let mut narrowed = request();
        narrowed["properties"]["ttl_seconds"]["type"] = json!("integer");
        assert_eq!(
            breaking_changes(&released(), &document(narrowed, response())),
            ["POST /internal/things: request field ttl_seconds: type changed from integer|null to integer"]
        );
        let mut widened = request();
        widened["properties"]["name"]["type"] = json!(["string", "null"]);
        assert_eq!(breaking_changes(&released(), &document(widened, response())), Vec::<String>::new());
    }

    #[test]
    fn a_removed_route_or_success_status_is_breaking_and_public_routes_are_not_checked() {
        let mut current = released();
        current["paths"].as_object_mut().unwrap().remove("/public");
        current["paths"]["/internal/things"]["post"]["responses"].as_object_mut().unwrap().remove("400");
        assert_eq!(breaking_changes(&released(), &current), Vec::<String>::new());

        current["paths"]["/internal/things"]["post"]["responses"].as_object_mut().unwrap().remove("200");
        assert_eq!(breaking_changes(&released(), &current), ["POST /internal/things: response 200 removed"]);

        let moved = json!({"post": current["paths"]["/internal/things"]["post"].take()});
        current["paths"].as_object_mut().unwrap().remove("/internal/things");
        current["paths"]["/internal/items"] = moved;
        assert_eq!(breaking_changes(&released(), &current), ["POST /internal/things: route removed"]);
    }

    #[test]
    fn a_newly_required_parameter_is_breaking() {
        let mut current = released();
        current["paths"]["/internal/things"]["post"]["parameters"] =
            json!([{"in": "query", "name": "tenant", "required": true, "schema": {"type": "string"}}]);
        assert_eq!(
            breaking_changes(&released(), &current),
            ["POST /internal/things: query parameter \"tenant\" newly required"]
        );
    }
}
