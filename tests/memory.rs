//! Zip bombs through the real binary, with the child's peak memory read
//! from `getrusage(RUSAGE_CHILDREN)`. A test binary of its own, so that no
//! other child process can raise the peak.

#![allow(clippy::unwrap_used, clippy::expect_used)]

use flate2::write::DeflateEncoder;
use flate2::Compression;
use nix::sys::resource::{getrusage, UsageWho};
use std::io::Write;
use std::process::Command;

#[path = "support/containers.rs"]
mod containers;

/// A zip of one deflated entry of `mb` MiB of zeros (about `mb` KB: deflate
/// tops out near 1 000:1).
fn ratio_bomb(mb: usize) -> Vec<u8> {
    let mut e = DeflateEncoder::new(Vec::new(), Compression::best());
    let zeros = vec![0u8; 1 << 20];
    for _ in 0..mb {
        e.write_all(&zeros).unwrap();
    }
    let payload = e.finish().unwrap();
    containers::zip_raw_deflated("一寸照.jpg", &payload, 0, (mb as u32) << 20)
}

#[test]
fn zip_bombs_are_refused_with_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let bomb = dir.path().join("bomb.zip");
    std::fs::write(&bomb, ratio_bomb(400)).unwrap();
    let overlap = dir.path().join("overlap.zip");
    std::fs::write(&overlap, containers::overlapping_zip(&vec![0; 4 << 20], 200)).unwrap();

    for path in [&bomb, &overlap] {
        let out = Command::new(env!("CARGO_BIN_EXE_prescreen"))
            .args(["check", "--format", "json"])
            .arg(path)
            .env_remove("PRESCREEN_RULES")
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(1), "{}", String::from_utf8_lossy(&out.stderr));
        let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
        let codes: Vec<&str> = report["files"][0]["reasons"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| r["code"].as_str().unwrap())
            .collect();
        assert_eq!(codes, ["archive.too_large"], "{report}");
    }
    // ru_maxrss is in KiB on Linux.
    let peak_kib = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss();
    eprintln!(
        "bomb {} bytes, peak RSS of the checks {peak_kib} KiB",
        std::fs::metadata(&bomb).unwrap().len()
    );
    assert!(peak_kib < 100 * 1024, "peak RSS {peak_kib} KiB");
}
