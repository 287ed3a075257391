//! Where the service binaries built by `cargo build --workspace --bins` are, and a refusal to run one
//! that is older than the sources it is built from.
//!
//! `cargo test -p e2e-tests` builds the tests, not the service binaries, so after an edit it would
//! silently test the previous build. The harness therefore checks each binary before it runs it and
//! panics with the command that rebuilds it; it does not rebuild by itself. Rebuilding from inside a
//! test would mean a nested cargo (another build of the workspace from within `cargo test`, choosing
//! the profile, target dir and features the outer run used, on a machine whose cores the tests need),
//! for a check that `make test` never trips since it builds the binaries first.
//!
//! "The sources it is built from" are the files cargo lists in the binary's dep-info file
//! (`target/debug/authn-service.d`): every `.rs` of every workspace crate the binary depends on, and
//! the files they `include_str!` (the session service's `.lua` scripts). That list, not "every file
//! under `crates/`", because cargo does not relink a binary whose inputs did not change: after an
//! edit of a test file or of a crate the binary does not use, a rule over all of `crates/` would
//! refuse the binary forever, however often it was rebuilt. For the same reason manifests and
//! `Cargo.lock` are not compared: a dependency change that matters changes the build's fingerprint
//! and cargo rebuilds, while a comment in a `Cargo.toml` does not relink anything. A dep-info file
//! that names no file of this workspace means the binary was built from another checkout sharing
//! the target dir, and is refused too.

use std::path::{Path, PathBuf};
use std::time::SystemTime;

/// The command that brings every service binary up to date (what `make test` runs first).
const REBUILD: &str = "cargo build --workspace --bins";

/// The profile directory of the cargo target dir (`target/debug`): the test binary runs from its
/// `deps/` folder, so that is two levels up; `CARGO_TARGET_DIR` is the fallback.
pub fn profile_dir() -> PathBuf {
    if let Ok(exe) = std::env::current_exe()
        && let Some(deps) = exe.parent()
        && deps.file_name().is_some_and(|name| name == "deps")
        && let Some(profile) = deps.parent()
    {
        return profile.to_path_buf();
    }
    if let Ok(dir) = std::env::var("CARGO_TARGET_DIR") {
        return Path::new(&dir).join("debug");
    }
    workspace_root().join("target/debug")
}

/// The root of this workspace (the tests crate is one level below it).
pub fn workspace_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir.parent().map_or_else(|| manifest_dir.to_path_buf(), Path::to_path_buf)
}

/// The path of one binary of the workspace, or a panic that says how to build it: it must exist and
/// be newer than every source it was built from.
pub fn binary(name: &str) -> PathBuf {
    let path = profile_dir().join(name);
    assert!(path.is_file(), "service binary {name} not found at {}: run `{REBUILD}` first", path.display());
    let dep_info = path.with_file_name(format!("{name}.d"));
    if let Err(reason) = check_fresh(&path, &dep_info, &workspace_root()) {
        panic!("refusing to test a stale {name} ({}): {reason}; run `{REBUILD}` (make test does)", path.display());
    }
    path
}

/// `Ok` when `binary` is newer than every file its cargo dep-info file lists and those files belong
/// to the checkout at `workspace`; otherwise why not.
pub fn check_fresh(binary: &Path, dep_info: &Path, workspace: &Path) -> Result<(), String> {
    let built = modified(binary).map_err(|err| format!("cannot read its modification time: {err}"))?;
    let text = std::fs::read_to_string(dep_info)
        .map_err(|err| format!("cannot read its dep-info file {}: {err}", dep_info.display()))?;
    let sources: Vec<PathBuf> = dep_info_sources(&text)
        .into_iter()
        .map(|source| if source.is_absolute() { source } else { workspace.join(source) })
        .collect();
    if !sources.iter().any(|source| source.starts_with(workspace)) {
        let example = sources.first().map_or_else(|| "nothing".to_owned(), |source| source.display().to_string());
        return Err(format!(
            "it was built from another checkout (its dep-info lists {example}, nothing under {})",
            workspace.display()
        ));
    }
    let mut newer = Vec::new();
    for source in &sources {
        match modified(source) {
            Ok(changed) if changed <= built => {}
            Ok(_) => newer.push(format!("{} changed since", source.display())),
            Err(_) => newer.push(format!("{} is gone", source.display())),
        }
    }
    if newer.is_empty() {
        return Ok(());
    }
    let shown = newer.len().min(5);
    let more = if newer.len() > shown { format!(" and {} more", newer.len() - shown) } else { String::new() };
    Err(format!("{}{more}", newer[..shown].join(", ")))
}

fn modified(path: &Path) -> std::io::Result<SystemTime> {
    std::fs::metadata(path)?.modified()
}

