//! Photographed forms and certificates: the page found and whole, sharp,
//! evenly lit, really photographed, written in and not altered. Scenes from
//! `synth::doc_scene` with the generated 申报表 and 承诺书.

use crate::common::{check, codes, num, reason};
use crate::synth::{doc_scene, jpeg, with_exif, DocScene, FormPage, Hand, Layout, BLACK_PEN, BLUE_PEN};
use prescreen::{Code, FileReport, Severity, Verdict};

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
    // Not a sheet lying on something: the page is the whole frame (its
    // table is a printed rectangle), or what lies round it is white.
    let fills = r.measurements.get("page_fills_frame") == Some(&serde_json::json!(true));
    let surround = r.measurements.get("surround_white_fraction").and_then(|v| v.as_f64());
    assert!(fills || surround.is_some_and(|s| s > 0.9), "{:?}", r.measurements);
    assert_eq!(codes(&r), [Code::FormNotPhotographed], "{:?}", r.measurements);
    // The same image as a certificate (a scan is fine) is not judged so.
    let cert = shot(&render, "training_certificate");
    assert!(!codes(&cert).contains(&Code::FormNotPhotographed));
}

#[test]
fn render_on_off_white_paper_is_not_photographed() {
    // The paper one exact tone (255, or 248 and 245 with no pure white at
    // all), which no camera gives.
    for tone in [255u16, 248, 245] {
        let mut img = doc_scene(&DocScene {
            digital: true,
            ..Default::default()
        });
        for p in img.pixels_mut() {
            p.0 = p.0.map(|c| (u16::from(c) * tone / 255) as u8);
        }
        let once = jpeg(&img, 92);
        // Saved again (a chat app, an upload form that recompresses).
        let twice = jpeg(&image::load_from_memory(&once).unwrap().to_rgb8(), 80);
        for (how, bytes) in [("saved once", once), ("saved twice", twice)] {
            let r = check(&bytes, "application_form");
            assert_eq!(
                codes(&r),
                [Code::FormNotPhotographed],
                "tone {tone}, {how}: {:?}",
                r.measurements
            );
            let detail = &reason(&r, Code::FormNotPhotographed).detail;
            assert_eq!(detail["paper_tone"], tone, "{how}");
            if tone < 255 {
                assert_eq!(r.measurements["pure_white_fraction"], 0.0, "{how}");
            }
        }
    }
}

/// The two forms in both pens, at two angles each.
fn scenes(fill: impl Fn(Layout, [u8; 3]) -> FormPage) -> Vec<(String, DocScene)> {
    let mut out = Vec::new();
    for layout in [Layout::Application, Layout::Pledge] {
        for (pen, colour) in [("blue", BLUE_PEN), ("black", BLACK_PEN)] {
            for (angle, seed) in [(3.0, 31), (-2.0, 32)] {
                out.push((
                    format!("{layout:?} {pen} {angle}°"),
                    DocScene {
                        angle,
                        seed,
                        form: fill(layout, colour),
                        ..Default::default()
                    },
                ));
            }
        }
    }
    out
}

#[test]
fn filled_forms_pass_in_blue_and_in_black() {
    for (name, scene) in scenes(FormPage::filled) {
        let r = shot(&scene, "application_form");
        assert_eq!(codes(&r), [], "{name}: {:?}", r.measurements);
        // The print's fields were found and nearly all written in.
        let fields = r.measurements["form_fields"].as_u64().unwrap();
        let empty = r.measurements["form_empty_fields"].as_u64().unwrap();
        assert!(
            fields >= 3 && empty * 4 < fields,
            "{name}: {fields} fields, {empty} empty"
        );
        // The 申报表's two unused work-history rows are left out.
        let skipped = if name.starts_with("Application") { 2 } else { 0 };
        assert_eq!(r.measurements["form_skipped_list_rows"], skipped, "{name}");
    }
}

