//! Faces in the 1-inch photo, on real faces: scikit-image's public-domain
//! astronaut composited on generated backgrounds, and a crop of the 1927
//! Solvay conference photograph (public domain, shipped in the rustface
//! crate) for a group, and scikit-image's CC0 cat and coffee photos for no
//! face. See fixtures/README.md.

use crate::common::{check, codes, num, photo_jpeg, reason};
use crate::synth::{jpeg_exact, paper_photo, Portrait};
use prescreen::Code;

fn face_problem(p: Portrait) -> (Vec<Code>, String, prescreen::FileReport) {
    let r = check(&photo_jpeg(&p), "photo");
    let problem = r
        .reasons
        .iter()
        .find(|x| x.code == Code::PhotoFacePosition)
        .map(|x| x.detail["problem"].as_str().unwrap().to_string())
        .unwrap_or_default();
    (codes(&r), problem, r)
}

#[test]
fn solvay_group_crop_has_multiple_faces() {
    let group = include_bytes!("../data/solvay-group.jpg");
    let r = check(&crate::synth::pad_to(group.to_vec(), 45_000), "photo");
    let why = reason(&r, Code::PhotoMultipleFaces);
    assert!(num(why, "faces") >= 3.0, "{:?}", why.detail);
}

/// A cup of coffee from above on white: a saucer, a cup and the coffee.
fn coffee() -> image::RgbImage {
    image::RgbImage::from_fn(295, 413, |x, y| {
        let d = ((x as f32 - 147.0).powi(2) + (y as f32 - 200.0).powi(2)).sqrt();
        let c = if d < 55.0 {
            [92, 58, 34]
        } else if d < 75.0 {
            [236, 230, 222]
        } else if d < 115.0 {
            [210, 200, 190]
        } else {
            [255, 255, 255]
        };
        image::Rgb(c.map(|v: u8| v.saturating_sub(((x * 7 + y * 13) % 5) as u8)))
    })
}

#[test]
fn coffee_and_paper_have_no_face() {
    let r = check(&jpeg_exact(&coffee(), 45_000), "photo");
    assert!(codes(&r).contains(&Code::PhotoNoFace), "{:?}", codes(&r));
    assert_eq!(r.measurements["faces"], 0);
    // A page of paper cut to 1-inch size: other reasons too, but no face.
    let page = image::imageops::crop_imm(&paper_photo(600, 840, 5), 100, 100, 295, 413).to_image();
    let r = check(&jpeg_exact(&page, 50_000), "photo");
    assert!(codes(&r).contains(&Code::PhotoNoFace), "{:?}", codes(&r));
}

#[test]
fn real_cat_and_coffee_photos_have_no_face() {
    // scikit-image's CC0 photos, cropped to 295 × 413 (fixtures/README.md).
    for photo in [
        &include_bytes!("../data/cat.jpg")[..],
        include_bytes!("../data/coffee.jpg"),
    ] {
        let r = check(&crate::synth::pad_to(photo.to_vec(), 45_000), "photo");
        assert!(codes(&r).contains(&Code::PhotoNoFace), "{:?}", codes(&r));
        assert_eq!(r.measurements["faces"], 0);
    }
}

#[test]
fn distant_selfie_face_is_too_small() {
    let (codes, problem, _) = face_problem(Portrait {
        head_scale: 0.45,
        ..Default::default()
    });
    // The centre, where the face should be, is now background: too bright.
    assert!(codes.contains(&Code::PhotoFacePosition), "{codes:?}");
    assert_eq!(problem, "face_too_small");
}

#[test]
fn face_too_close_is_too_large() {
    let (_, problem, r) = face_problem(Portrait {
        head_scale: 1.9,
        head_dy: 0.12,
        ..Default::default()
    });
    assert!(
        problem == "face_too_large" || problem == "face_cut_off",
        "{problem} {:?}",
        r.measurements
    );
}

#[test]
fn face_off_centre_is_rejected() {
    let (codes, problem, _) = face_problem(Portrait {
        head_dx: 0.18,
        ..Default::default()
    });
    // The shifted head also covers a side band of the background.
    assert!(codes.contains(&Code::PhotoFacePosition), "{codes:?}");
    assert_eq!(problem, "face_off_centre");
}

#[test]
fn head_too_low_is_rejected() {
    let (codes, problem, _) = face_problem(Portrait {
        head_dy: 0.22,
        ..Default::default()
    });
    assert_eq!(codes, [Code::PhotoFacePosition]);
    assert_eq!(problem, "face_too_low");
}

#[test]
fn face_cut_by_the_top_edge_is_rejected() {
    let (_, problem, r) = face_problem(Portrait {
        head_dy: -0.30,
        ..Default::default()
    });
    assert!(
        problem == "face_cut_off" || problem == "face_too_high",
        "{problem} {:?}",
        r.measurements
    );
}

/// A 1-inch print photographed lying on a desk: the print's edges are
/// inside the frame.
#[test]
fn photo_of_a_printed_photo_is_recaptured() {
    let print = crate::synth::portrait(&Portrait::default());
    let small = image::imageops::resize(&print, 177, 248, image::imageops::FilterType::Triangle);
    let mut desk = image::RgbImage::from_fn(295, 413, |x, y| {
        image::Rgb([118 + ((x + y) % 7) as u8, 96, 80 - ((x * 3 + y) % 5) as u8])
    });
    image::imageops::overlay(&mut desk, &small, 59, 82);
    let r = check(&jpeg_exact(&desk, 50_000), "photo");
    let why = reason(&r, Code::PhotoRecaptured);
    assert_eq!(why.severity, prescreen::Severity::Warn);
    assert!(r.measurements["inner_object_corners"].is_array());
    // A proper photo has no such object.
    let ok = check(&photo_jpeg(&Portrait::default()), "photo");
    assert!(!codes(&ok).contains(&Code::PhotoRecaptured));
}

#[test]
fn photographed_halftone_print_is_recaptured() {
    // The astronaut portrait printed with a colour halftone screen (dots every
    // 6 and 3 px at 590 × 826), photographed at half size with a little blur.
    for (pitch, blur) in [(6.0, 0.8), (3.0, 0.0)] {
        let big = crate::synth::portrait(&Portrait {
            width: 590,
            height: 826,
            ..Default::default()
        });
        let print = crate::synth::halftone_print(&big, pitch);
        let shot = image::imageops::resize(&print, 295, 413, image::imageops::FilterType::Triangle);
        let shot = if blur > 0.0 {
            image::imageops::blur(&shot, blur)
        } else {
            shot
        };
        let r = check(&jpeg_exact(&shot, 70_000), "photo");
        let why = reason(&r, Code::PhotoRecaptured);
        assert_eq!(why.severity, prescreen::Severity::Warn);
        assert!(why.detail["evidence"].as_str().unwrap().contains("halftone"));
        // The screen's period as the camera saw it: 3 px for the 6 px
        // screen, 2.5 px (the strongest alias) for the 3 px one.
        let period = num(why, "period_px");
        assert!((2.0..=4.0).contains(&period), "{:?}", why.detail);
    }
    // Camera photos stay far below: the composite, and the real group photo.
    let ok = check(&photo_jpeg(&Portrait::default()), "photo");
    assert!(ok.measurements["screen_ratio"].as_f64().unwrap() < 50.0);
    let group = check(
        &crate::synth::pad_to(include_bytes!("../data/solvay-group.jpg").to_vec(), 45_000),
        "photo",
    );
    assert!(
        !codes(&group).contains(&Code::PhotoRecaptured),
        "{:?}",
        group.measurements
    );
}
