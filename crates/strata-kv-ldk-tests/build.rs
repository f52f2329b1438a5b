//! Finds lightning-persister's own test functions (`src/test_utils.rs`, crate-private) in the
//! source cargo fetched for the locked version, so the tests run LDK's code as published,
//! never a copy kept in this repository.

use std::path::PathBuf;
use std::process::Command;

fn main() {
    let manifest_dir = PathBuf::from(std::env::var_os("CARGO_MANIFEST_DIR").expect("set by cargo"));
    let cargo = std::env::var_os("CARGO").expect("set by cargo");
    let output = Command::new(cargo)
        .args(["metadata", "--format-version", "1", "--locked", "--manifest-path"])
        .arg(manifest_dir.join("Cargo.toml"))
        .output()
        .expect("run `cargo metadata`");
    assert!(
        output.status.success(),
        "`cargo metadata` failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let metadata: serde_json::Value =
        serde_json::from_slice(&output.stdout).expect("`cargo metadata` prints JSON");
    let persister = metadata["packages"]
        .as_array()
        .expect("metadata lists packages")
        .iter()
        .find(|package| package["name"] == "lightning-persister")
        .expect("lightning-persister is a dependency");
    let manifest = PathBuf::from(persister["manifest_path"].as_str().expect("a manifest path"));
    let test_utils = manifest.parent().expect("a package directory").join("src/test_utils.rs");
    assert!(test_utils.is_file(), "{} is missing", test_utils.display());
    println!("cargo:rustc-env=LIGHTNING_PERSISTER_TEST_UTILS={}", test_utils.display());
    println!(
        "cargo:rustc-env=LIGHTNING_PERSISTER_VERSION={}",
        persister["version"].as_str().unwrap_or("?")
    );
    println!("cargo:rerun-if-changed={}", test_utils.display());
    println!("cargo:rerun-if-changed=Cargo.toml");
}
