//! The bundled sample applications (`fixtures/`): the file names of the
//! complete one, in the order of clause 1's checklist, and their bytes.
//! Shared by the integration tests and the benches through `#[path]`.

#![allow(dead_code)]

use std::path::Path;

/// `fixtures/sample-application`, a complete application for clause 1.
pub const SAMPLE_FILES: [&str; 6] = [
    "身份证正面.jpg",
    "身份证反面.jpg",
    "一寸照.jpg",
    "职业技能认定申报表.jpg",
    "个人工作经历承诺书.jpg",
    "个人诚信承诺书.jpg",
];

/// The bytes of `fixtures/<dir>/<name>`.
pub fn fixture(dir: &str, name: &str) -> Vec<u8> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures")
        .join(dir)
        .join(name);
    std::fs::read(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// The bytes of a file of the complete sample application.
pub fn sample(name: &str) -> Vec<u8> {
    fixture("sample-application", name)
}
