//! The 1-inch photo: the good photo passes; every photo reason fires on the
//! photo that has exactly that fault and nothing else.

use crate::common::*;
use crate::synth::*;
use prescreen::{Code, Severity, Verdict};

#[test]
fn good_photo_passes() {
    for seed in 1..=4 {
        let r = check(
            &photo_jpeg(&Portrait {
                seed,
                ..Default::default()
            }),
            "photo",
        );
        assert_clean_pass(&r);
        assert_eq!(r.measurements["width"], 295);
        assert_eq!(r.measurements["height"], 413);
        assert_eq!(r.measurements["background_colour"], "white");
        // The astronaut's face: one, of 1-inch size.
        assert_eq!(r.measurements["faces"], 1);
        let box0 = &r.measurements["face_boxes"][0];
        assert!(box0["width"].as_f64().unwrap() > 100.0, "{box0}");
    }
}

#[test]
fn larger_photo_of_the_right_shape_passes() {
    let img = portrait(&Portrait {
        width: 590,
        height: 826,
        ..Default::default()
    });
    assert_clean_pass(&check(&jpeg_exact(&img, 78_000), "photo"));
}

#[test]
fn warm_and_shaded_whites_pass() {
    for bg in [WARM_WHITE, SHADED_WHITE, [240, 245, 255]] {
        let r = check(
            &photo_jpeg(&Portrait {
                background: bg,
                ..Default::default()
            }),
            "photo",
        );
        assert_clean_pass(&r);
    }
}

#[test]
fn blue_background_is_named_blue() {
    let r = check(
        &photo_jpeg(&Portrait {
            background: ID_BLUE,
            ..Default::default()
        }),
        "photo",
    );
    // The astronaut on blue: only the background is wrong, the face is found.
    assert_rejected_with(&r, &[Code::PhotoBackgroundNotWhite]);
    assert_eq!(r.measurements["faces"], 1);
    let why = reason(&r, Code::PhotoBackgroundNotWhite);
    assert_eq!(why.detail["colour"], "blue");
    assert!(num(why, "white_fraction") < 0.05);
    assert_eq!(num(why, "min_white_fraction"), 0.85);
}

#[test]
fn red_grey_and_pale_blue_backgrounds_are_named() {
    for (bg, name) in [(ID_RED, "red"), (LIGHT_GREY, "grey"), (PALE_BLUE, "blue")] {
        let r = check(
            &photo_jpeg(&Portrait {
                background: bg,
                ..Default::default()
            }),
            "photo",
        );
        assert_rejected_with(&r, &[Code::PhotoBackgroundNotWhite]);
        assert_eq!(
            reason(&r, Code::PhotoBackgroundNotWhite).detail["colour"],
            name,
            "{bg:?}"
        );
    }
}

#[test]
fn three_by_four_selfie_has_the_wrong_aspect() {
    let img = portrait(&Portrait {
        width: 360,
        height: 480,
        ..Default::default()
    });
    let r = check(&jpeg_exact(&img, 70_000), "photo");
    assert_rejected_with(&r, &[Code::PhotoAspectRatio]);
    let why = reason(&r, Code::PhotoAspectRatio);
    assert_eq!(num(why, "ratio"), 0.75);
    assert_eq!(num(why, "tolerance"), 0.04);
}

#[test]
fn square_photo_has_the_wrong_aspect() {
    let img = portrait(&Portrait {
        width: 413,
        height: 413,
        ..Default::default()
    });
    assert_rejected_with(&check(&jpeg_exact(&img, 70_000), "photo"), &[Code::PhotoAspectRatio]);
}

#[test]
fn aspect_tolerance_edges() {
    // 295/413 = 0.714; ±4 % is 0.686-0.743. 305 × 413 (0.738) passes,
    // 310 × 413 (0.751) does not.
    let ok = portrait(&Portrait {
        width: 305,
        height: 413,
        ..Default::default()
    });
    assert_clean_pass(&check(&jpeg_exact(&ok, 60_000), "photo"));
    let wide = portrait(&Portrait {
        width: 310,
        height: 413,
        ..Default::default()
    });
    assert_rejected_with(&check(&jpeg_exact(&wide, 60_000), "photo"), &[Code::PhotoAspectRatio]);
}

#[test]
fn small_photo_has_too_low_a_resolution() {
    let img = portrait(&Portrait {
        width: 250,
        height: 350,
        ..Default::default()
    });
    let r = check(&jpeg_exact(&img, 45_000), "photo");
    assert_rejected_with(&r, &[Code::PhotoResolutionTooLow]);
    let why = reason(&r, Code::PhotoResolutionTooLow);
    assert_eq!(why.detail["min_width"], 295);
    assert_eq!(why.detail["width"], 250);
}