#[test]
fn blank_twins_are_blank() {
    for (name, scene) in scenes(|layout, _| FormPage::blank(layout)) {
        let r = shot(&scene, "application_form");
        assert_eq!(codes(&r), [Code::FormBlank], "{name}: {:?}", r.measurements);
        assert_eq!(r.verdict, Verdict::Reject);
        let blank = reason(&r, Code::FormBlank);
        assert!(num(blank, "empty_share") >= 0.4, "{name}: {:?}", blank.detail);
        // All four work-history rows are empty list rows, and not counted.
        let skipped = if name.starts_with("Application") { 4 } else { 0 };
        assert_eq!(r.measurements["form_skipped_list_rows"], skipped, "{name}");
        assert_eq!(num(blank, "blue_ink"), 0.0);
    }
}

#[test]
fn twelve_megapixel_filled_form_passes_and_its_blank_twin_is_blank() {
    // A phone shot: 12 MP, in perspective, darker towards the corners,
    // stored landscape with EXIF Orientation 6 as phones held upright do.
    let shot_12mp = |form| {
        let upright = doc_scene(&DocScene {
            width: 3000,
            height: 4000,
            angle: 2.0,
            keystone: 0.06,
            vignette: 0.25,
            seed: 4,
            form,
            ..Default::default()
        });
        let stored = image::imageops::rotate270(&upright);
        let bytes = with_exif(jpeg(&stored, 85), 6, Some("iPhone 15 iOS 18.1"));
        check(&bytes, "application_form")
    };
    let filled = shot_12mp(FormPage::filled(Layout::Application, BLACK_PEN));
    assert_eq!(codes(&filled), [], "{:?}", filled.measurements);
    assert_eq!(
        (&filled.measurements["width"], &filled.measurements["height"]),
        (&3000.into(), &4000.into())
    );
    assert!(filled.measurements["form_fields"].as_u64().unwrap() >= 30);
    let blank = shot_12mp(FormPage::blank(Layout::Application));
    assert_eq!(codes(&blank), [Code::FormBlank], "{:?}", blank.measurements);
}

#[test]
fn a_blank_certificate_slot_is_not_judged_for_writing() {
    let scene = DocScene {
        form: FormPage::blank(Layout::Application),
        ..Default::default()
    };
    let r = shot(&scene, "training_certificate");
    assert_eq!(codes(&r), [], "{:?}", r.measurements);
    assert!(!r.measurements.contains_key("form_fields"));
}

/// The form.altered reason's boxes of `key`, as shares of the page.
fn boxes(r: &FileReport, key: &str) -> Vec<[f64; 4]> {
    serde_json::from_value(reason(r, Code::FormAltered).detail[key].clone()).unwrap()
}

fn contains(b: &[f64; 4], (x, y): (f64, f64)) -> bool {
    b[0] <= x && x <= b[2] && b[1] <= y && y <= b[3]
}

#[test]
fn scribble_in_paragraph_text_or_a_printed_logo_only_warns() {
    // The pledge's scribble lies over its paragraph text, no field; a solid
    // printed square in the header is no field either: a reviewer looks.
    for (case, form) in [
        (
            "scribble over the pledge's text",
            FormPage {
                scribble: true,
                ..FormPage::filled(Layout::Pledge, BLUE_PEN)
            },
        ),
        (
            "logo on the form",
            FormPage {
                logo: true,
                ..FormPage::filled(Layout::Application, BLUE_PEN)
            },
        ),
    ] {
        let r = shot(
            &DocScene {
                form,
                ..Default::default()
            },
            "application_form",
        );
        assert_eq!(codes(&r), [Code::FormAltered], "{case}: {:?}", r.measurements);
        let reason = reason(&r, Code::FormAltered);
        assert_eq!(reason.severity, Severity::Warn, "{case}: {:?}", reason.detail);
        assert_eq!(reason.detail["in_fields"]["scribbles"], 0, "{case}");
        assert_eq!(r.verdict, Verdict::Pass, "{case}");
    }
}

