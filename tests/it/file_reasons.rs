//! Checks every file gets: type by content, size limits and the 40-80 KB
//! window at its exact edges, JPEG structure, header dimensions, and the
//! document resolution.

use crate::common::*;
use crate::synth::*;
use prescreen::{Code, Severity, Verdict};

fn good_photo_image() -> image::RgbImage {
    portrait(&Portrait::default())
}

#[test]
fn empty_file() {
    let r = check(b"", "photo");
    assert_rejected_with(&r, &[Code::FileEmpty]);
}

#[test]
fn file_over_the_kind_cap_is_too_large_and_not_parsed() {
    let mut big = vec![0u8; 10_000_001];
    big[..3].copy_from_slice(&[0xFF, 0xD8, 0xFF]);
    let r = check(&big, "application_form");
    assert_rejected_with(&r, &[Code::FileTooLarge]);
    assert_eq!(reason(&r, Code::FileTooLarge).detail["max"], 10_000_000);
    assert!(
        r.measurements.get("format").is_none(),
        "nothing past the size is parsed"
    );
}

#[test]
fn truncated_read_is_too_large() {
    // The CLI reads at most the limit; a file whose size is over it is refused
    // from its size alone.
    let rules = rules();
    let bytes = vec![0xFFu8; 1000];
    let r = prescreen::pipeline::check_file_sized(&bytes, 25_000_000, "huge.jpg", rules.slot("photo"), rules);
    assert_rejected_with(&r, &[Code::FileTooLarge]);
    assert_eq!(reason(&r, Code::FileTooLarge).detail["bytes"], 25_000_000);
}

#[test]
fn png_renamed_jpg_is_not_jpeg() {
    let mut png = Vec::new();
    image::DynamicImage::ImageRgb8(good_photo_image())
        .write_to(&mut std::io::Cursor::new(&mut png), image::ImageFormat::Png)
        .expect("encode png");
    let r = check(&png, "photo");
    assert!(r.has(Code::FileNotJpeg), "{:?}", codes(&r));
    let why = reason(&r, Code::FileNotJpeg);
    assert_eq!(why.detail["format"], "png");
    assert_eq!(r.verdict, Verdict::Reject);
}

#[test]
fn pdf_in_the_photo_slot_is_unsupported() {
    let r = check(b"%PDF-1.7\n1 0 obj\n<<>>\nendobj\ntrailer\n<<>>\n%%EOF\n", "photo");
    assert!(r.has(Code::FileUnsupportedType), "{:?}", codes(&r));
    assert_eq!(reason(&r, Code::FileUnsupportedType).detail["format"], "pdf");
}

#[test]
fn text_file_as_a_form_is_unsupported() {
    let r = check("我的申报表，手写的".as_bytes(), "application_form");
    assert_rejected_with(&r, &[Code::FileUnsupportedType]);
}

#[test]
fn truncated_jpeg_is_corrupt() {
    let j = jpeg(&good_photo_image(), 95);
    for cut in [j.len() / 3, j.len() * 2 / 3, j.len() - 2] {
        let r = check(&j[..cut], "photo");
        assert!(r.has(Code::FileCorrupt), "cut at {cut}: {:?}", codes(&r));
        assert_eq!(reason(&r, Code::FileCorrupt).detail["problem"], "truncated");
        assert_eq!(r.verdict, Verdict::Reject);
    }
}

#[test]
fn garbage_after_the_jpeg_signature_is_corrupt() {
    let mut bytes = vec![0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10];
    bytes.extend((0..50_000u32).map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8));
    let r = check(&bytes, "photo");
    assert!(r.has(Code::FileCorrupt), "{:?}", codes(&r));
}

#[test]
fn hostile_length_fields_do_not_panic() {
    let j = jpeg(&good_photo_image(), 90);
    // Flip bytes across the header one at a time: every result is a report.
    for i in 2..600.min(j.len()) {
        let mut bad = j.clone();
        bad[i] ^= 0xFF;
        let r = check(&bad, "photo");
        assert!(!r.reasons.is_empty() || r.verdict == Verdict::Pass);
    }
}

/// Rewrites the SOF0 frame size of a baseline JPEG.
fn with_frame_size(mut j: Vec<u8>, width: u16, height: u16) -> Vec<u8> {
    let sof = j.windows(2).position(|w| w == [0xFF, 0xC0]).expect("baseline SOF0");
    j[sof + 5..sof + 7].copy_from_slice(&height.to_be_bytes());
    j[sof + 7..sof + 9].copy_from_slice(&width.to_be_bytes());
    j
}

