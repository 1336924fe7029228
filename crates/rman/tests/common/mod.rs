//! Shared by the test files: the vendored real output of the original tool.

use std::path::PathBuf;

/// A log of `tests/fixtures/original-logs` (real RMAN 12.1 / SQL*Plus output).
pub fn fixture(name: &str) -> String {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/original-logs")
        .join(name);
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}