#[test]
fn scribbled_out_word_in_a_field_rejects_altered() {
    for (pen, colour) in [("blue", BLUE_PEN), ("black", BLACK_PEN)] {
        let scene = DocScene {
            angle: -3.0,
            form: FormPage {
                scribble: true,
                ..FormPage::filled(Layout::Application, colour)
            },
            ..Default::default()
        };
        let r = shot(&scene, "application_form");
        assert_eq!(codes(&r), [Code::FormAltered], "{pen}: {:?}", r.measurements);
        // In the 工作单位 value cell: what was written was changed.
        let altered = reason(&r, Code::FormAltered);
        assert_eq!(altered.severity, Severity::Reject, "{pen}: {:?}", altered.detail);
        assert!(altered.detail["in_fields"]["scribbles"].as_u64() >= Some(1), "{pen}");
        assert_eq!(r.verdict, Verdict::Reject);
        // The blob was drawn around (330, 485) of the 1240 x 1754 page.
        let found = boxes(&r, "scribbles");
        assert!(
            found.iter().any(|b| contains(b, (330.0 / 1240.0, 485.0 / 1754.0))),
            "{pen}: {found:?}"
        );
        assert!(boxes(&r, "correction_patches").is_empty());
        assert!(boxes(&r, "strike_throughs").is_empty(), "{pen}: a scribble is one mark");
        // The page the boxes refer to, in the photo's pixels: the page is
        // 80 % of the 1200 px width, centred.
        let corners: Vec<[f64; 2]> = serde_json::from_value(r.measurements["form_page_corners"].clone()).unwrap();
        assert_eq!(corners.len(), 4);
        let width = corners[1][0] - corners[0][0];
        assert!((880.0..1040.0).contains(&width), "{pen}: {corners:?}");
    }
}

#[test]
fn correction_tape_in_a_field_rejects_altered() {
    for layout in [Layout::Application, Layout::Pledge] {
        let scene = DocScene {
            form: FormPage {
                tape: true,
                ..FormPage::filled(layout, BLACK_PEN)
            },
            ..Default::default()
        };
        let r = shot(&scene, "application_form");
        assert_eq!(codes(&r), [Code::FormAltered], "{layout:?}: {:?}", r.measurements);
        // Tape strips (written over) at these centres of the 1240 x 1754 page.
        let centre = match layout {
            Layout::Application => (355.0 / 1240.0, 1044.0 / 1754.0),
            Layout::Pledge => (850.0 / 1240.0, 898.0 / 1754.0),
        };
        let found = boxes(&r, "correction_patches");
        assert!(found.iter().any(|b| contains(b, centre)), "{layout:?}: {found:?}");
        assert!(boxes(&r, "scribbles").is_empty());
        let altered = reason(&r, Code::FormAltered);
        assert_eq!(altered.severity, Severity::Reject, "{layout:?}: {:?}", altered.detail);
    }
}

#[test]
fn struck_out_entry_rejects_altered() {
    // A pen line through 电子商务师 (申报表) or the date (承诺书), level and
    // tilted; the page itself turned in the photo.
    for layout in [Layout::Application, Layout::Pledge] {
        for (tilt, angle) in [(1.0, -3.0), (-2.0, 0.0), (4.0, 1.0)] {
            let scene = DocScene {
                angle,
                seed: 14,
                form: FormPage {
                    strike: Some(tilt),
                    ..FormPage::filled(layout, BLUE_PEN)
                },
                ..Default::default()
            };
            let r = shot(&scene, "application_form");
            let case = format!("{layout:?} tilt {tilt}");
            assert_eq!(codes(&r), [Code::FormAltered], "{case}: {:?}", r.measurements);
            // The stroke's middle on the 1240 x 1754 page.
            let centre = match layout {
                Layout::Application => (860.0 / 1240.0, 557.0 / 1754.0),
                Layout::Pledge => (758.0 / 1240.0, 983.0 / 1754.0),
            };
            let found = boxes(&r, "strike_throughs");
            assert_eq!(found.len(), 1, "{case}: {found:?}");
            assert!(contains(&found[0], centre), "{case}: {found:?}");
            assert!(boxes(&r, "scribbles").is_empty() && boxes(&r, "correction_patches").is_empty());
            let altered = reason(&r, Code::FormAltered);
            assert_eq!(altered.severity, Severity::Reject, "{case}: {:?}", altered.detail);
        }
    }
}

