//! The workspace's shape, which the services' independence rests on: no service crate depends on
//! another, not even for its tests. Services talk over HTTP; a link would let one drift into calling
//! the other's code, and tie their releases together.

use serde_json::Value;
use std::process::Command;

const SERVICES: [&str; 3] = ["authn-service", "token-service", "session-service"];

#[test]
fn no_service_crate_depends_on_another_even_as_a_dev_dependency() {
    let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".to_owned());
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--no-deps", "--offline"])
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .output()
        .unwrap();
    assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
    let metadata: Value = serde_json::from_slice(&output.stdout).unwrap();
    let packages = metadata["packages"].as_array().unwrap();
    let mut checked = 0;
    for package in packages.iter().filter(|package| SERVICES.contains(&package["name"].as_str().unwrap_or_default())) {
        let name = package["name"].as_str().unwrap();
        for dependency in package["dependencies"].as_array().unwrap() {
            let dependency = dependency["name"].as_str().unwrap();
            assert!(
                !SERVICES.contains(&dependency) || dependency == name,
                "{name} depends on {dependency}: services talk over HTTP, never through each other's code"
            );
        }
        checked += 1;
    }
    assert_eq!(checked, SERVICES.len(), "every service crate was found in the workspace");
}