/// The prerequisites of a Makefile-style dep-info file as cargo writes it: `target: source source`,
/// with spaces inside a path escaped as `\ `.
fn dep_info_sources(text: &str) -> Vec<PathBuf> {
    let mut sources = Vec::new();
    for line in text.lines() {
        let Some((_target, prerequisites)) = line.split_once(": ") else { continue };
        let mut current = String::new();
        let mut chars = prerequisites.chars().peekable();
        while let Some(c) = chars.next() {
            match c {
                '\\' if chars.peek() == Some(&' ') => {
                    current.push(' ');
                    chars.next();
                }
                ' ' => {
                    if !current.is_empty() {
                        sources.push(PathBuf::from(std::mem::take(&mut current)));
                    }
                }
                _ => current.push(c),
            }
        }
        if !current.is_empty() {
            sources.push(PathBuf::from(current));
        }
    }
    sources
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::fs::File;
    use std::time::Duration;

    /// A checkout with one crate (a `.rs` and an included `.lua`), a binary built from it and its
    /// dep-info, with the binary a minute newer than the sources.
    struct Checkout {
        dir: tempfile::TempDir,
        binary: PathBuf,
        dep_info: PathBuf,
        main_rs: PathBuf,
        script: PathBuf,
    }

    fn set_modified(path: &Path, time: SystemTime) {
        File::options().write(true).open(path).unwrap().set_modified(time).unwrap();
    }

    fn checkout() -> Checkout {
        let dir = tempfile::tempdir().unwrap();
        let src = dir.path().join("crates/demo service/src");
        std::fs::create_dir_all(&src).unwrap();
        let main_rs = src.join("main.rs");
        let script = src.join("create.lua");
        std::fs::write(&main_rs, "fn main() {}").unwrap();
        std::fs::write(&script, "return 1").unwrap();
        let binary = dir.path().join("target/debug/demo");
        std::fs::create_dir_all(binary.parent().unwrap()).unwrap();
        std::fs::write(&binary, "binary").unwrap();
        let dep_info = binary.with_file_name("demo.d");
        let escape = |path: &Path| path.display().to_string().replace(' ', "\\ ");
        std::fs::write(&dep_info, format!("{}: {} {}\n", binary.display(), escape(&main_rs), escape(&script))).unwrap();
        let now = SystemTime::now();
        set_modified(&main_rs, now - Duration::from_secs(120));
        set_modified(&script, now - Duration::from_secs(120));
        set_modified(&binary, now - Duration::from_secs(60));
        Checkout { dir, binary, dep_info, main_rs, script }
    }

    #[test]
    fn a_binary_newer_than_all_its_sources_is_fresh() {
        let checkout = checkout();
        assert_eq!(check_fresh(&checkout.binary, &checkout.dep_info, checkout.dir.path()), Ok(()));
    }

    #[test]
    fn an_edited_rust_file_makes_the_binary_stale() {
        let checkout = checkout();
        set_modified(&checkout.main_rs, SystemTime::now());
        let reason = check_fresh(&checkout.binary, &checkout.dep_info, checkout.dir.path()).unwrap_err();
        assert!(reason.contains("main.rs changed since"), "{reason}");
        assert!(reason.contains("demo service"), "the escaped space is part of the path: {reason}");
    }

    #[test]
    fn an_edited_included_script_makes_the_binary_stale() {
        let checkout = checkout();
        set_modified(&checkout.script, SystemTime::now());
        let reason = check_fresh(&checkout.binary, &checkout.dep_info, checkout.dir.path()).unwrap_err();
        assert!(reason.contains("create.lua changed since"), "{reason}");
    }

    #[test]
    fn a_deleted_source_makes_the_binary_stale() {
        let checkout = checkout();
        std::fs::remove_file(&checkout.script).unwrap();
        let reason = check_fresh(&checkout.binary, &checkout.dep_info, checkout.dir.path()).unwrap_err();
        assert!(reason.contains("create.lua is gone"), "{reason}");
    }

    #[test]
    fn a_binary_built_from_another_checkout_is_refused() {
        let checkout = checkout();
        let elsewhere = tempfile::tempdir().unwrap();
        let reason = check_fresh(&checkout.binary, &checkout.dep_info, elsewhere.path()).unwrap_err();
        assert!(reason.contains("another checkout"), "{reason}");
    }

    #[test]
    fn a_missing_dep_info_file_is_refused() {
        let checkout = checkout();
        std::fs::remove_file(&checkout.dep_info).unwrap();
        let reason = check_fresh(&checkout.binary, &checkout.dep_info, checkout.dir.path()).unwrap_err();
        assert!(reason.contains("dep-info"), "{reason}");
    }

    #[test]
    fn relative_dep_info_paths_are_read_from_the_workspace_root() {
        // `build.dep-info-basedir` makes cargo write paths relative to the workspace.
        let checkout = checkout();
        std::fs::write(&checkout.dep_info, "target/debug/demo: crates/demo\\ service/src/main.rs\n").unwrap();
        assert_eq!(check_fresh(&checkout.binary, &checkout.dep_info, checkout.dir.path()), Ok(()));
        set_modified(&checkout.main_rs, SystemTime::now());
        assert!(check_fresh(&checkout.binary, &checkout.dep_info, checkout.dir.path()).is_err());
    }

    #[test]
    fn the_service_binaries_of_this_checkout_list_their_sources() {
        // Guards the assumption the check rests on: cargo's dep-info of a real binary names this
        // workspace's files, the included Lua scripts among them.
        let dep_info = profile_dir().join("session-service.d");
        let Ok(text) = std::fs::read_to_string(&dep_info) else { return };
        let sources = dep_info_sources(&text);
        assert!(sources.iter().any(|source| source.ends_with("crates/session-service/src/main.rs")), "{text}");
        assert!(sources.iter().any(|source| source.extension().is_some_and(|ext| ext == "lua")), "{text}");
    }
}
