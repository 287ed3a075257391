//! `.github/CODEOWNERS` keeps up with the workspace: every crate and every top-level folder has its own
//! owner line (not only the catch-all), every owner is a GitHub handle, and no line names a path that is
//! gone. Teams own services; a crate added without an owner would be reviewed by nobody in particular.

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use e2e_tests::binaries::workspace_root;
use serde_json::Value;

const CODEOWNERS: &str = ".github/CODEOWNERS";

/// The `(pattern, owners)` lines of the file. The file uses two forms only, which the test insists on
/// so that its matching below is GitHub's: the catch-all `*` and root-anchored paths (`/dir/`, `/file`).
fn rules(root: &Path) -> Vec<(String, Vec<String>)> {
    let text = std::fs::read_to_string(root.join(CODEOWNERS)).unwrap_or_else(|err| panic!("read {CODEOWNERS}: {err}"));
    let mut rules = Vec::new();
    for line in text.lines().map(str::trim).filter(|line| !line.is_empty() && !line.starts_with('#')) {
        let mut fields = line.split_whitespace();
        let pattern = fields.next().unwrap().to_owned();
        let owners: Vec<String> = fields.map(str::to_owned).collect();
        assert!(
            pattern == "*" || (pattern.starts_with('/') && !pattern.contains(['*', '?', '['])),
            "{CODEOWNERS}: {pattern:?} is neither `*` nor a root-anchored path"
        );
        assert!(!owners.is_empty(), "{CODEOWNERS}: {pattern} names no owner");
        for owner in &owners {
            let handle =
                owner.strip_prefix('@').unwrap_or_else(|| panic!("{CODEOWNERS}: owner {owner:?} is not a @handle"));
            let valid =
                |part: &str| !part.is_empty() && part.chars().all(|c| c.is_ascii_alphanumeric() || "-_.".contains(c));
            assert!(
                handle.split('/').count() <= 2 && handle.split('/').all(valid),
                "{CODEOWNERS}: bad owner {owner:?}"
            );
        }
        rules.push((pattern, owners));
    }
    rules
}

/// The pattern of the last line matching `relative` (a path from the root, folders ending in `/`).
fn owning_pattern<'a>(rules: &'a [(String, Vec<String>)], relative: &str) -> &'a str {
    rules
        .iter()
        .rev()
        .find(|(pattern, _)| {
            pattern == "*" || {
                let anchored = &pattern[1..];
                relative == anchored || (anchored.ends_with('/') && relative.starts_with(anchored))
            }
        })
        .map(|(pattern, _)| pattern.as_str())
        .unwrap_or_else(|| panic!("{CODEOWNERS}: nothing owns {relative}"))
}

/// The directory of every workspace member, relative to the root (`crates/authn-service/`).
fn member_dirs(root: &Path) -> Vec<String> {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(root)
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    metadata["packages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|package| {
            let manifest = PathBuf::from(package["manifest_path"].as_str().unwrap());
            let dir = manifest.parent().unwrap().strip_prefix(root).unwrap().to_owned();
            format!("{}/", dir.display())
        })
        .collect()
}

#[test]
fn every_crate_and_top_level_folder_has_its_own_code_owner() {
    let root = workspace_root();
    let rules = rules(&root);
    assert!(rules.iter().any(|(pattern, _)| pattern == "*"), "{CODEOWNERS} needs a catch-all `*` line");

    let mut crates: BTreeSet<String> = member_dirs(&root).into_iter().collect();
    // Crates under crates/ that are not (yet) workspace members count too.
    for entry in std::fs::read_dir(root.join("crates")).unwrap() {
        let entry = entry.unwrap();
        if entry.path().join("Cargo.toml").is_file() {
            crates.insert(format!("crates/{}/", entry.file_name().to_string_lossy()));
        }
    }
    assert!(crates.contains("crates/authn-service/") && crates.contains("tests/"), "{crates:?}");
    let without_own_line: Vec<&String> =
        crates.iter().filter(|dir| owning_pattern(&rules, dir) != format!("/{dir}")).collect();
    assert!(without_own_line.is_empty(), "{CODEOWNERS} has no line of their own for the crates {without_own_line:?}");

    let mut folders = BTreeSet::new();
    // Top-level folders of tracked files (what builds and tools leave behind is gitignored).
    let output = Command::new("git").args(["ls-files", "-z"]).current_dir(&root).output().unwrap();
    assert!(output.status.success(), "git ls-files: {}", String::from_utf8_lossy(&output.stderr));
    for path in String::from_utf8_lossy(&output.stdout).split('\0') {
        if let Some((folder, _)) = path.split_once('/') {
            folders.insert(format!("{folder}/"));
        }
    }
    let unowned: Vec<&String> = folders.iter().filter(|dir| owning_pattern(&rules, dir) == "*").collect();
    assert!(unowned.is_empty(), "{CODEOWNERS} has no line of their own for {unowned:?} (only the catch-all)");

    for (pattern, _) in rules.iter().filter(|(pattern, _)| pattern != "*") {
        assert!(root.join(&pattern[1..]).exists(), "{CODEOWNERS} names {pattern}, which does not exist");
    }
}
