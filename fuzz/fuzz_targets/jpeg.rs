#![no_main]

#[path = "../targets.rs"]
mod targets;

libfuzzer_sys::fuzz_target!(
    // lopdf's panics are caught inside the PDF reader (it answers
    // "malformed"); a quiet hook keeps libFuzzer from aborting on those.
    // A panic that escapes the target still aborts and is a finding.
    init: std::panic::set_hook(Box::new(|_| {})),
    |data: &[u8]| {
        let _ = targets::jpeg(data);
    }
);
