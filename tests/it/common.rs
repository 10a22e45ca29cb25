//! Helpers shared by the integration tests.

use crate::synth::{jpeg_exact, portrait, Portrait};
use prescreen::{check_file, Code, FileReport, Rules, Severity, Verdict};
use std::sync::OnceLock;

/// The built-in rulebook, parsed once.
pub fn rules() -> &'static Rules {
    static RULES: OnceLock<Rules> = OnceLock::new();
    RULES.get_or_init(|| Rules::builtin().expect("built-in rulebook"))
}

/// Checks `bytes` as an upload for `slot`.
pub fn check(bytes: &[u8], slot: &str) -> FileReport {
    let rules = rules();
    let def = rules.slot(slot).expect("known slot");
    check_file(bytes, "test.jpg", Some(def), rules)
}

/// The codes a report carries, in order.
pub fn codes(r: &FileReport) -> Vec<Code> {
    r.reasons.iter().map(|x| x.code).collect()
}

/// The one reason with `code`; fails the test when it is absent.
pub fn reason(r: &FileReport, code: Code) -> &prescreen::Reason {
    r.reasons
        .iter()
        .find(|x| x.code == code)
        .unwrap_or_else(|| panic!("expected {code:?}, got {:?} ({:?})", codes(r), r.measurements))
}

/// Asserts that `r` was rejected with exactly `expected` (all rejects).
pub fn assert_rejected_with(r: &FileReport, expected: &[Code]) {
    assert_eq!(codes(r), expected, "measurements: {:?}", r.measurements);
    assert_eq!(r.verdict, Verdict::Reject);
    for c in expected {
        assert_eq!(reason(r, *c).severity, Severity::Reject);
    }
}

/// Asserts that `r` passed with no reason at all.
pub fn assert_clean_pass(r: &FileReport) {
    assert_eq!(codes(r), [], "measurements: {:?}", r.measurements);
    assert_eq!(r.verdict, Verdict::Pass);
}

/// A portrait encoded to exactly 60 000 bytes, inside the 40-80 KB window.
pub fn photo_jpeg(p: &Portrait) -> Vec<u8> {
    jpeg_exact(&portrait(p), 60_000)
}

/// A detail field as f64.
pub fn num(r: &prescreen::Reason, key: &str) -> f64 {
    r.detail[key]
        .as_f64()
        .unwrap_or_else(|| panic!("detail {key} missing in {:?}", r.detail))
}