#[test]
fn grayscale_photo_is_rejected() {
    let r = check(
        &photo_jpeg(&Portrait {
            grayscale: true,
            ..Default::default()
        }),
        "photo",
    );
    assert_rejected_with(&r, &[Code::PhotoGrayscale]);
    assert!(num(reason(&r, Code::PhotoGrayscale), "colour_fraction") < 0.01);
}

#[test]
fn single_channel_jpeg_is_grayscale() {
    let img = image::DynamicImage::ImageRgb8(portrait(&Portrait::default())).to_luma8();
    let mut j = Vec::new();
    image::codecs::jpeg::JpegEncoder::new_with_quality(&mut j, 98)
        .encode_image(&img)
        .expect("encode");
    let r = check(&pad_to(j, 60_000), "photo");
    assert_rejected_with(&r, &[Code::PhotoGrayscale]);
    assert_eq!(reason(&r, Code::PhotoGrayscale).detail["components"], 1);
}

#[test]
fn blurred_photo_is_rejected_at_both_sizes() {
    // Gaussian sigma 1.5 px at 295 × 413, and the same blur at twice the size:
    // the score is measured at a fixed height, so both are rejected alike.
    let small = check(
        &photo_jpeg(&Portrait {
            blur: 1.5,
            ..Default::default()
        }),
        "photo",
    );
    assert_rejected_with(&small, &[Code::PhotoBlurry]);
    let big = portrait(&Portrait {
        width: 590,
        height: 826,
        blur: 3.0,
        ..Default::default()
    });
    let big = check(&jpeg_exact(&big, 60_000), "photo");
    assert_rejected_with(&big, &[Code::PhotoBlurry]);
    let (a, b) = (
        num(reason(&small, Code::PhotoBlurry), "blur"),
        num(reason(&big, Code::PhotoBlurry), "blur"),
    );
    assert!((a - b).abs() < 0.1, "blur {a} at 295 vs {b} at 590");
}

#[test]
fn slight_softness_is_not_blur() {
    let r = check(
        &photo_jpeg(&Portrait {
            blur: 0.8,
            ..Default::default()
        }),
        "photo",
    );
    assert_clean_pass(&r);
}

#[test]
fn dark_photo_is_badly_exposed() {
    // Gain 0.3 also turns the white background grey, which is reported too.
    let r = check(
        &photo_jpeg(&Portrait {
            gain: 0.3,
            ..Default::default()
        }),
        "photo",
    );
    assert!(r.has(Code::PhotoExposure));
    assert_eq!(reason(&r, Code::PhotoExposure).detail["problem"], "too_dark");
    assert_eq!(r.verdict, Verdict::Reject);
}

#[test]
fn overexposed_photo_is_badly_exposed() {
    let r = check(
        &photo_jpeg(&Portrait {
            gain: 1.6,
            ..Default::default()
        }),
        "photo",
    );
    assert_rejected_with(&r, &[Code::PhotoExposure]);
    assert_eq!(reason(&r, Code::PhotoExposure).detail["problem"], "too_bright");
}

#[test]
fn beauty_app_in_exif_is_reported_as_a_warning() {
    let j = with_exif(
        jpeg_exact(&portrait(&Portrait::default()), 59_000),
        1,
        Some("Meitu Xiuxiu 9.5 美图秀秀"),
    );
    let r = check(&j, "photo");
    assert_eq!(codes(&r), [Code::PhotoEdited]);
    let why = reason(&r, Code::PhotoEdited);
    assert_eq!(why.severity, Severity::Warn);
    assert_eq!(r.verdict, Verdict::Pass, "a warning never rejects");
    assert!(why.detail["software"].as_str().is_some_and(|s| s.contains("Meitu")));
}

#[test]
fn camera_software_in_exif_is_not_editing() {
    let j = with_exif(
        jpeg_exact(&portrait(&Portrait::default()), 59_000),
        1,
        Some("iPhone 15 iOS 18.1"),
    );
    let r = check(&j, "photo");
    assert_clean_pass(&r);
    assert_eq!(r.measurements["exif_software"], "iPhone 15 iOS 18.1");
}