#[test]
fn header_claiming_60000_square_is_refused_before_decoding() {
    let j = with_frame_size(jpeg_exact(&good_photo_image(), 50_000), 60_000, 60_000);
    let r = check(&j, "photo");
    assert_rejected_with(&r, &[Code::FileDimensionsTooLarge]);
    let why = reason(&r, Code::FileDimensionsTooLarge);
    assert_eq!(why.detail["pixels"], 3_600_000_000u64);
    assert_eq!(why.detail["max_pixels"], 100_000_000);
    assert!(r.measurements.get("aspect_ratio").is_none(), "no pixel was decoded");
}

#[test]
fn trailing_zero_padding_is_a_warning_with_the_count() {
    let mut j = jpeg(&good_photo_image(), 95);
    let pad = 55_000 - j.len();
    j.extend(std::iter::repeat_n(0u8, pad));
    let r = check(&j, "photo");
    assert_eq!(codes(&r), [Code::FileTrailingData]);
    let why = reason(&r, Code::FileTrailingData);
    assert_eq!(why.severity, Severity::Warn);
    assert_eq!(why.detail["trailing_bytes"], pad);
    assert_eq!(why.detail["zero_padding"], true);
    assert_eq!(r.verdict, Verdict::Pass);
}

#[test]
fn size_window_edges() {
    let img = good_photo_image();
    for (size, inside) in [(40_959, false), (40_960, true), (80_000, true), (80_001, false)] {
        let r = check(&jpeg_exact(&img, size), "photo");
        assert_eq!(r.measurements["bytes"], size, "padding hit the size");
        if inside {
            assert_clean_pass(&r);
        } else {
            assert_rejected_with(&r, &[Code::SizeOutOfRange]);
            let why = reason(&r, Code::SizeOutOfRange);
            assert_eq!(
                (why.detail["min"].as_u64(), why.detail["max"].as_u64()),
                (Some(40_960), Some(80_000))
            );
            assert_eq!(why.detail["bytes"], size);
        }
    }
}

#[test]
fn a_photo_outside_the_size_window_is_not_decoded() {
    // Blue background and 3:4: pixel reasons it would get if decoded.
    let img = portrait(&Portrait {
        width: 600,
        height: 800,
        background: ID_BLUE,
        ..Default::default()
    });
    let r = check(&jpeg(&img, 97), "photo");
    assert!(
        r.measurements["bytes"].as_u64().unwrap() > 80_000,
        "{:?}",
        r.measurements
    );
    assert_rejected_with(&r, &[Code::SizeOutOfRange]);
    assert_eq!(r.measurements["pixel_checks"], "skipped");
    // The header's dimensions are still reported: the walk is cheap.
    assert_eq!(
        (r.measurements["width"].as_u64(), r.measurements["height"].as_u64()),
        (Some(600), Some(800))
    );
    // The same image inside the window gets its pixel reasons.
    let r = check(&jpeg_exact(&img, 80_000), "photo");
    assert!(codes(&r).contains(&Code::PhotoBackgroundNotWhite), "{:?}", codes(&r));
    assert!(!r.measurements.contains_key("pixel_checks"));
}

#[test]
fn small_id_card_photo_is_out_of_range() {
    let j = jpeg(&id_card_photo(640, 420, 3), 40);
    assert!(j.len() < 40_960, "{}", j.len());
    assert_rejected_with(&check(&j, "id_card_front"), &[Code::SizeOutOfRange]);
}

#[test]
fn id_card_photo_in_the_window_passes_the_file_checks() {
    let j = jpeg_exact(&id_card_photo(640, 420, 3), 70_000);
    let r = check(&j, "id_card_front");
    assert_clean_pass(&r);
}

#[test]
fn form_photo_under_1000_px_is_too_low_a_resolution() {
    let j = jpeg(&paper_photo(600, 800, 5), 85);
    let r = check(&j, "application_form");
    assert_rejected_with(&r, &[Code::DocumentResolutionTooLow]);
    assert_eq!(reason(&r, Code::DocumentResolutionTooLow).detail["min_long_side"], 1000);
}

#[test]
fn form_photo_of_the_right_size_passes_the_resolution_check() {
    let j = jpeg(&paper_photo(1200, 1600, 5), 85);
    let r = check(&j, "application_form");
    assert!(!r.has(Code::DocumentResolutionTooLow), "{:?}", codes(&r));
}

/// Degenerate images (a pixel, slivers, tiny squares) through every kind's
/// checks: a rejection with reasons, never a panic.
#[test]
fn degenerate_sizes_never_panic_in_any_kind() {
    for (w, h) in [(1, 1), (1, 600), (600, 1), (7, 3), (40, 40), (3, 2000)] {
        let img = image::RgbImage::from_fn(w, h, |x, y| image::Rgb([(x * 7 % 256) as u8, (y * 3 % 256) as u8, 128]));
        let bytes = crate::synth::jpeg(&img, 90);
        for slot in [
            "photo",
            "id_card_front",
            "id_card_back",
            "application_form",
            "training_certificate",
        ] {
            let r = check(&bytes, slot);
            // Far too small for any material: rejected, with a reason.
            assert_eq!(r.verdict, prescreen::Verdict::Reject, "{slot} {w}x{h}");
            assert!(!r.reasons.is_empty());
        }
    }
}

