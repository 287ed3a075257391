//! Where the service binaries built by `cargo build --workspace --bins` are.

use std::path::{Path, PathBuf};

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
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/debug")
}

/// The path of one binary of the workspace, or a panic that says how to build it.
pub fn binary(name: &str) -> PathBuf {
    let path = profile_dir().join(name);
    assert!(
        path.is_file(),
        "service binary {name} not found at {}: run `cargo build --workspace --bins` first",
        path.display()
    );
    path
}