#[test]
fn lit_edge_of_a_shadow_is_not_correction_tape() {
    // A shadow mild enough for the exposure check leaves a sharp edge whose
    // lit side is brighter than the block level estimate next to it.
    for layout in [Layout::Application, Layout::Pledge] {
        let scene = DocScene {
            angle: 1.5,
            shadow: 0.8,
            seed: 9,
            form: FormPage::filled(layout, BLACK_PEN),
            ..Default::default()
        };
        let r = shot(&scene, "application_form");
        assert_eq!(codes(&r), [], "{layout:?}: {:?}", r.measurements);
    }
}

#[test]
fn lamp_reflection_is_not_correction_tape() {
    // A highlight up to clipping, brighter than the paper on all sides like
    // tape, but with sloping edges.
    for glare in [30.0, 60.0] {
        let scene = DocScene {
            glare,
            seed: 10,
            form: FormPage::filled(Layout::Application, BLACK_PEN),
            ..Default::default()
        };
        let r = shot(&scene, "application_form");
        assert_eq!(codes(&r), [], "glare {glare}: {:?}", r.measurements);
    }
}

#[test]
fn an_overexposed_photo_is_exposure_not_a_render() {
    // Paper clipped to white by too much light, on a range of desks,
    // angles and perspectives: photographed, just too bright.
    let mut seen = Vec::new();
    for (i, (gain, desk, angle, keystone)) in [
        (1.5, [120, 92, 70], 2.0, 0.0),
        (1.7, [60, 60, 64], -4.0, 0.1),
        (2.0, [150, 120, 90], 6.0, 0.2),
        (1.6, [90, 110, 130], 0.0, 0.0),
        (1.8, [40, 30, 25], 3.0, 0.15),
    ]
    .into_iter()
    .enumerate()
    {
        let r = shot(
            &DocScene {
                gain,
                desk,
                angle,
                keystone,
                seed: 40 + i as u64,
                ..Default::default()
            },
            "application_form",
        );
        seen.push((gain, codes(&r), r.measurements.get("pure_white_fraction").cloned()));
    }
    for (gain, c, white) in &seen {
        assert_eq!(c, &[Code::DocumentExposure], "gain {gain} (white {white:?})");
    }
}

/// A filled 申报表 in a phone-like scene, and the same shot with every
/// channel multiplied by `gain` (clipped at 255): too much light.
fn overexposed_page(
    surface: crate::scenes::Surface,
    light: crate::scenes::Light,
    seed: u64,
    gain: f32,
) -> (image::RgbImage, image::RgbImage) {
    use crate::scenes::{render, Object, Scene};
    let mut s = Scene::new(Object::Page(FormPage::filled(Layout::Application, BLUE_PEN)), seed);
    s.surface = surface;
    s.light = light;
    let lit = render(&s).image;
    let mut img = lit.clone();
    for p in img.pixels_mut() {
        p.0 = p.0.map(|c| (f32::from(c) * gain).min(255.0) as u8);
    }
    (lit, img)
}

#[test]
fn a_phone_photo_with_the_paper_clipped_is_too_bright() {
    use crate::scenes::{Light, Surface};
    // Phone-like scenes (not the desks the render rule was tuned on), the
    // paper clipped by a gain: too bright, whatever else the pixels say.
    for (surface, light, gain) in [
        (Surface::Wood, Light::Even, 1.8f32),
        (Surface::Granite, Light::Ramp, 2.0),
        (Surface::Fabric, Light::Vignette, 1.7),
    ] {
        let (lit, img) = overexposed_page(surface, light, 77, gain);
        let r = check(&jpeg(&img, 90), "application_form");
        assert!(
            r.has(Code::DocumentExposure),
            "{surface:?} {gain}: {:?} {:?}",
            codes(&r),
            r.measurements
        );
        assert_eq!(reason(&r, Code::DocumentExposure).detail["problem"], "too_bright");
        // The same scene in its own light passes the light check.
        let r = check(&jpeg(&lit, 90), "application_form");
        assert!(!r.has(Code::DocumentExposure), "{surface:?} unlit: {:?}", codes(&r));
    }
}

