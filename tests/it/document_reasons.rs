//! Photographed forms and certificates: the page found and whole, sharp,
//! evenly lit, and really photographed. Scenes from `synth::doc_scene`.

use crate::common::{check, codes};
use crate::synth::{doc_scene, jpeg, DocScene};
use prescreen::{Code, FileReport, Verdict};

fn shot(s: &DocScene, slot: &str) -> FileReport {
    check(&jpeg(&doc_scene(s), 85), slot)
}

#[test]
fn form_photographed_on_a_desk_passes() {
    for (angle, seed) in [(0.0, 1), (3.0, 2), (-4.0, 3)] {
        let r = shot(
            &DocScene {
                angle,
                seed,
                ..Default::default()
            },
            "application_form",
        );
        assert_eq!(r.verdict, Verdict::Pass, "{:?} {:?}", codes(&r), r.measurements);
    }
}

#[test]
fn page_cut_by_the_frame_is_cropped() {
    let r = shot(
        &DocScene {
            cx: 0.72,
            ..Default::default()
        },
        "application_form",
    );
    assert_eq!(codes(&r), [Code::DocumentCropped], "{:?}", r.measurements);
    assert!(r.reasons[0].detail["edges"]
        .as_array()
        .unwrap()
        .contains(&"right".into()));
}

#[test]
fn no_page_is_not_found() {
    let r = shot(
        &DocScene {
            page_width: 0.2,
            ..Default::default()
        },
        "application_form",
    );
    assert!(
        codes(&r).contains(&Code::DocumentNotFound),
        "{:?} {:?}",
        codes(&r),
        r.measurements
    );
}

#[test]
fn blurred_page_is_blurry() {
    let r = shot(
        &DocScene {
            blur: 4.0,
            ..Default::default()
        },
        "training_certificate",
    );
    assert_eq!(codes(&r), [Code::DocumentBlurry], "{:?}", r.measurements);
}

#[test]
fn dark_photo_and_shadow_are_exposure_problems() {
    let dark = shot(
        &DocScene {
            gain: 0.4,
            ..Default::default()
        },
        "application_form",
    );
    assert_eq!(codes(&dark), [Code::DocumentExposure], "{:?}", dark.measurements);
    assert_eq!(dark.reasons[0].detail["problem"], "too_dark");
    let shadow = shot(
        &DocScene {
            shadow: 0.4,
            ..Default::default()
        },
        "application_form",
    );
    assert_eq!(codes(&shadow), [Code::DocumentExposure], "{:?}", shadow.measurements);
    assert_eq!(shadow.reasons[0].detail["problem"], "shadow");
}

#[test]
fn clean_render_of_a_form_is_not_photographed() {
    let render = DocScene {
        digital: true,
        ..Default::default()
    };
    let r = shot(&render, "application_form");
    assert_eq!(codes(&r), [Code::FormNotPhotographed], "{:?}", r.measurements);
    // The same image as a certificate (a scan is fine) is not judged so.
    let cert = shot(&render, "training_certificate");
    assert!(!codes(&cert).contains(&Code::FormNotPhotographed));
}
