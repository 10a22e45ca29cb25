//! ID-card photos: mock cards (no text, no number) photographed
//! synthetically at an angle, in perspective, on paper or a desk, blurred,
//! dark or with glare; each reason made to fire, and the good cases pass.

use crate::common::{check, codes, reason};
use crate::synth::{id_scene, jpeg_in_window, IdScene};
use prescreen::{Code, FileReport, Verdict};

fn shot(scene: &IdScene, slot: &str) -> FileReport {
    check(&jpeg_in_window(&id_scene(scene), 70_000), slot)
}

#[test]
fn front_and_back_on_white_paper_pass() {
    for (back, slot) in [(false, "id_card_front"), (true, "id_card_back")] {
        for (angle, keystone, seed) in [(0.0, 0.0, 1), (4.0, 0.05, 2), (-6.0, 0.08, 3)] {
            let r = shot(
                &IdScene {
                    back,
                    angle,
                    keystone,
                    seed,
                    ..Default::default()
                },
                slot,
            );
            assert_eq!(
                r.verdict,
                Verdict::Pass,
                "{slot} {angle}: {:?} {:?}",
                codes(&r),
                r.measurements
            );
            assert_eq!(r.measurements["card_corners"].as_array().unwrap().len(), 4);
        }
    }
}

#[test]
fn swapped_sides_are_reported_on_both_files() {
    let front = shot(&IdScene::default(), "id_card_back");
    assert_eq!(codes(&front), [Code::IdcardWrongSide]);
    assert_eq!(front.reasons[0].detail["expected"], "back");
    let back = shot(
        &IdScene {
            back: true,
            ..Default::default()
        },
        "id_card_front",
    );
    assert_eq!(codes(&back), [Code::IdcardWrongSide]);
    assert_eq!(back.reasons[0].detail["expected"], "front");
}

#[test]
fn card_cut_off_by_the_frame_is_cropped() {
    let r = shot(
        &IdScene {
            cx: 0.78,
            ..Default::default()
        },
        "id_card_front",
    );
    assert_eq!(codes(&r), [Code::IdcardCropped], "{:?} {:?}", r.reasons, r.measurements);
}

#[test]
fn small_card_is_too_small() {
    let r = shot(
        &IdScene {
            card_width: 0.55,
            ..Default::default()
        },
        "id_card_front",
    );
    assert_eq!(codes(&r), [Code::IdcardTooSmall]);
}

#[test]
fn no_card_is_not_found() {
    // Blank paper.
    let paper = image::RgbImage::from_pixel(1000, 640, image::Rgb([246, 246, 244]));
    let r = check(&jpeg_in_window(&paper, 50_000), "id_card_front");
    assert_eq!(codes(&r), [Code::IdcardNotFound]);
    // A square note on the paper: not card-shaped.
    let mut note = paper.clone();
    for y in 170..470 {
        for x in 350..650 {
            note.put_pixel(x, y, image::Rgb([250, 230, 120]));
        }
    }
    let r = check(&jpeg_in_window(&note, 50_000), "id_card_front");
    assert_eq!(codes(&r), [Code::IdcardNotFound]);
    assert_eq!(r.reasons[0].detail["problem"], "not_card_shaped");
}

#[test]
fn blurred_card_is_blurry() {
    let r = shot(
        &IdScene {
            blur: 3.0,
            ..Default::default()
        },
        "id_card_front",
    );
    assert_eq!(codes(&r), [Code::IdcardBlurry], "{:?}", r.measurements);
}

#[test]
fn glare_on_the_card_is_reported() {
    let r = shot(
        &IdScene {
            glare: 0.12,
            ..Default::default()
        },
        "id_card_front",
    );
    assert_eq!(codes(&r), [Code::IdcardGlare], "{:?}", r.measurements);
    // The spot, for a reviewer: the scene puts it right of the card's
    // middle, a little above it.
    let points = |v: &serde_json::Value| -> Vec<(f64, f64)> {
        v.as_array()
            .unwrap()
            .iter()
            .map(|p| (p[0].as_f64().unwrap(), p[1].as_f64().unwrap()))
            .collect()
    };
    let centre = |p: &[(f64, f64)]| {
        (
            p.iter().map(|q| q.0).sum::<f64>() / p.len() as f64,
            p.iter().map(|q| q.1).sum::<f64>() / p.len() as f64,
        )
    };
    let spot = centre(&points(&r.measurements["card_glare_outline"]));
    let card = centre(&points(&r.measurements["card_corners"]));
    assert!(
        spot.0 > card.0 + 20.0 && (spot.1 - card.1).abs() < 40.0,
        "spot {spot:?}, card {card:?}"
    );
    assert_eq!(
        reason(&r, Code::IdcardGlare).detail["outline"],
        r.measurements["card_glare_outline"]
    );
}

#[test]
fn card_on_a_dark_desk_has_no_white_background() {
    let r = shot(
        &IdScene {
            background: [92, 64, 44],
            ..Default::default()
        },
        "id_card_front",
    );
    assert_eq!(codes(&r), [Code::IdcardBackgroundNotWhite], "{:?}", r.measurements);
}

#[test]
fn dark_photo_is_badly_exposed() {
    let r = shot(
        &IdScene {
            gain: 0.28,
            ..Default::default()
        },
        "id_card_front",
    );
    assert!(
        codes(&r).contains(&Code::IdcardExposure),
        "{:?} {:?}",
        codes(&r),
        r.measurements
    );
}