/// Held-out check of `render_min_surround_white` (tuned on the five
/// `DocScene` desks above): phone-like scenes of every surface family and
/// three lights, overexposed by a gain, as the rule never saw them.
/// `cargo test --release --test it -- --ignored overexposure_on_unseen`.
#[test]
#[ignore]
fn overexposure_on_unseen_scene_families() {
    use crate::scenes::{Light, Surface};
    for surface in Surface::ALL {
        let mut tally = std::collections::BTreeMap::new();
        for light in [Light::Even, Light::Ramp, Light::Vignette] {
            for (k, gain) in [1.6f32, 2.0].into_iter().enumerate() {
                let (_, img) = overexposed_page(surface, light, 500 + k as u64, gain);
                let r = check(&jpeg(&img, 90), "application_form");
                let key = if codes(&r).contains(&Code::FormNotPhotographed) {
                    "not_photographed"
                } else if codes(&r).contains(&Code::DocumentExposure) {
                    "exposure"
                } else {
                    "other"
                };
                *tally.entry(key).or_insert(0) += 1;
            }
        }
        eprintln!("{surface:?}: {tally:?}");
    }
}

#[test]
fn forms_handwritten_from_strokes_or_a_font_are_not_called_typed() {
    for hand in [Hand::Strokes, Hand::Font] {
        for (name, scene) in scenes(|layout, pen| FormPage {
            hand,
            ..FormPage::filled(layout, pen)
        }) {
            let r = shot(&scene, "application_form");
            assert_eq!(codes(&r), [], "{hand:?} {name}: {:?}", r.measurements);
            let share = r.measurements["form_fill_same_size_share"].as_f64().unwrap();
            assert!(share < 0.45, "{hand:?} {name}: {share}");
        }
    }
}

#[test]
fn a_scanner_crop_is_the_page_not_its_table() {
    // The page fills the frame: the table's ruled border (a dark line with
    // paper on both sides) is not the page's edge, however well it scores.
    // Its handwriting runs over a cell border, which lifted the table's
    // score above the whole frame's.
    for (hand, pen, seed) in [
        (Hand::Strokes, BLACK_PEN, 300),
        (Hand::Strokes, BLUE_PEN, 301),
        (Hand::Font, BLUE_PEN, 300),
    ] {
        let scene = DocScene {
            width: 1240,
            height: 1754,
            page_width: 1.0,
            angle: 0.0,
            seed,
            form: FormPage {
                hand,
                ..FormPage::filled(Layout::Application, pen)
            },
            ..Default::default()
        };
        let r = shot(&scene, "application_form");
        assert_eq!(codes(&r), [], "{hand:?}: {:?}", r.measurements);
        assert_eq!(r.measurements["page_fraction"], 1.0, "{hand:?}");
        assert!(
            r.measurements["form_fields"].as_u64().unwrap() >= 38,
            "{hand:?}: {:?}",
            r.measurements
        );
    }
}

#[test]
fn a_form_typed_before_printing_warns_not_handwritten() {
    // Both forms typed in (the print font, one size): the warning, and
    // nothing else wrong with them.
    for (layout, angle, seed) in [
        (Layout::Application, 3.0, 31),
        (Layout::Application, -2.0, 32),
        (Layout::Pledge, 3.0, 31),
        (Layout::Pledge, -2.0, 32),
    ] {
        let scene = DocScene {
            angle,
            seed,
            form: FormPage {
                hand: Hand::Typed,
                ..FormPage::filled(layout, BLACK_PEN)
            },
            ..Default::default()
        };
        let r = shot(&scene, "application_form");
        assert_eq!(
            codes(&r),
            [Code::FormNotHandwritten],
            "{layout:?} {angle}°: {:?}",
            r.measurements
        );
        let typed = reason(&r, Code::FormNotHandwritten);
        assert_eq!(typed.severity, Severity::Warn);
        assert_eq!(r.verdict, Verdict::Pass, "a warning: a reviewer looks");
        assert!(num(typed, "same_size_share") >= num(typed, "min_share"));
        assert!(num(typed, "similar_pairs") >= 4.0);
    }
}