/// A progressive JPEG header for `w` × `h` with `scans` tiny DC scans: a
/// small file whose decode would run over the whole image once per scan.
fn many_scans(w: u16, h: u16, scans: usize) -> Vec<u8> {
    let mut j = vec![0xFF, 0xD8];
    j.extend_from_slice(&[0xFF, 0xDB, 0x00, 0x43, 0x00]);
    j.extend(std::iter::repeat_n(1u8, 64));
    j.extend_from_slice(&[0xFF, 0xC2, 0x00, 0x11, 0x08]);
    j.extend_from_slice(&h.to_be_bytes());
    j.extend_from_slice(&w.to_be_bytes());
    j.extend_from_slice(&[0x03, 0x01, 0x11, 0x00, 0x02, 0x11, 0x00, 0x03, 0x11, 0x00]);
    for _ in 0..scans {
        j.extend_from_slice(&[
            0xFF, 0xDA, 0x00, 0x0C, 0x03, 0x01, 0x00, 0x02, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00,
        ]);
        j.push(0x00);
    }
    j.extend_from_slice(&[0xFF, 0xD9]);
    j
}

#[test]
fn a_jpeg_of_20000_scans_is_too_complex_in_every_slot_and_not_decoded() {
    // 4000 × 4000 in 20 000 scans: 23 s of decoding before the cap.
    let bytes = many_scans(4000, 4000, 20_000);
    for slot in ["photo", "id_card_front", "application_form", "diploma"] {
        let r = check(&bytes, slot);
        assert!(r.has(Code::FileTooComplex), "{slot}: {:?}", codes(&r));
        let why = reason(&r, Code::FileTooComplex);
        assert_eq!(why.detail["scans"], 20_000);
        assert_eq!(why.detail["problem"], "too_many_scans");
        assert!(!r.has(Code::FileCorrupt), "{slot}: not decoded, so not corrupt");
    }
}

#[test]
fn a_few_scans_over_many_pixels_are_too_complex_too() {
    // 13 scans of 10 000 × 10 000: under the scan cap, over the work cap.
    let r = check(&many_scans(10_000, 10_000, 13), "application_form");
    assert!(r.has(Code::FileTooComplex), "{:?}", codes(&r));
    // 12 scans of a 4000 × 3000 photo are an ordinary progressive JPEG.
    let r = check(&many_scans(4000, 3000, 12), "application_form");
    assert!(!r.has(Code::FileTooComplex), "{:?}", codes(&r));
}

#[test]
fn a_large_progressive_jpeg_is_too_complex_before_decoding() {
    // Its decoder would hold every coefficient of 100 MP (887 MB measured).
    let r = check(&many_scans(10_000, 10_000, 1), "photo");
    assert!(r.has(Code::FileTooComplex), "{:?}", codes(&r));
    assert_eq!(reason(&r, Code::FileTooComplex).detail["progressive"], true);
    // 12 MP progressive is an ordinary re-saved phone photo: not refused.
    let r = check(&many_scans(4000, 3000, 1), "application_form");
    assert!(!r.has(Code::FileTooComplex), "{:?}", codes(&r));
}

#[test]
fn a_spent_time_budget_stops_the_checks_with_too_complex() {
    let text = prescreen::rules::DEFAULT_RULEBOOK.replacen("time_budget_ms = 5_000", "time_budget_ms = 0", 1);
    let spent = prescreen::Rules::from_toml(&text).unwrap();
    let photo = crate::samples::sample("一寸照.jpg");
    let upload = prescreen::Upload::new("一寸照.jpg", Some("photo".into()), photo);
    let report = prescreen::check_application(&[upload], None, &spent, prescreen::Lang::Zh);
    let r = &report.files[0];
    assert!(r.has(Code::FileTooComplex), "{:?}", codes(r));
    let detail = &reason(r, Code::FileTooComplex).detail;
    assert_eq!(detail["problem"], "time_budget");
    assert_eq!(detail["step"], "decode");
    assert!(reason(r, Code::FileTooComplex).message.contains("检查超出时限"));
    // The budget is per file: with the built-in 5 s the same photo passes.
    let upload = prescreen::Upload::new("一寸照.jpg", Some("photo".into()), crate::samples::sample("一寸照.jpg"));
    let report = prescreen::check_application(&[upload], None, rules(), prescreen::Lang::Zh);
    assert_eq!(report.verdict, Verdict::Pass, "{:?}", codes(&report.files[0]));
}
