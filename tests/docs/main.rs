//! The API reference in `docs/` is generated, and this test keeps it so.
//!
//! The services' OpenAPI documents are the source of truth: each is built here in-process, by the
//! very handler that serves `GET /openapi.json`, and committed as `docs/openapi/<service>.json`;
//! `docs/api.md` is rendered from the three (`markdown.rs`). With `UPDATE_DOCS=1` the test writes
//! the files; without, it fails when a committed file differs from what the code generates, so the
//! reference cannot drift from the services. After a change to a route or a wire type:
//!
//! ```sh
//! UPDATE_DOCS=1 cargo test -p e2e-tests --test docs    # or: make docs
//! ```
//!
//! The internal API (`/internal/` routes) is also held to the last released contract: the documents
//! in `docs/openapi/snapshots/` are the services as last released, and
//! `the_internal_api_keeps_compatible_with_the_released_snapshots` fails on a change that would break a
//! peer one release behind (`compat.rs` says which changes those are). When such a change is meant
//! (the peers are released with it), record the new contract on purpose:
//!
//! ```sh
//! UPDATE_SNAPSHOTS=1 cargo test -p e2e-tests --test docs internal_api    # or: make snapshot-openapi
//! ```
//!
//! What an OpenAPI document cannot say (settings, token formats, error conventions) is in
//! `docs/contract.md`, written by hand.

mod compat;
mod markdown;

use std::path::{Path, PathBuf};

use serde_json::{Map, Value};

/// The command that regenerates the files, for the failure message.
const REGENERATE: &str = "UPDATE_DOCS=1 cargo test -p e2e-tests --test docs";

/// The command that records the current documents as the released contract, for the failure message.
const RESNAPSHOT: &str = "UPDATE_SNAPSHOTS=1 cargo test -p e2e-tests --test docs internal_api";

/// A service's name and its OpenAPI document.
#[derive(Debug)]
pub struct ServiceDocument {
    pub name: &'static str,
    pub document: Value,
}

/// A service's document exactly as its `GET /openapi.json` serves it.
fn served(name: &'static str, rendered: &str) -> ServiceDocument {
    let document: Value = serde_json::from_str(rendered).expect("the OpenAPI document is JSON");
    ServiceDocument { name, document: sorted(document) }
}

/// The same value with every object's keys in order, so that the committed JSON does not depend
/// on the order the generator happened to insert them in (nor on serde_json's `preserve_order`).
fn sorted(value: Value) -> Value {
    match value {
        Value::Object(object) => {
            let mut entries: Vec<(String, Value)> = object.into_iter().collect();
            entries.sort_by(|a, b| a.0.cmp(&b.0));
            Value::Object(entries.into_iter().map(|(key, value)| (key, sorted(value))).collect::<Map<_, _>>())
        }
        Value::Array(items) => Value::Array(items.into_iter().map(sorted).collect()),
        other => other,
    }
}

/// The workspace root: the tests crate's parent.
fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().unwrap_or(manifest_dir).to_path_buf()
}

/// The first line where `committed` and `generated` differ, for the failure message.
fn first_difference(committed: &str, generated: &str) -> String {
    let mut committed_lines = committed.lines();
    for (number, generated_line) in generated.lines().enumerate() {
        match committed_lines.next() {
            Some(line) if line == generated_line => {}
            Some(line) => return format!("line {}: committed {line:?}, generated {generated_line:?}", number + 1),
            None => return format!("line {}: committed file ends, generated {generated_line:?}", number + 1),
        }
    }
    match committed_lines.next() {
        Some(line) => format!("generated file ends, committed goes on with {line:?}"),
        None => "only in line endings".to_owned(),
    }
}

/// Each service's document as its code generates it now.
fn current_documents() -> [ServiceDocument; 3] {
    [
        served("authn", authn_service::openapi::rendered()),
        served("token", token_service::openapi::rendered()),
        served("session", session_service::openapi::rendered()),
    ]
}

/// Whether an `UPDATE_*` variable asks the test to write its files instead of checking them.
fn updating(variable: &str) -> bool {
    std::env::var_os(variable).is_some_and(|value| !value.is_empty() && value != "0")
}

#[test]
fn the_internal_api_keeps_compatible_with_the_released_snapshots() {
    let root = workspace_root();
    let mut failures = Vec::new();
    for service in current_documents() {
        let path = root.join(format!("docs/openapi/snapshots/{}.json", service.name));
        if updating("UPDATE_SNAPSHOTS") {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            let text = serde_json::to_string_pretty(&service.document).unwrap() + "\n";
            std::fs::write(&path, text).unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
            continue;
        }
        let released: Value = match std::fs::read_to_string(&path) {
            Ok(text) => serde_json::from_str(&text).unwrap_or_else(|err| panic!("{}: {err}", path.display())),
            Err(err) => {
                failures.push(format!("{}: {err}", path.display()));
                continue;
            }
        };
        for change in compat::breaking_changes(&released, &service.document) {
            failures.push(format!("{}: {change}", service.name));
        }
    }
    assert!(
        failures.is_empty(),
        "the internal API breaks its released contract (docs/openapi/snapshots/), so a peer one release \
         behind would fail against it:\n  {}\nmake the change additive (a new optional field, a new route), \
         or, if the break is meant and the peers are released with it, record the new contract with \
         `{RESNAPSHOT}` (or `make snapshot-openapi`) and commit docs/openapi/snapshots/",
        failures.join("\n  ")
    );
}

#[test]
fn the_committed_api_reference_matches_the_services() {
    let services = current_documents();
    // Paths relative to the workspace root.
    let mut files: Vec<(String, String)> = services
        .iter()
        .map(|service| {
            let text = serde_json::to_string_pretty(&service.document).unwrap() + "\n";
            (format!("docs/openapi/{}.json", service.name), text)
        })
        .collect();
    files.push(("docs/api.md".to_owned(), markdown::render(&services)));

    let root = workspace_root();
    if updating("UPDATE_DOCS") {
        for (file, text) in &files {
            let path = root.join(file);
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, text).unwrap_or_else(|err| panic!("write {}: {err}", path.display()));
        }
        return;
    }
    let stale: Vec<String> = files
        .iter()
        .filter_map(|(file, generated)| match std::fs::read_to_string(root.join(file)) {
            Ok(committed) if &committed == generated => None,
            Ok(committed) => Some(format!("{file} ({})", first_difference(&committed, generated))),
            Err(err) => Some(format!("{file} ({err})")),
        })
        .collect();
    assert!(
        stale.is_empty(),
        "the API reference in docs/ is out of date with the services:\n  {}\nregenerate it with `{REGENERATE}` \
         (or `make docs`) and commit the result",
        stale.join("\n  ")
    );
}