#[test]
fn a_beauty_app_in_ifd0_counts_when_the_exif_sub_ifd_is_damaged() {
    for app in ["Meitu", "BeautyCam", "美图秀秀"] {
        let j = with_segment(
            jpeg_exact(&portrait(&Portrait::default()), 59_000),
            damaged_exif_segment(Some(app)),
        );
        let r = check(&j, "photo");
        assert_eq!(codes(&r), [Code::PhotoEdited], "{app}");
        assert_eq!(r.measurements["exif_software"], app);
        assert_eq!(reason(&r, Code::PhotoEdited).detail["source"], "exif_software");
    }
}

#[test]
fn a_damaged_exif_block_naming_no_app_is_no_information() {
    let j = with_segment(
        jpeg_exact(&portrait(&Portrait::default()), 59_000),
        damaged_exif_segment(None),
    );
    assert_clean_pass(&check(&j, "photo"));
    // Cut anywhere inside the block: never a panic, never a reason of its own.
    let seg = damaged_exif_segment(Some("Meitu"));
    for cut in (4..seg.len()).step_by(7) {
        let mut broken = seg[..cut].to_vec();
        broken[2..4].copy_from_slice(&((cut - 2) as u16).to_be_bytes());
        let j = with_segment(jpeg_exact(&portrait(&Portrait::default()), 59_000), broken);
        let r = check(&j, "photo");
        assert!(
            codes(&r).iter().all(|c| *c == Code::PhotoEdited),
            "cut {cut}: {:?}",
            codes(&r)
        );
    }
}

#[test]
fn a_beauty_app_named_only_in_xmp_is_reported() {
    let j = with_segment(
        jpeg_exact(&portrait(&Portrait::default()), 59_000),
        xmp_segment("Meitu 9.6.5"),
    );
    let r = check(&j, "photo");
    assert_eq!(codes(&r), [Code::PhotoEdited]);
    assert_eq!(r.measurements["xmp_creator_tool"], "Meitu 9.6.5");
    let why = reason(&r, Code::PhotoEdited);
    assert_eq!(
        (why.detail["source"].as_str(), why.severity),
        (Some("xmp_creator_tool"), Severity::Warn)
    );
}

#[test]
fn phone_and_camera_software_is_not_editing_in_exif_or_xmp() {
    for software in [
        "Android",
        "HDR+ 1.0.540104767zd",
        "Ver.1.00",
        "MediaTek Camera Application",
    ] {
        let j = with_exif(jpeg_exact(&portrait(&Portrait::default()), 59_000), 1, Some(software));
        assert_clean_pass(&check(&j, "photo"));
        let j = with_segment(
            jpeg_exact(&portrait(&Portrait::default()), 59_000),
            xmp_segment(software),
        );
        let r = check(&j, "photo");
        assert_clean_pass(&r);
        assert_eq!(r.measurements["xmp_creator_tool"], software);
    }
}

#[test]
fn exif_orientation_is_applied_before_geometry() {
    // Stored landscape (413 × 295) with Orientation 6: upright it is 295 × 413.
    let upright = portrait(&Portrait::default());
    let stored = image::imageops::rotate270(&upright);
    let j = with_exif(jpeg_exact(&stored, 59_000), 6, None);
    let r = check(&j, "photo");
    assert_clean_pass(&r);
    assert_eq!(r.measurements["width"], 295);
    assert_eq!(r.measurements["exif_orientation"], 6);
}

#[test]
fn every_photo_reason_has_a_chinese_message() {
    let rules = common_rules_and_report();
    for reason in &rules.reasons {
        assert!(!reason.message.is_empty());
        assert!(
            reason.message.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c)),
            "{}",
            reason.message
        );
        assert!(
            !reason.message.contains('{'),
            "unfilled placeholder: {}",
            reason.message
        );
    }
}

/// A report with several photo reasons, localised in Chinese.
fn common_rules_and_report() -> prescreen::FileReport {
    let img = portrait(&Portrait {
        width: 250,
        height: 350,
        background: ID_BLUE,
        blur: 2.0,
        grayscale: false,
        ..Default::default()
    });
    let j = with_exif(jpeg_exact(&img, 60_000), 1, Some("Adobe Photoshop 25.0"));
    let upload = prescreen::Upload::new("一寸照.jpg", Some("photo".into()), j);
    let report = prescreen::check_application(&[upload], None, rules(), prescreen::Lang::Zh);
    let file = report.files.into_iter().next().expect("one file");
    let got = codes(&file);
    for c in [
        Code::PhotoResolutionTooLow,
        Code::PhotoBackgroundNotWhite,
        Code::PhotoBlurry,
        Code::PhotoEdited,
    ] {
        assert!(got.contains(&c), "{c:?} not in {got:?}");
    }
    file
}
