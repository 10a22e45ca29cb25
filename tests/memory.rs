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

/// A flat grey JPEG of `w` × `h` in three components, written by hand so a
/// 100 MP file costs nothing to make: one-code Huffman tables (DC category
/// 0, AC end-of-block) make every 8 × 8 block two zero bits. `progressive`
/// writes a progressive frame with a single DC scan instead (the 338-byte
/// kind that makes a decoder allocate every coefficient of the image).
fn flat_jpeg(w: u16, h: u16, progressive: bool) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8, 0xFF, 0xDB, 0x00, 0x43, 0x00];
    j.extend(std::iter::repeat_n(1u8, 64));
    j.extend_from_slice(&[0xFF, if progressive { 0xC2 } else { 0xC0 }, 0x00, 0x11, 0x08]);
    j.extend_from_slice(&h.to_be_bytes());
    j.extend_from_slice(&w.to_be_bytes());
    j.extend_from_slice(&[0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]);
    j.extend_from_slice(&[0xFF, 0xC4, 0x00, 0x26]);
    for class in [0x00u8, 0x10] {
        j.push(class);
        j.push(1);
        j.extend(std::iter::repeat_n(0u8, 15));
        j.push(0x00);
    }
    let se = if progressive { 0x00 } else { 0x3F };
    j.extend_from_slice(&[
        0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, se, 0x00,
    ]);
    let blocks = u64::from(w).div_ceil(8) * u64::from(h).div_ceil(8) * 3;
    let bits_per_block = if progressive { 1 } else { 2 };
    let bytes = if progressive {
        16
    } else {
        (blocks * bits_per_block).div_ceil(8) as usize
    };
    j.extend(std::iter::repeat_n(0u8, bytes));
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

/// `prescreen check --format json ARG` in a child process, which must answer
/// (exit 0 or 1), not fail.
fn check_in_child(arg: &str) -> std::process::Output {
    let out = Command::new(env!("CARGO_BIN_EXE_prescreen"))
        .args(["check", "--format", "json", arg])
        .env_remove("PRESCREEN_RULES")
        .output()
        .unwrap();
    assert!(
        matches!(out.status.code(), Some(0 | 1)),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    out
}

#[test]
fn huge_and_hostile_jpegs_decode_in_bounded_memory_in_every_slot() {
    let dir = tempfile::tempdir().unwrap();
    let header = dir.path().join("progressive-10000.jpg");
    std::fs::write(&header, flat_jpeg(10_000, 10_000, true)).unwrap();
    let big = dir.path().join("baseline-100MP.jpg");
    std::fs::write(&big, flat_jpeg(10_000, 10_000, false)).unwrap();
    eprintln!(
        "progressive header {} bytes, 100 MP baseline {} bytes",
        std::fs::metadata(&header).unwrap().len(),
        std::fs::metadata(&big).unwrap().len()
    );
    for path in [&header, &big] {
        for slot in ["photo", "id_card_front", "application_form", ""] {
            let arg = if slot.is_empty() {
                path.display().to_string()
            } else {
                format!("{slot}={}", path.display())
            };
            check_in_child(&arg);
            let peak_kib = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss();
            eprintln!("{} in {slot:?}: peak RSS so far {peak_kib} KiB", path.display());
        }
    }
    let peak_kib = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss();
    assert!(peak_kib < 150 * 1024, "peak RSS {peak_kib} KiB");
}

/// A one-page PDF whose page is a `w` × `h` RGB image of Flate-compressed
/// zeros: a few hundred KB that inflate to w × h × 3 bytes.
fn flate_page_pdf(w: u32, h: u32) -> Vec<u8> {
    use lopdf::{dictionary, Document, Object, Stream};
    // FlateDecode is zlib-wrapped deflate.
    let mut e = flate2::write::ZlibEncoder::new(Vec::new(), Compression::best());
    let row = vec![0u8; w as usize * 3];
    for _ in 0..h {
        e.write_all(&row).unwrap();
    }
    let payload = e.finish().unwrap();
    let mut doc = Document::with_version("1.5");
    let pages_id = doc.new_object_id();
    let img = doc.add_object(Stream::new(
        dictionary! {
            "Type" => "XObject", "Subtype" => "Image",
            "Width" => i64::from(w), "Height" => i64::from(h),
            "ColorSpace" => "DeviceRGB", "BitsPerComponent" => 8,
            "Filter" => "FlateDecode",
        },
        payload,
    ));
    let content = doc.add_object(Stream::new(
        dictionary! {},
        format!("q {w} 0 0 {h} 0 0 cm /Im1 Do Q").into_bytes(),
    ));
    let page = doc.add_object(dictionary! {
        "Type" => "Page", "Parent" => pages_id,
        "MediaBox" => vec![0.into(), 0.into(), Object::from(i64::from(w)), Object::from(i64::from(h))],
        "Contents" => content,
        "Resources" => dictionary! { "XObject" => dictionary! { "Im1" => img } },
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(dictionary! { "Type" => "Pages", "Kids" => vec![page.into()], "Count" => 1 }),
    );
    let catalog = doc.add_object(dictionary! { "Type" => "Catalog", "Pages" => pages_id });
    doc.trailer.set("Root", catalog);
    let mut out = Vec::new();
    doc.save_to(&mut out).unwrap();
    out
}

#[test]
fn a_pdf_page_of_100_megapixels_is_checked_in_bounded_memory() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("scan.pdf");
    std::fs::write(&path, flate_page_pdf(10_000, 10_000)).unwrap();
    eprintln!("PDF {} bytes", std::fs::metadata(&path).unwrap().len());
    let out = check_in_child(&format!("application_form={}", path.display()));
    let report: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    let page = &report["files"][1];
    // The page's true size is what the resolution check sees.
    assert_eq!(page["measurements"]["width"], 10_000, "{page}");
    let peak_kib = getrusage(UsageWho::RUSAGE_CHILDREN).unwrap().max_rss();
    eprintln!("100 MP Flate page: peak RSS so far {peak_kib} KiB");
    assert!(peak_kib < 150 * 1024, "peak RSS {peak_kib} KiB");
}
